/**
 * The built `ebbflow dev` as the benchmarks run it: headless, on free ports and a state folder of its own, with the
 * clients that reach its servers, and the checks that tell when uploads have been processed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { createAwsClients, type AwsClients } from '../src/aws/clients';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { DEFAULT_VARIANTS, variantKey } from '../src/common/image-variants';
import { loadConfig, type DevState, type EbbflowConfig } from '../src/config';
import { freePort, waitFor } from '../src/dev/processes';
import { CLI_PATH } from '../src/paths';
import type { LoggedDecision } from '../src/scaler/types';
import { countWorkflows, endedCount } from '../src/pipeline/status';
import { connectClient } from '../src/temporal/connection';

export interface DevRun {
  child: ChildProcess;
  state: DevState;
  config: EbbflowConfig;
  aws: AwsClients;
  client: Client;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts the built `ebbflow dev` with `args` and waits until it says it is running. */
export async function startDev(name: string, args: string[], extraEnv: Record<string, string> = {}): Promise<DevRun> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), `ebbflow-bench-dev-${name}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, EBBFLOW_STATE_DIR: stateDir, ...extraEnv };
  // The stack records its own addresses in dev.json; nothing from the caller's environment may point elsewhere.
  delete env.TEMPORAL_ADDRESS;
  delete env.AWS_ENDPOINT_URL;
  const ports = ['--temporal-port', '--aws-port', '--bridge-port', '--scaler-port'];
  const portArgs: string[] = [];
  for (const flag of ports) portArgs.push(flag, String(await freePort()));
  const child = spawn(process.execPath, [CLI_PATH, 'dev', '--headless', ...portArgs, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(`ebbflow dev (${name})`, async () => output.includes('Press Ctrl-C'), {
      timeoutMs: 180_000,
      intervalMs: 100,
      abort: exited,
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  const state = JSON.parse(readFileSync(path.join(stateDir, 'dev.json'), 'utf8')) as DevState;
  const config = loadConfig(env);
  const aws = createAwsClients({ region: state.awsRegion, endpoint: state.awsEndpoint, emulatorCredentials: true });
  const client = await connectClient(config.temporal);
  return {
    child,
    state,
    config,
    aws,
    client,
    output: () => output,
    async stop() {
      await client.connection.close();
      await stop();
    },
  };
}

/** True once every variant of `key` is in the output bucket. */
export async function variantsWritten(dev: DevRun, key: string): Promise<boolean> {
  const present = await Promise.all(
    DEFAULT_VARIANTS.map((v) =>
      dev.aws.s3
        .send(
          new HeadObjectCommand({
            Bucket: dev.state.outputBucket,
            Key: variantKey(v.name, dev.state.inputBucket, key),
          }),
        )
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  return present.every(Boolean);
}

/** Waits until every workflow started for keys under `prefix` has finished; returns how many completed. */
export async function waitForBatch(dev: DevRun, prefix: string, count: number, timeoutMs = 600_000): Promise<number> {
  const query = `${SEARCH_ATTRIBUTES.sourceKey} STARTS_WITH "${prefix}"`;
  let completed = 0;
  await waitFor(
    `the batch ${prefix}`,
    async () => {
      const w = await countWorkflows(dev.client, dev.state.taskQueue, query);
      completed = w.completed;
      return endedCount(w) >= count;
    },
    { timeoutMs, intervalMs: 500 },
  );
  return completed;
}

/**
 * Whether the stack's local scaler is at rest: its latest poll (not a scale-out's) found nothing running and nothing
 * to do, with a standby worker booted and waiting. False while the scaler does not listen yet: `ebbflow dev` says it
 * runs once its processes are started.
 */
export async function scalerAtRest(dev: DevRun): Promise<boolean> {
  const answer = await fetch(`${dev.state.scalerUrl}/decisions`).catch(() => undefined);
  if (!answer?.ok) return false;
  const [latest] = (await answer.json()) as LoggedDecision[];
  return (
    latest?.direction === 'none' &&
    latest.desired === 0 &&
    latest.signals.running === 0 &&
    latest.signals.standbyReady === true
  );
}

/** Waits until the stack's local scaler is at rest: ready for a first upload. */
export async function atRestWithStandby(dev: DevRun): Promise<void> {
  await waitFor('the fleet at zero with its standby worker ready', () => scalerAtRest(dev), {
    timeoutMs: 120_000,
    intervalMs: 100,
  });
}
