/**
 * A container engine for the container tests: podman's Docker-compatible service on a socket of its own, the docker
 * CLI and the compose plugin pointed at it, and the images `node scripts/bootstrap.js --containers` prepared. Whatever
 * a test starts is removed again by `stop()`, also after a failure.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../support/stack';

const root = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tools = require(path.join(root, 'scripts', 'containers.js')) as {
  CONTAINERS_DIR: string;
  containerEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  buildCaArgs(): string[];
};

/** The images the installer built: the Node base for NODE_IMAGE and the registry images' test doubles. */
export interface PreparedImages {
  node: string;
  temporal: string;
  moto: string;
}

export function preparedImages(): PreparedImages {
  const file = path.join(tools.CONTAINERS_DIR, 'images.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run the container tests with npm run test:containers, which prepares them`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as PreparedImages;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Engine {
  env: NodeJS.ProcessEnv;
  /** Runs a program with the engine's environment; never throws on a non-zero exit. */
  exec(program: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CommandResult>;
  /** `docker …` against the engine; throws with its output on a non-zero exit. */
  docker(...args: string[]): Promise<string>;
  /** `podman …` on the same store; throws with its output on a non-zero exit. */
  podman(...args: string[]): Promise<string>;
  /**
   * Runs the health checks of `project`'s containers every few seconds until stop(). podman schedules health checks
   * with systemd timers; where there is no systemd (CI containers) nothing would ever run them.
   */
  driveHealthChecks(project: string): void;
  stop(): Promise<void>;
}

async function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(program, args, { maxBuffer: 64 << 20, ...options });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function check(what: string, result: CommandResult): string {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}:\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

/** Starts podman's API service on a private socket and waits until the docker CLI gets an answer from it. */
export async function startEngine(): Promise<Engine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-engine-'));
  const socket = path.join(dir, 'podman.sock');
  const env = { ...tools.containerEnv(process.env), DOCKER_HOST: `unix://${socket}` };
  const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serviceLog = '';
  service.stderr?.on('data', (d: Buffer) => (serviceLog += d.toString()));
  const exited = new Promise<void>((resolve) => service.once('exit', () => resolve()));

  const exec: Engine['exec'] = (program, args, options = {}) =>
    run(program, args, { cwd: options.cwd ?? root, env: { ...env, ...options.env } });
  let healthTimer: NodeJS.Timeout | undefined;
  const driveHealthChecks = (project: string): void => {
    if (existsSync('/run/systemd/system') || healthTimer) return;
    let busy = false;
    healthTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const ps = await exec('podman', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
        for (const id of ps.stdout.split('\n').filter(Boolean)) await exec('podman', ['healthcheck', 'run', id]);
      })()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, 3000);
  };
  const engine: Engine = {
    env,
    exec,
    docker: async (...args) => check(`docker ${args.join(' ')}`, await exec('docker', args)),
    podman: async (...args) => check(`podman ${args.join(' ')}`, await exec('podman', args)),
    driveHealthChecks,
    stop: async () => {
      clearInterval(healthTimer);
      if (service.exitCode === null && service.signalCode === null) {
        service.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await eventually(
      "podman's API service",
      async () => {
        if (service.exitCode !== null) throw new Error(`podman system service exited: ${serviceLog.trim()}`);
        return (await exec('docker', ['version', '--format', '{{.Server.APIVersion}}'])).code === 0;
      },
      30_000,
    );
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

/**
 * Builds infra/Dockerfile as it is, changing only build arguments: the Node base image and, where the registries sit
 * behind a TLS proxy, the CA bundle mounted for the build. Built with podman itself, since the engine's API cannot be
 * handed a build-time mount.
 */
export async function buildProjectImage(engine: Engine, tag: string, nodeImage: string): Promise<void> {
  const args = [
    'build',
    '--network',
    'host',
    ...tools.buildCaArgs(),
    '--build-arg',
    `NODE_IMAGE=${nodeImage}`,
    '-f',
    'infra/Dockerfile',
    '-t',
    tag,
    '.',
  ];
  check(`podman ${args.join(' ')}`, await engine.exec('podman', args));
}
