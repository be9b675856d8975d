/**
 * `ebbflow dev` as a user runs it: a child process that brings the stack up, runs the demo batch through it, records
 * it in dev.json for other terminals, and takes everything down on Ctrl-C.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createAwsClients } from '../../../src/aws/clients';
import { freePort, portIsFree } from '../../../src/dev/processes';
import { commandLine, descendants, roleOf } from '../../../bench/processes';
import { CLI_PATH } from '../../../src/paths';
import { eventually } from '../../support/stack';

const run = promisify(execFile);

function devEnv(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, EBBFLOW_STATE_DIR: stateDir };
  // The stack under test records its own addresses; nothing from the shared test servers may leak in.
  delete env.TEMPORAL_ADDRESS;
  delete env.AWS_ENDPOINT_URL;
  return env;
}

/** Local addresses of the TCP sockets listening on `port`, as /proc/net/tcp and tcp6 write them (127.0.0.1: 0100007F). */
function listeningOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
      .map((fields) => fields[1]!.split(':')[0]!),
  );
}

/** Whether `pid` still runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `ebbflow dev` with `args`, keeping everything it prints. */
function startDev(args: string[], env: NodeJS.ProcessEnv) {
  const dev = spawn(process.execPath, [CLI_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  dev.stdout.on('data', (d: Buffer) => (printed += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (printed += d.toString()));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
  return { dev, exited, output: () => printed };
}

/** Waits for `ebbflow dev` to have exited, for at most 90 s: stopping a stack takes seconds. */
async function untilExited(child: ChildProcess): Promise<void> {
  await eventually(
    'ebbflow dev to exit',
    async () => child.exitCode !== null || child.signalCode !== null,
    90_000,
    100,
  );
}

describe('ebbflow dev', () => {
  it('fails at once with a clear message when a port is taken', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-dev-'));
      const result = await run(
        process.execPath,
        [
          CLI_PATH,
          'dev',
          '--headless',
          '--temporal-port',
          String(port),
          '--aws-port',
          String(await freePort()),
          '--bridge-port',
          String(await freePort()),
        ],
        { env: devEnv(stateDir), timeout: 30_000 },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`Temporal frontend port ${port} already in use`);
    } finally {
      blocker.close();
    }
  });

  it("starts the scaler once the bridge has acknowledged S3's test event, so an idle stack runs no worker, and commands wake it", async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-dev-'));
    const scalerPort = await freePort();
    const args = ['dev', '--headless', '--workers', '1', '--scaler-port', String(scalerPort)];
    args.push('--temporal-port', String(await freePort()), '--aws-port', String(await freePort()));
    args.push('--bridge-port', String(await freePort()));
    const dev = spawn(process.execPath, [CLI_PATH, ...args], { env: devEnv(stateDir), stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
    try {
      // The scaler's first poll: nothing waiting, nothing started.
      const first = await eventually(
        'the scaler’s first decision',
        async () => {
          const res = await fetch(`http://127.0.0.1:${scalerPort}/decisions`);
          // Newest first: the last one is the first poll.
          return ((await res.json()) as { backlog: number; desired: number }[]).at(-1);
        },
        90_000,
      );
      expect(first).toMatchObject({ backlog: 0, desired: 0 });

      // A command in another terminal that starts a workflow finds the scaler's /wake in dev.json and wakes the
      // scaler (nothing else starts workflows here): a fleet that has rested at zero does not wait for a poll.
      const wakes = async (): Promise<number> => {
        const metrics = await (await fetch(`http://127.0.0.1:${scalerPort}/metrics`)).text();
        return Number(/^ebbflow_scaler_wakes_total\{result="polled"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
      };
      expect(await wakes()).toBe(0);
      const sources = path.join(__dirname, '..', '..', '..', 'examples', 'etl', 'sources.yaml');
      await run(process.execPath, [CLI_PATH, 'etl', 'run', '--config', sources, '--no-watch'], {
        env: devEnv(stateDir),
        timeout: 60_000,
      });
      await eventually('the wake from the command', async () => (await wakes()) === 1, 10_000, 100);
    } finally {
      dev.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 180_000);

  it('ends a demo still drawing its photos when it is stopped, the drawing child with it', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-dev-'));
    const ports: string[] = [];
    for (const flag of ['--temporal-port', '--aws-port', '--bridge-port']) ports.push(flag, String(await freePort()));
    // Enough photos that the drawing is still under way when the stop arrives.
    const args = ['dev', '--headless', '--no-scaler', '--workers', '1', ...ports, '--demo', '--demo-count', '2000'];
    const { dev, exited, output } = startDev(args, devEnv(stateDir));
    let drawing: number | undefined;
    try {
      await eventually(
        'the sample photos being drawn',
        async () => {
          drawing = descendants(dev.pid!).find((pid) => roleOf(commandLine(pid)) === 'ebbflow sample-photos');
          const dir = /drawn on this machine into (\S+)/.exec(output())?.[1];
          return drawing !== undefined && dir !== undefined && existsSync(dir) && readdirSync(dir).length > 0;
        },
        120_000,
        100,
      );
    } finally {
      // SIGTERM to `ebbflow dev` alone, as a service manager or `kill` sends it: not to its process group.
      dev.kill('SIGTERM');
    }
    try {
      // Stopping the stack takes seconds; a demo left drawing would keep the process for minutes more.
      await untilExited(dev);
    } finally {
      for (const pid of [dev.pid!, drawing]) if (pid !== undefined && running(pid)) process.kill(pid, 'SIGKILL');
    }
    const code = await exited;
    if (code !== 0) process.stderr.write(`ebbflow dev exited with ${code}:\n${output()}\n`);
    expect(code).toBe(0);
    expect(output()).toContain('stopped.');
    expect(output()).not.toContain('demo failed');
    expect(output()).not.toContain('The demo is done');
    await eventually('the drawing child gone', async () => !running(drawing!), 10_000, 50);
  }, 240_000);

  it('stops the whole stack and says which process died, how, and where its log is, when one of them is killed', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-dev-'));
    const [temporalPort, awsPort] = [await freePort(), await freePort()];
    const args = ['dev', '--headless', '--no-scaler', '--workers', '1', '--temporal-port', String(temporalPort)];
    args.push('--aws-port', String(awsPort), '--bridge-port', String(await freePort()));
    // The bridge logs that it runs (at info), which is then the end of its log.
    const { dev, exited, output } = startDev(args, { ...devEnv(stateDir), EBBFLOW_LOG_LEVEL: 'info' });
    const bridgeLog = path.join(stateDir, 'logs', 'bridge.log');
    try {
      await eventually(
        'the bridge running',
        async () => existsSync(bridgeLog) && readFileSync(bridgeLog, 'utf8').includes('bridge started'),
        90_000,
        100,
      );
      const bridge = descendants(dev.pid!).find((pid) => roleOf(commandLine(pid)) === 'ebbflow bridge');
      expect(bridge).toBeDefined();
      process.kill(bridge!, 'SIGKILL');
      await untilExited(dev);
    } finally {
      if (dev.exitCode === null && dev.signalCode === null) dev.kill('SIGINT');
    }
    expect(await exited).toBe(1);
    expect(output()).toContain(`The stack cannot run on: ebbflow bridge was killed (SIGKILL); its log: ${bridgeLog}`);
    // The end of its log comes with it: the bridge's last line said it was running.
    expect(output()).toMatch(/its log: [^\n]*bridge\.log(\n {2}[^\n]*)*\n {2}\{[^\n]*"msg":"bridge started"/);
    expect(output()).toContain('stopped.');
    expect(await portIsFree(temporalPort)).toBe(true);
    expect(await portIsFree(awsPort)).toBe(true);
  }, 180_000);

  it('brings the stack up, runs the demo, serves other commands through dev.json, stops everything on Ctrl-C', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-dev-'));
    const [temporalPort, awsPort, bridgePort] = [await freePort(), await freePort(), await freePort()];
    const workerMetricsPort = await freePort();
    const env = { ...devEnv(stateDir), EBBFLOW_METRICS_PORT: String(workerMetricsPort) };
    // Logs left world-readable by an older stack are closed when the stack starts.
    const logDir = path.join(stateDir, 'logs');
    mkdirSync(logDir, { mode: 0o755 });
    writeFileSync(path.join(logDir, 'bridge.log'), 'an older run\n', { mode: 0o644 });
    const { dev, exited, output } = startDev(
      [
        'dev',
        '--headless',
        '--no-scaler',
        '--workers',
        '1',
        '--temporal-port',
        String(temporalPort),
        '--aws-port',
        String(awsPort),
        '--bridge-port',
        String(bridgePort),
        '--demo',
        '--demo-count',
        '4',
      ],
      env,
    );
    try {
      const devJson = path.join(stateDir, 'dev.json');
      await eventually('dev.json', async () => existsSync(devJson) && output().includes('Press Ctrl-C'), 90_000);
      expect(statSync(devJson).mode & 0o777).toBe(0o600); // it may hold the database password
      expect(statSync(logDir).mode & 0o777).toBe(0o700);
      // The endpoints of ebbflow's own processes answer on this machine only.
      for (const port of [workerMetricsPort, bridgePort]) {
        await eventually(`an endpoint on port ${port}`, async () => listeningOn(port).length > 0);
      }
      const logs = readdirSync(logDir);
      expect(logs).toEqual(expect.arrayContaining(['temporal.log', 'aws-emulator.log', 'bridge.log', 'worker.log']));
      for (const log of logs) expect([log, statSync(path.join(logDir, log)).mode & 0o777]).toEqual([log, 0o600]);
      expect(listeningOn(workerMetricsPort)).toEqual(['0100007F']);
      expect(listeningOn(bridgePort)).toEqual(['0100007F']);
      const state = JSON.parse(readFileSync(devJson, 'utf8')) as Record<string, string>;
      expect(state.temporalAddress).toBe(`127.0.0.1:${temporalPort}`);
      expect(state.awsEndpoint).toBe(`http://127.0.0.1:${awsPort}`);

      // The demo: photos drawn by a short-lived child, uploaded, followed to completion; the stack stays up afterwards.
      await eventually('the demo batch', async () => output().includes('The demo is done'), 180_000, 500);
      expect(output()).toMatch(/4 photos processed into 12 variants in [\d.]+ s\./);
      const batch = /processed\/\{thumbnail,medium,large\}\/[^/\s]+\/(uploads\/demo\/\d{8}T\d{6})\//.exec(
        output(),
      )?.[1];
      expect(batch).toBeDefined();
      const aws = createAwsClients({
        region: state.awsRegion!,
        endpoint: state.awsEndpoint,
        emulatorCredentials: true,
      });
      for (const variant of ['thumbnail', 'medium', 'large']) {
        const listed = await aws.s3.send(
          new ListObjectsV2Command({
            Bucket: state.outputBucket,
            Prefix: `processed/${variant}/${state.inputBucket}/${batch}/`,
          }),
        );
        expect(listed.KeyCount).toBe(4);
      }
      // Each process writes its log file itself, not through `ebbflow dev`: the emulator's request log grows while
      // `ebbflow dev` is stopped.
      const emulatorLog = path.join(logDir, 'aws-emulator.log');
      const logged = statSync(emulatorLog).size;
      process.kill(dev.pid!, 'SIGSTOP');
      try {
        await aws.s3.send(new ListObjectsV2Command({ Bucket: state.outputBucket, MaxKeys: 1 }));
        await eventually(
          'the request in the emulator log',
          async () => statSync(emulatorLog).size > logged,
          10_000,
          50,
        );
      } finally {
        process.kill(dev.pid!, 'SIGCONT');
      }

      const { stdout } = await run(process.execPath, [CLI_PATH, 'status', '--json'], { env });
      const status = JSON.parse(stdout) as { taskQueue: string; dlq: { visible: number }; ingress: { url: string } };
      expect(status.ingress.url).toBe(state.ingressQueueUrl);
      expect(status.dlq.visible).toBe(0);

      // The bridge's own account of the demo, on the endpoint dev.json names.
      expect(state.bridgeUrl).toBe(`http://127.0.0.1:${bridgePort}`);
      const metrics = await (await fetch(`${state.bridgeUrl}/metrics`)).text();
      expect(metrics).toMatch(/^ebbflow_bridge_workflows_started_total 4$/m);
      expect(metrics).toMatch(/^ebbflow_bridge_temporal_reachable 1$/m);
    } finally {
      dev.kill('SIGINT');
      const code = await exited;
      if (code !== 0) process.stderr.write(`ebbflow dev exited with ${code}:\n${output()}\n`);
      expect(code).toBe(0);
    }
    expect(output()).toContain('stopped.');
    expect(existsSync(path.join(stateDir, 'dev.json'))).toBe(false);
    expect(await portIsFree(temporalPort)).toBe(true);
    expect(await portIsFree(awsPort)).toBe(true);
    expect(await portIsFree(bridgePort)).toBe(true);
  }, 360_000);
});
