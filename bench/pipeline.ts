/**
 * End-to-end throughput: real photographs through S3 notifications → SQS → bridge → Temporal → worker → S3, against
 * the same resize activity called in-process, on the same cores, reading and writing the same emulator. The gap is
 * what orchestration costs, measured with the Temporal dev server sharing the cores and with the server on a core of its
 * own (as when it runs elsewhere), and in two deployments: a bridge process beside the worker, and the bridge inside the
 * worker (EBBFLOW_WORKER_BRIDGE, eager start). The CPU of every process on each side is reported, per image.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { startBridge, type SqsBridge } from '../src/bridge/bridge';
import { forEachConcurrently, sleep } from '../src/async';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { countWorkflows, queueDepth } from '../src/pipeline/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/pipeline/upload';
import { photoCorpus } from './images';
import { startBenchStack } from './stack';
import { renderPipelineReport } from './pipeline-report';
import { rigProcesses, setUpPipelineRig, startBareWorkflow, stopChildren, type PipelineRig } from './pipeline-rig';
import { summarise, type BareRun, type BaselineRun, type Burst, type Placement } from './pipeline-rounds';
import { cpuSeconds, hasTaskset, pinProcess, signal } from './processes';
import type { BenchSection } from './types';
import { lastClose } from './visibility';

const IMAGES = 60;
/** Rounds of each placement: the cost of one round has ranged over ±6 points on a shared host, so the median needs a few. */
const ROUNDS = 7;

const CONCURRENCY = os.cpus().length;
const EVERY_CORE = `0-${CONCURRENCY - 1}`;
/** Activity slots of the worker: its default on this machine, twice the cores, so I/O overlaps compute. */
const WORKER_SLOTS = 2 * CONCURRENCY;

/** One pass of the baseline over `batch`: wall seconds, and CPU seconds of this process and of the emulator. */
async function resizeAll(rig: PipelineRig, concurrency: number, batch: UploadItem[]): Promise<BaselineRun> {
  const { moto } = rig.stack;
  const cpu0 = { self: process.cpuUsage(), moto: cpuSeconds(moto.child.pid) };
  const t0 = process.hrtime.bigint();
  await forEachConcurrently(batch, concurrency, async (item) => {
    await rig.baseline.env.run(rig.baseline.activities.resizeImage, {
      bucket: rig.baseline.inputBucket,
      key: item.key,
      variants: [...DEFAULT_VARIANTS],
    });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const self = process.cpuUsage(cpu0.self);
  return { seconds, self: (self.user + self.system) / 1e6, moto: cpuSeconds(moto.child.pid) - cpu0.moto };
}

/** Temporal's floor: a bare workflow per item, ten starts in flight as the bridge has a batch of ten in flight. */
async function bareBurst(rig: PipelineRig, round: number): Promise<BareRun> {
  const { temporal } = rig.stack;
  const cpu0 = { worker: cpuSeconds(rig.bareWorker.pid), temporal: cpuSeconds(temporal.child.pid) };
  const results: Promise<unknown>[] = [];
  const t0 = process.hrtime.bigint();
  await forEachConcurrently(rig.items, 10, async (item) => {
    const handle = await startBareWorkflow(rig, `bare-${round}/${item.key}`, `round-${round}/${item.key}`, item.bytes);
    results.push(handle.result());
  });
  await Promise.all(results);
  return {
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    worker: cpuSeconds(rig.bareWorker.pid) - cpu0.worker,
    temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
  };
}

/**
 * Lets the queued batch drain (`drain` starts the bridge) and measures until the last of its `n` workflows on
 * `taskQueue` closed: the seconds, and the CPU of the worker, the server, the emulator and this process.
 */
async function measure(
  rig: PipelineRig,
  drainer: ChildProcess,
  taskQueue: string,
  n: number,
  drain: () => void,
): Promise<Burst> {
  const { temporal, moto } = rig.stack;
  const cpu0 = {
    worker: cpuSeconds(drainer.pid),
    temporal: cpuSeconds(temporal.child.pid),
    moto: cpuSeconds(moto.child.pid),
    self: process.cpuUsage(),
  };
  const t1 = new Date();
  drain();
  const batch = `TaskQueue = "${taskQueue}" AND StartTime >= "${t1.toISOString()}"`;
  const last = await lastClose(rig.client, batch, n, t1.getTime());
  const self = process.cpuUsage(cpu0.self);
  return {
    seconds: (last - t1.getTime()) / 1000,
    worker: cpuSeconds(drainer.pid) - cpu0.worker,
    temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
    moto: cpuSeconds(moto.child.pid) - cpu0.moto,
    bridge: (self.user + self.system) / 1e6,
  };
}

/** The batch of round `round`, under the pipeline's upload prefix. */
function roundBatch(rig: PipelineRig, round: number): UploadItem[] {
  return rig.items.map((item) => ({ ...item, key: `${rig.config.image.keyPrefix}round-${round}/${item.key}` }));
}

/** One burst through the bridge in this process: every notification is queued before the bridge starts draining. */
async function burst(rig: PipelineRig, round: number): Promise<Burst> {
  const { aws } = rig.stack;
  const batch = roundBatch(rig, round);
  await uploadAll(aws.s3, rig.pipeline.inputBucket, batch);
  while ((await queueDepth(aws.sqs, rig.pipeline.ingressQueueUrl)).visible < batch.length) {
    await sleep(100);
  }
  let bridge: SqsBridge | undefined;
  try {
    return await measure(rig, rig.worker, rig.config.temporal.taskQueue, batch.length, () => {
      bridge = startBridge(rig.bridgeOptions);
    });
  } finally {
    await bridge?.stop();
  }
}

/**
 * The same burst through the worker that runs the bridge. It is paused (SIGSTOP) while the batch is uploaded, so
 * every notification is queued (or sits unread in its sockets) before it drains them, as for the bridge process
 * above.
 */
async function bridgedBurst(rig: PipelineRig, round: number): Promise<Burst> {
  const { aws } = rig.stack;
  const batch = roundBatch(rig, round);
  signal(rig.bridgedWorker, 'SIGSTOP');
  try {
    await uploadAll(aws.s3, rig.bridged.inputBucket, batch);
    for (;;) {
      const depth = await queueDepth(aws.sqs, rig.bridged.ingressQueueUrl);
      if (depth.visible + depth.inFlight >= batch.length) break;
      await sleep(100);
    }
  } catch (err) {
    signal(rig.bridgedWorker, 'SIGCONT');
    throw err;
  }
  return measure(rig, rig.bridgedWorker, rig.bridgedQueue, batch.length, () => signal(rig.bridgedWorker, 'SIGCONT'));
}

/**
 * Every round, in two placements of the processes on the cores: every process on every core, the Temporal dev server
 * included, as on a laptop; and the server alone on the last core with the rest on the others, as when the server runs
 * elsewhere (a cluster, Temporal Cloud) and only the worker side takes the cores being paid for. Each round runs both
 * placements, baseline then pipeline, so drift on a shared machine hits all four alike.
 */
async function runRounds(rig: PipelineRig, canPin: boolean): Promise<Placement[]> {
  const { temporal, moto } = rig.stack;
  const serverCore = CONCURRENCY - 1;
  const placements: Placement[] = [{ cores: CONCURRENCY, apart: false, rounds: [] }];
  if (canPin) placements.push({ cores: serverCore, apart: true, rounds: [] });
  let bursts = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const placement of placements) {
      if (canPin) {
        pinProcess(temporal.child.pid!, placement.apart ? `${serverCore}` : EVERY_CORE);
        const cores = placement.apart ? `0-${serverCore - 1}` : EVERY_CORE;
        for (const pid of [process.pid, ...rigProcesses(rig).map((c) => c.pid!), moto.child.pid!]) {
          pinProcess(pid, cores);
        }
      }
      // The baseline at one resize per core and at two; the faster of the two counts.
      const baselines = [];
      for (const concurrency of [placement.cores, 2 * placement.cores]) {
        baselines.push({ ...(await resizeAll(rig, concurrency, rig.items)), concurrency });
      }
      const baseline = baselines.sort((x, y) => x.seconds - y.seconds)[0]!;
      const n = bursts++;
      placement.rounds.push({
        baseline,
        pipeline: await burst(rig, n),
        bridged: await bridgedBurst(rig, n),
        bare: await bareBurst(rig, n),
      });
    }
  }
  return placements;
}

export async function run(): Promise<BenchSection> {
  const stack = await startBenchStack('pipeline');
  const canPin = CONCURRENCY >= 2 && hasTaskset();
  let rig: PipelineRig | undefined;
  try {
    const items = collectUploads([photoCorpus(IMAGES)], 'photos');
    rig = await setUpPipelineRig(stack, items, WORKER_SLOTS);
    await resizeAll(rig, CONCURRENCY, items.slice(0, CONCURRENCY)); // warm-up: JIT, connections
    const phases = (await runRounds(rig, canPin)).map(summarise);
    for (const taskQueue of [rig.config.temporal.taskQueue, rig.bridgedQueue]) {
      const failed = (await countWorkflows(rig.client, taskQueue)).failed;
      if (failed > 0) throw new Error(`${failed} workflows failed during the benchmark`);
    }
    return renderPipelineReport({
      items,
      phases,
      localActivityMaxBytes: rig.config.image.localActivityMaxBytes,
      cores: CONCURRENCY,
      workerSlots: WORKER_SLOTS,
      rounds: ROUNDS,
    });
  } finally {
    // The sections after this one run in the same process: give it every core back.
    if (canPin) pinProcess(process.pid, EVERY_CORE);
    await rig?.client.connection.close();
    await stopChildren(rig ? rigProcesses(rig) : []);
    await stack.stop();
  }
}
