/**
 * The image's runtime stage holds only what it copies (node_modules, dist, package.json, bin). Those files, copied
 * into an empty folder the same way, must run every command: the CLI finds its own root, its workflow bundle and
 * nothing else of the checkout. Runs without a container engine, so it guards every `npm test`; the container suite
 * builds and runs the image itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { connectClient } from '../../../src/temporal/connection';
import { argsOf, readDockerfile, runtimeCopies } from '../../support/dockerfile';
import { createTestPipeline, eventually } from '../../support/stack';

const root = path.resolve(__dirname, '../../..');

/** A folder laid out like the image's WORKDIR. node_modules is linked, not copied: the same files, faster. */
function copyRuntimeFiles(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-runtime-'));
  for (const { source, target } of runtimeCopies().copies) {
    const from = path.join(root, source);
    if (!existsSync(from)) throw new Error(`${source} is missing: run npm run build first`);
    const to = path.join(dir, target);
    mkdirSync(path.dirname(to), { recursive: true });
    if (source === 'node_modules') symlinkSync(from, to, 'dir');
    else cpSync(from, to, { recursive: true });
  }
  return dir;
}

/** The image's entrypoint, with this machine's node in place of the image's. */
function entrypoint(): [string, ...string[]] {
  const [program, ...args] = JSON.parse(argsOf(readDockerfile().runtime, 'ENTRYPOINT')[0]!) as string[];
  if (program !== 'node') throw new Error(`the image's entrypoint starts ${program}, not node`);
  return [process.execPath, ...args];
}

/**
 * The runtime stage's ENV, with its paths moved into `dir` (for the WORKDIR) and `stateDir` (for the state folder),
 * so that the worker loads the workflow bundle through the same setting as in the image.
 */
function runtimeEnv(dir: string, stateDir: string): Record<string, string> {
  const { workdir } = runtimeCopies();
  const env: Record<string, string> = {};
  for (const args of argsOf(readDockerfile().runtime, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [name, ...value] = pair.split('=');
      env[name!] = value.join('=');
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (name === 'EBBFLOW_STATE_DIR') env[name] = stateDir;
    else if (value.startsWith(`${workdir}/`)) env[name] = path.join(dir, path.posix.relative(workdir, value));
  }
  return env;
}

describe('the runtime files alone', () => {
  let dir: string;
  let stateDir: string;
  let client: Client | undefined;
  const [node, ...prefix] = entrypoint();

  beforeAll(() => {
    dir = copyRuntimeFiles();
    stateDir = path.join(dir, 'state');
    mkdirSync(stateDir);
  });
  afterAll(async () => {
    await client?.connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(node, [...prefix, ...args], {
      cwd: dir,
      env: { ...process.env, ...runtimeEnv(dir, stateDir), ...env },
      encoding: 'utf8',
    });

  it('hold exactly what the runtime stage copies', () => {
    expect(
      runtimeCopies()
        .copies.map((c) => c.target)
        .sort(),
    ).toEqual(['bin', 'dist', 'node_modules', 'package.json']);
    // The image points the worker at the copied bundle; a missing file would fail every worker at start.
    expect(existsSync(runtimeEnv(dir, stateDir).EBBFLOW_WORKFLOW_BUNDLE!)).toBe(true);
  });

  it('print the help', () => {
    const result = run(['--help']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: ebbflow /);
    expect(result.stdout).toContain('worker');
  });

  it('print the resolved configuration', () => {
    const result = run(['config'], { TEMPORAL_ADDRESS: 'temporal.example:7233' });
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as { general: { stateDir: string }; temporal: { address: string } };
    expect(config.general.stateDir).toBe(stateDir);
    expect(config.temporal.address).toBe('temporal.example:7233');
  });

  it('run a worker that polls its task queue and exits cleanly on SIGTERM', async () => {
    const pipeline = await createTestPipeline('runtime');
    client = await connectClient(pipeline.config.temporal);
    const worker = spawn(node, [...prefix, 'worker'], {
      cwd: dir,
      env: {
        ...process.env,
        ...pipeline.env,
        ...runtimeEnv(dir, stateDir),
        EBBFLOW_METRICS_PORT: '0',
        EBBFLOW_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      const { taskQueue, namespace } = pipeline.config.temporal;
      await eventually(
        'the worker from the runtime files to poll its task queue',
        async () => {
          const { pollers } = await client!.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          });
          return pollers.length > 0;
        },
        60_000,
      );
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('worker started');
    expect(log).toContain('worker stopped');
  });
});
