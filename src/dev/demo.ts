/**
 * `ebbflow dev --demo`: generates a batch of sample photos on this machine, uploads them, and follows the batch
 * through S3 notifications, SQS, the bridge and Temporal until every photo is processed or dead-lettered.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from '../async';
import { createAwsClients } from '../aws/clients';
import { ProgressBar } from '../terminal/progress-bar';
import { SEARCH_ATTRIBUTES } from '../common/constants';
import { loadConfig, type DevState, type EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { cliCommand } from '../paths';
import { allocatorEnv } from './processes';
import { stackEnv } from './stack';
import { countWorkflows, endedCount, readFleet } from '../pipeline/status';
import type { CostReading } from '../scaler/cost-meter';
import { money } from '../simulator/cost';
import { collectUploads, uploadAll } from '../pipeline/upload';
import { connectClient } from '../temporal/connection';

interface DrawOptions {
  minSide: number;
  maxSide: number;
  onPhoto?: () => void;
  /** Stops the drawing child (SIGTERM) and rejects. */
  signal?: AbortSignal;
}

/**
 * Draws `count` sample photos into `dir` in a short-lived `ebbflow sample-photos` process. Drawing with sharp leaves
 * hundreds of megabytes with the allocator; in a child they are returned when it exits, not held by `ebbflow dev`
 * for the rest of the session.
 */
async function drawSamplePhotos(dir: string, count: number, options: DrawOptions): Promise<void> {
  const sides = ['--min-side', String(options.minSide), '--max-side', String(options.maxSide)];
  const [program, ...args] = cliCommand('sample-photos', dir, '--count', String(count), ...sides);
  const child = spawn(program, args, {
    env: { ...process.env, ...allocatorEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
  });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  createInterface({ input: child.stdout }).on('line', () => options.onPhoto?.());
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) {
    throw new Error(`drawing the sample photos failed (${signal ?? `exit ${code}`}): ${errors.trim() || 'no output'}`);
  }
}

interface DemoOptions {
  config: EbbflowConfig;
  state: DevState;
  count: number;
  logger: Logger;
  /** Give up following after this long. */
  timeoutMs?: number;
  /** The stack is stopping: end the drawing child, the uploads and the following, and reject. */
  signal?: AbortSignal;
}

interface DemoResult {
  batch: string;
  completed: number;
  failed: number;
  seconds: number;
}

/** Workers the local scaler last saw running, from its decision log; undefined without a scaler. */
async function runningWorkers(scalerUrl: string | undefined): Promise<number | undefined> {
  return scalerUrl ? (await readFleet(scalerUrl)).running : undefined;
}

/**
 * What the workers cost between two readings of the scaler's meter, as the scaler prices a task: the batch's share. The
 * workers stay up for the scale-in cooldown after it, and the meter charges a task's one-minute minimum when it stops.
 */
export function batchCost(before: CostReading, after: CostReading): string {
  const taskSeconds = after.taskSeconds - before.taskSeconds;
  const dollars = after.dollars - before.dollars;
  const p = after.price;
  return (
    `Workers ran ${taskSeconds.toFixed(1)} task-seconds during the batch: about ${money(dollars)} as Fargate tasks of ` +
    `${p.vcpu} vCPU and ${p.memoryGb} GB (${p.pricing}). Fargate bills a task until it stops, at least a minute: ` +
    'ebbflow status shows the running total, scale-in included.'
  );
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { config, state, count, signal } = options;
  // Under the image prefix, which is all the bucket's notification covers.
  const batch = `${config.image.keyPrefix}demo/${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  const dir = path.join(config.general.stateDir, 'demo-photos', path.basename(batch));
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`Sample photos are drawn on this machine into ${dir}\n`);
  const drawing = new ProgressBar('drawing   ', count);
  // Phone-camera sizes, small enough that drawing a hundred takes under a minute on two cores.
  await drawSamplePhotos(dir, count, {
    minSide: 1200,
    maxSide: 3000,
    onPhoto: () => drawing.tick(),
    signal,
  });
  drawing.finish();

  const aws = createAwsClients({ region: state.awsRegion, endpoint: state.awsEndpoint, emulatorCredentials: true });
  // The fleet's meter before the first upload: workers start as the first workflows do.
  const costBefore = state.scalerUrl ? (await readFleet(state.scalerUrl)).cost : undefined;
  const items = collectUploads([dir], batch);
  const upload = new ProgressBar('uploading ', items.length);
  await uploadAll(aws.s3, state.inputBucket, items, { onUploaded: () => upload.tick(), signal });
  upload.finish();

  // The stack's server, as its workers see it: not a Temporal Cloud address or key the shell exports.
  const client = await connectClient(loadConfig(stackEnv(state, process.env).env).temporal);
  const started = Date.now();
  const progress = new ProgressBar('processing', items.length);
  const query = `${SEARCH_ATTRIBUTES.sourceKey} STARTS_WITH "${batch}/"`;
  try {
    const deadline = started + (options.timeoutMs ?? 15 * 60_000);
    for (;;) {
      signal?.throwIfAborted();
      const w = await countWorkflows(client, state.taskQueue, query);
      const finished = endedCount(w);
      const workers = await runningWorkers(state.scalerUrl);
      progress.update(
        finished,
        `${w.running} running, ${w.failed} failed${workers === undefined ? '' : `, ${workers} worker${workers === 1 ? '' : 's'}`}`,
      );
      if (finished >= items.length) {
        progress.finish();
        const seconds = (Date.now() - started) / 1000;
        const costAfter = state.scalerUrl ? (await readFleet(state.scalerUrl)).cost : undefined;
        process.stdout.write(
          `\n${w.completed} photos processed into ${w.completed * 3} variants in ${seconds.toFixed(1)} s` +
            `${w.failed ? `, ${w.failed} failed (ebbflow dlq list)` : ''}.\n` +
            (costBefore && costAfter ? `${batchCost(costBefore, costAfter)}\n` : '') +
            `Outputs: s3://${state.outputBucket}/processed/{thumbnail,medium,large}/${state.inputBucket}/${batch}/\n` +
            (state.temporalUiUrl
              ? `Runs in the UI: ${state.temporalUiUrl}/namespaces/${state.temporalNamespace}/workflows?query=${encodeURIComponent(query)}\n`
              : ''),
        );
        return { batch, completed: w.completed, failed: w.failed, seconds };
      }
      if (Date.now() > deadline)
        throw new Error(`the demo batch did not finish within the time limit (${finished}/${items.length})`);
      await sleep(1000, signal);
    }
  } finally {
    await client.connection.close();
  }
}
