/**
 * Starts and stops the local services of the embedded stack: the Temporal dev server (with its Web UI) and the AWS
 * emulator. Used by `ebbflow dev` and by the integration tests' global setup, so both run the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { sleep } from '../async';
import { StackError } from '../errors';
import { PROJECT_ROOT } from '../paths';

interface Bootstrap {
  temporalCli(): string;
  emulator(): { command: string; args: string[] };
  testServer(): string;
}

/**
 * The project's installer, loaded when a local server is first needed: a checkout has it, the container image (which
 * runs against servers elsewhere) does not, and every other command must start without it.
 */
function bootstrap(): Bootstrap {
  const script = path.join(PROJECT_ROOT, 'scripts', 'bootstrap.js');
  if (!existsSync(script)) {
    throw new StackError(
      `the local Temporal server and AWS emulator are installed by ${script}, which this installation does not have; ` +
        'run `ebbflow dev` from a checkout of the project, or point TEMPORAL_ADDRESS and AWS_ENDPOINT_URL at running servers',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(script) as Bootstrap;
}

/** Paths of the tools, installing them into the project venv on first use. */
export const tools = {
  temporal: (): string => bootstrap().temporalCli(),
  emulator: (): { command: string; args: string[] } => bootstrap().emulator(),
  testServer: (): string => bootstrap().testServer(),
};

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Where its output goes, if anywhere. */
  readonly logFile?: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The allocator setting of ebbflow's child processes, as the container image has it (infra/Dockerfile): with glibc's
 * default, each of sharp's threads keeps an arena of freed memory, and a worker settles about 620 MB resident
 * instead of under 400. A value already set wins.
 */
export function allocatorEnv(): Record<string, string> {
  return { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
}

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The ports the kernel hands out by itself, to outgoing connections and to servers that listen on port 0: Linux's
 * setting when it can be read, else Linux's default (32768–60999). macOS's range (49152–65535) starts above that low
 * end, so ports below it are clear of both.
 */
export function ephemeralPorts(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): {
  low: number;
  high: number;
} {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && low! <= high!) return { low: low!, high: high! };
  } catch {
    // not Linux
  }
  return { low: 32768, high: 60999 };
}

/** Where freePort looks first: registered ports, clear of well-known services' and of the kernel's own. */
const PICK_FROM = 20000;
/** Ports this process handed out in the last minute, so two calls do not return one port before either is bound. */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 60_000;

/**
 * A port free right now, for a process about to be started to listen on. It is chosen below the kernel's ephemeral
 * range when there is room: a port from that range (what listening on port 0 gives) can be taken before the process
 * binds it, by an outgoing connection or by a server that picks its own ports at random (the Temporal dev server
 * does, for its metrics and internal services).
 */
export async function freePort(): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > HANDED_OUT_MS) handedOut.delete(port);
  const { low } = ephemeralPorts();
  const span = Math.min(low, 32768) - PICK_FROM;
  for (let attempt = 0; span >= 1000 && attempt < 50; attempt++) {
    const port = PICK_FROM + Math.floor(Math.random() * span);
    if (handedOut.has(port) || !(await portIsFree(port))) continue;
    handedOut.set(port, now);
    return port;
  }
  // No room below the ephemeral range: let the kernel choose.
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws a StackError naming the setting to change when a port is taken. */
export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [what, port] of Object.entries(ports)) {
    if (port !== 0 && !(await portIsFree(port))) taken.push(`${what} port ${port}`);
  }
  if (taken.length > 0) {
    throw new StackError(
      `${taken.join(', ')} already in use. Stop what holds it (is another ebbflow dev running?) or choose other ports: ebbflow dev --help`,
    );
  }
}

function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Polls `check` until it returns true, failing after `timeoutMs` or as soon as `abort` settles. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; abort?: Promise<unknown> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  // The wait between checks ends as soon as `abort` settles, so an exited process is reported at once.
  const aborted = new AbortController();
  void options.abort?.then(() => aborted.abort());
  while (Date.now() < deadline) {
    if (aborted.signal.aborted) throw new StackError(`${what} exited before it was ready`);
    if (await check()) return;
    await sleep(options.intervalMs ?? 200, aborted.signal);
  }
  throw new StackError(`${what} was not ready after ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s`);
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  // The child writes its output to the log file itself: relayed through a pipe, every line a server or worker logs
  // (the emulator logs each request) would wake this process to copy it.
  let log: number | 'ignore' = 'ignore';
  if (options.logFile) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    // Logs can carry keys, URLs and errors with secrets in them: the owner's only, also when an earlier run left the
    // file behind (an appending open keeps its old mode).
    log = openSync(options.logFile, 'a', 0o600);
    fchmodSync(log, 0o600);
  }
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', log, log],
      detached: false,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (typeof log === 'number') closeSync(log);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return {
    name,
    child,
    logFile: options.logFile,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `count` lines of a log file (each clipped), or none when it cannot be read. */
export function logTail(file: string, count: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    // A line cut by the window's start is not shown half.
    if (length < size) lines.shift();
    return lines
      .filter((line) => line.trim() !== '')
      .slice(-count)
      .map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line));
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Where a process logs and the last lines there, e.g. `; its log: <file>` and the lines indented below. */
function logSummary(proc: ManagedProcess): string {
  if (!proc.logFile) return '';
  return `; its log: ${proc.logFile}${logTail(proc.logFile, 5)
    .map((line) => `\n  ${line}`)
    .join('')}`;
}

/** How a process of the stack ended, and the end of its log: what to read first when it should not have. */
export function describeExit(proc: ManagedProcess): string {
  const { exitCode, signalCode } = proc.child;
  const how = signalCode
    ? `was killed (${signalCode})`
    : exitCode === null
      ? 'could not start'
      : `exited with code ${exitCode}`;
  return `${proc.name} ${how}${logSummary(proc)}`;
}

/**
 * Runs `wait` until `proc` is ready. When it is not (it exited, or the deadline passed), stops it, so it holds no port,
 * and throws what happened with the end of its log.
 */
async function untilReady(proc: ManagedProcess, wait: () => Promise<void>): Promise<void> {
  try {
    await wait();
  } catch (err) {
    const exited = proc.child.exitCode !== null || proc.child.signalCode !== null;
    await proc.stop();
    const what = (err as Error).message;
    throw new StackError(exited ? `${what}: ${describeExit(proc)}` : `${what}, and was stopped${logSummary(proc)}`, {
      cause: err,
    });
  }
}

interface TemporalDevServerOptions {
  port: number;
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in-memory when omitted. */
  dbFile?: string;
  namespace?: string;
  headless?: boolean;
  logFile?: string;
  /** Search attributes registered at start, name → type (e.g. Keyword). */
  searchAttributes?: Record<string, string>;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<ManagedProcess> {
  const ports: Record<string, number> = { 'Temporal frontend': options.port };
  if (!options.headless && options.uiPort) ports['Temporal UI'] = options.uiPort;
  await assertPortsFree(ports);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.headless) args.push('--headless');
  else if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    // Write-ahead log, synced at checkpoints: the store survives the server being killed, and each workflow costs
    // the server about a third less CPU than SQLite's default rollback journal with a sync per transaction. (A power
    // cut may lose the last moments, which a laptop's development state can afford.)
    args.push(
      '--db-filename',
      options.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(options.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  // Dynamic config that makes a single laptop behave: no throttling of the local frontend.
  args.push('--dynamic-config-value', 'frontend.rps=5000', '--dynamic-config-value', 'frontend.namespaceRPS=5000');
  const proc = startProcess('temporal', tools.temporal(), args, { logFile: options.logFile });
  await untilReady(proc, async () => {
    await waitFor('Temporal dev server', () => tcpOpen(options.port), { timeoutMs: 60_000, abort: proc.exited });
    // The port opens a moment before the frontend serves: until then every call fails "Frontend is not healthy yet".
    await waitFor('Temporal dev server', () => frontendAnswers(`127.0.0.1:${options.port}`), {
      timeoutMs: 60_000,
      abort: proc.exited,
    });
  });
  return proc;
}

/** Whether a Temporal frontend at `address` answers GetSystemInfo. */
async function frontendAnswers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

interface MotoOptions {
  port: number;
  logFile?: string;
  /** How to run it; by default moto's server through scripts/emulator.py, in the project venv. */
  command?: { command: string; args: string[] };
  /** How long it may take to answer. @defaultValue 60 s */
  readyTimeoutMs?: number;
}

export async function startMoto(options: MotoOptions): Promise<ManagedProcess> {
  await assertPortsFree({ 'AWS emulator': options.port });
  const { command, args } = options.command ?? tools.emulator();
  const proc = startProcess('moto', command, [...args, '-H', '127.0.0.1', '-p', String(options.port)], {
    logFile: options.logFile,
  });
  await untilReady(proc, () =>
    waitFor(
      'AWS emulator',
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${options.port}/moto-api/`);
          return res.ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, abort: proc.exited },
    ),
  );
  return proc;
}
