/**
 * End-to-end throughput: real photographs through S3 notifications → SQS → bridge → Temporal → worker → S3, against
 * the same resize activity called in-process, on the same cores, reading and writing the same emulator. The gap is
 * what orchestration costs, measured with the Temporal dev server sharing the cores and with the server on a core of its
 * own (as when it runs elsewhere), and in two deployments: a bridge process beside the worker, and the bridge inside the
 * worker (EBBFLOW_WORKER_BRIDGE, eager start). The CPU of every process on each side is reported, per image.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImageActivities } from '../activities/images';
import { startBridge, WORKFLOW_ID_REUSE_POLICY, type SqsBridge } from '../src/bridge/bridge';
import { searchAttributePairs } from '../src/temporal/search-attributes';
import { pipelineEnvironment, pipelineNames, provisionPipeline } from '../src/aws/provision';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { DEFAULT_VARIANTS, resizesLocally } from '../src/common/image-variants';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { countWorkflows, queueDepth } from '../src/ops/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/ops/upload';
import { cliCommand, NODE_FLAGS } from '../src/paths';
import { connectClient } from '../src/temporal/connection';
import { createActivityDeps } from '../src/worker/worker';
import { photoCorpusPool } from './images';
import { startBenchStack } from './stack';
import { median } from './stats';
import type { BenchSection } from './types';

const IMAGES = 60;
/** Rounds of each placement: the cost of one round has ranged over ±6 points on a shared host, so the median needs a few. */
const ROUNDS = 7;

const CONCURRENCY = os.cpus().length;
const EVERY_CORE = `0-${CONCURRENCY - 1}`;
/** Activity slots of the worker: its default on this machine, twice the cores, so I/O overlaps compute. */
const WORKER_SLOTS = 2 * CONCURRENCY;

interface BaselineRun {
  seconds: number;
  /** CPU seconds of this process (the resize activity) and of the emulator. */
  self: number;
  moto: number;
}

interface Placement {
  /** Cores the resize work may use (the baseline, worker, bridge and emulator). */
  cores: number;
  /** Whether the Temporal server has a core of its own. */
  apart: boolean;
  rounds: { baseline: BaselineRun & { concurrency: number }; pipeline: Burst; bridged: Burst; bare: BareRun }[];
}

/** The same number of bare workflows (bench/bare-workflow.ts) through the same server, on a worker of their own. */
interface BareRun {
  seconds: number;
  /** CPU seconds of the bare worker and of the server. */
  worker: number;
  temporal: number;
}

/** A placement's medians over its rounds. */
interface Phase {
  cores: number;
  /** The baseline's concurrency that was faster most often. */
  baseline: BaselineRun & { concurrency: number };
  pipeline: Burst;
  /** The pipeline with the bridge inside the worker process. */
  bridged: Burst;
  bare: BareRun;
  /** The rounds' throughput ratios, pipeline to baseline (each round's pair ran back to back). */
  ratio: Ratios;
  /** The same for the pipeline with the bridge inside the worker. */
  bridgedRatio: Ratios;
}

/** Ratios over the rounds: their median, and the lowest and highest. */
interface Ratios {
  median: number;
  range: [number, number];
}

function summarise(placement: Placement): Phase {
  const { rounds } = placement;
  const mid = (pick: (r: Placement['rounds'][number]) => number): number => median(rounds.map(pick));
  const ratios = (pick: (r: Placement['rounds'][number]) => Burst): Ratios => {
    const each = rounds.map((r) => r.baseline.seconds / pick(r).seconds);
    return { median: median(each), range: [Math.min(...each), Math.max(...each)] };
  };
  const burst = (pick: (r: Placement['rounds'][number]) => Burst): Burst => ({
    seconds: mid((r) => pick(r).seconds),
    worker: mid((r) => pick(r).worker),
    bridge: mid((r) => pick(r).bridge),
    temporal: mid((r) => pick(r).temporal),
    moto: mid((r) => pick(r).moto),
  });
  const counts = new Map<number, number>();
  for (const { baseline } of rounds) counts.set(baseline.concurrency, (counts.get(baseline.concurrency) ?? 0) + 1);
  return {
    cores: placement.cores,
    baseline: {
      concurrency: [...counts].sort((a, b) => b[1] - a[1])[0]![0],
      seconds: mid((r) => r.baseline.seconds),
      self: mid((r) => r.baseline.self),
      moto: mid((r) => r.baseline.moto),
    },
    pipeline: burst((r) => r.pipeline),
    bridged: burst((r) => r.bridged),
    bare: {
      seconds: mid((r) => r.bare.seconds),
      worker: mid((r) => r.bare.worker),
      temporal: mid((r) => r.bare.temporal),
    },
    ratio: ratios((r) => r.pipeline),
    bridgedRatio: ratios((r) => r.bridged),
  };
}

interface Burst {
  seconds: number;
  /** CPU seconds of each process while the burst ran. */
  worker: number;
  bridge: number;
  temporal: number;
  moto: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Sends a signal to a child process that must still be running. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode !== null || !child.kill(name))
    throw new Error(`a benchmark process exited (code ${child.exitCode})`);
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Restricts a process, every thread it has and every thread it will start, to the given cores (`taskset -a`). */
function pinProcess(pid: number, cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** A folder of `count` photographs: the image benchmark's full-size ones, each used in turn, under distinct names. */
function photoCorpus(count: number): string {
  const photos = photoCorpusPool();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-photos-'));
  for (let i = 0; i < count; i++)
    copyFileSync(photos[i % photos.length]!, path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`));
  return dir;
}

export async function run(): Promise<BenchSection> {
  const photos = photoCorpus(IMAGES);
  const stack = await startBenchStack('pipeline');
  const { temporal, moto, aws } = stack;
  const env = { ...stack.env };
  const children: ReturnType<typeof spawn>[] = [];
  const canPin = CONCURRENCY >= 2 && hasTaskset();
  try {
    const items = collectUploads([photos], 'photos');

    // Baseline: the activity in-process over originals already in the bucket, at the better of two concurrencies.
    const base = await provisionPipeline(aws, pipelineNames('baseline'));
    await uploadAll(aws.s3, base.inputBucket, items);
    const baseConfig = loadConfig({ ...env, EBBFLOW_OUTPUT_BUCKET: base.outputBucket }, { useDevState: false });
    const activities = createImageActivities(createActivityDeps(baseConfig, silentLogger));
    const mockEnv = new MockActivityEnvironment();
    /** One pass over the batch; wall seconds, and CPU seconds of this process and of the emulator. */
    const resizeAll = async (concurrency: number, batch: UploadItem[]): Promise<BaselineRun> => {
      let next = 0;
      const cpu0 = { self: process.cpuUsage(), moto: cpuSeconds(moto.child.pid) };
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < batch.length) {
            const item = batch[next++]!;
            await mockEnv.run(activities.resizeImage, {
              bucket: base.inputBucket,
              key: item.key,
              variants: [...DEFAULT_VARIANTS],
            });
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const self = process.cpuUsage(cpu0.self);
      return { seconds, self: (self.user + self.system) / 1e6, moto: cpuSeconds(moto.child.pid) - cpu0.moto };
    };
    await resizeAll(CONCURRENCY, items.slice(0, CONCURRENCY)); // warm-up: JIT, connections

    // The pipeline, warmed up: a worker process with the default slots, and one image through it first, so process
    // start and workflow-bundle load stay outside the window as they would in a running fleet.
    const res = await provisionPipeline(aws, pipelineNames('pipeline'));
    Object.assign(env, pipelineEnvironment(res), { EBBFLOW_WORKER_MAX_ACTIVITIES: String(WORKER_SLOTS) });
    const config = loadConfig(env, { useDevState: false });
    const client = await connectClient(config.temporal);
    const waitForCompleted = async (n: number, taskQueue = config.temporal.taskQueue): Promise<void> => {
      const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`;
      while ((await client.workflow.count(query)).count < n) await new Promise((r) => setTimeout(r, 200));
    };
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(worker);
    const bridgeOptions = { config, logger: silentLogger, client, sqs: aws.sqs, statsIntervalMs: 0 };
    const warmup = startBridge(bridgeOptions);
    await uploadAll(aws.s3, res.inputBucket, [{ ...items[0]!, key: 'warmup/first.jpg' }]);
    await waitForCompleted(1);
    await warmup.stop();

    // The other deployment: a worker process that runs the bridge too (EBBFLOW_WORKER_BRIDGE), on a pipeline and task
    // queue of its own, warmed up the same way.
    const bridgedRes = await provisionPipeline(aws, pipelineNames('bridged'));
    const bridgedQueue = `${config.temporal.taskQueue}-bridged`;
    const bridgedWorker = spawn(program, argv, {
      env: {
        ...process.env,
        ...env,
        ...pipelineEnvironment(bridgedRes),
        EBBFLOW_TASK_QUEUE: bridgedQueue,
        EBBFLOW_WORKER_BRIDGE: 'true',
        EBBFLOW_BRIDGE_METRICS_PORT: '0',
      },
      stdio: 'ignore',
    });
    children.push(bridgedWorker);
    await uploadAll(aws.s3, bridgedRes.inputBucket, [{ ...items[0]!, key: 'warmup/first.jpg' }]);
    await waitForCompleted(1, bridgedQueue);

    // Temporal's own floor: bare workflows (one activity that does nothing, scheduled as the image workflow schedules
    // its resize), started the way the bridge starts image workflows, on a worker process of their own with the same
    // flags and slots.
    const bareQueue = `${config.temporal.taskQueue}-bare`;
    const bareWorker = spawn(process.execPath, [...NODE_FLAGS, path.join(__dirname, 'bare-worker.js')], {
      env: { ...process.env, ...env, BARE_TASK_QUEUE: bareQueue, BARE_SLOTS: String(WORKER_SLOTS) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(bareWorker);
    const startBare = (id: string, key: string, sizeBytes: number) =>
      client.workflow.start('bareWorkflow', {
        taskQueue: bareQueue,
        workflowId: id,
        args: [
          {
            bucket: res.inputBucket,
            key,
            sizeBytes,
            localActivityMaxBytes: config.image.localActivityMaxBytes,
            variants: [...DEFAULT_VARIANTS],
          },
        ],
        workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY,
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: searchAttributePairs({
          [SEARCH_ATTRIBUTES.sourceBucket]: res.inputBucket,
          [SEARCH_ATTRIBUTES.sourceKey]: key,
        }),
      });
    await (await startBare('bare-warmup', 'warmup/first.jpg', items[0]!.bytes)).result();
    const bareBurst = async (round: number): Promise<BareRun> => {
      const cpu0 = { worker: cpuSeconds(bareWorker.pid), temporal: cpuSeconds(temporal.child.pid) };
      const results: Promise<unknown>[] = [];
      const t0 = process.hrtime.bigint();
      let next = 0;
      // Ten starts in flight, as the bridge has a batch of ten messages' starts in flight.
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < items.length) {
            const item = items[next++]!;
            const handle = await startBare(`bare-${round}/${item.key}`, `round-${round}/${item.key}`, item.bytes);
            results.push(handle.result());
          }
        }),
      );
      await Promise.all(results);
      return {
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
        worker: cpuSeconds(bareWorker.pid) - cpu0.worker,
        temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
      };
    };

    /**
     * When the last of the `n` workflows started on `taskQueue` since `since` closed, by the server's clock (the same
     * host's): counted in visibility every half second, then read from their close times, so neither the polling
     * interval nor visibility's lag adds to the measured time.
     */
    const lastClose = async (taskQueue: string, since: Date, n: number): Promise<Date> => {
      const query = `TaskQueue = "${taskQueue}" AND StartTime >= "${since.toISOString()}"`;
      while ((await client.workflow.count(`${query} AND ExecutionStatus != "Running"`)).count < n) {
        await new Promise((r) => setTimeout(r, 500));
      }
      let last = since.getTime();
      for await (const run of client.workflow.list({ query })) {
        if (run.status.name !== 'COMPLETED') throw new Error(`workflow ${run.workflowId} ended ${run.status.name}`);
        last = Math.max(last, run.closeTime!.getTime());
      }
      return new Date(last);
    };

    /**
     * Lets the queued batch drain (`drain` starts the bridge) and measures until the last of its `n` workflows on
     * `taskQueue` closed: the seconds, and the CPU of the worker, the server, the emulator and this process.
     */
    const measure = async (drainer: ChildProcess, taskQueue: string, n: number, drain: () => void): Promise<Burst> => {
      const cpu0 = {
        worker: cpuSeconds(drainer.pid),
        temporal: cpuSeconds(temporal.child.pid),
        moto: cpuSeconds(moto.child.pid),
        self: process.cpuUsage(),
      };
      const t1 = new Date();
      drain();
      const last = await lastClose(taskQueue, t1, n);
      const self = process.cpuUsage(cpu0.self);
      return {
        seconds: (last.getTime() - t1.getTime()) / 1000,
        worker: cpuSeconds(drainer.pid) - cpu0.worker,
        temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
        moto: cpuSeconds(moto.child.pid) - cpu0.moto,
        bridge: (self.user + self.system) / 1e6,
      };
    };

    /** One burst: every notification is queued before the bridge starts draining them. */
    const burst = async (round: number): Promise<Burst> => {
      const batch = items.map((item) => ({ ...item, key: `round-${round}/${item.key}` }));
      await uploadAll(aws.s3, res.inputBucket, batch);
      while ((await queueDepth(aws.sqs, res.ingressQueueUrl)).visible < batch.length) {
        await new Promise((r) => setTimeout(r, 100));
      }
      let bridge: SqsBridge | undefined;
      try {
        return await measure(worker, config.temporal.taskQueue, batch.length, () => {
          bridge = startBridge(bridgeOptions);
        });
      } finally {
        await bridge?.stop();
      }
    };

    /**
     * The same burst through the worker that runs the bridge. It is paused (SIGSTOP) while the batch is uploaded, so
     * every notification is queued (or sits unread in its sockets) before it drains them, as for the bridge process
     * above.
     */
    const bridgedBurst = async (round: number): Promise<Burst> => {
      const batch = items.map((item) => ({ ...item, key: `round-${round}/${item.key}` }));
      signal(bridgedWorker, 'SIGSTOP');
      try {
        await uploadAll(aws.s3, bridgedRes.inputBucket, batch);
        for (;;) {
          const depth = await queueDepth(aws.sqs, bridgedRes.ingressQueueUrl);
          if (depth.visible + depth.inFlight >= batch.length) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch (err) {
        signal(bridgedWorker, 'SIGCONT');
        throw err;
      }
      return measure(bridgedWorker, bridgedQueue, batch.length, () => signal(bridgedWorker, 'SIGCONT'));
    };

    // Two placements of the processes on the cores: every process on every core, the Temporal dev server included,
    // as on a laptop; and the server alone on the last core with the rest on the others, as when the server runs
    // elsewhere (a cluster, Temporal Cloud) and only the worker side takes the cores being paid for. Each round runs
    // both placements, baseline then pipeline, so drift on a shared machine hits all four alike.
    const serverCore = CONCURRENCY - 1;
    const placements: Placement[] = [{ cores: CONCURRENCY, apart: false, rounds: [] }];
    if (canPin) placements.push({ cores: serverCore, apart: true, rounds: [] });
    let bursts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const placement of placements) {
        if (canPin) {
          pinProcess(temporal.child.pid!, placement.apart ? `${serverCore}` : EVERY_CORE);
          const cores = placement.apart ? `0-${serverCore - 1}` : EVERY_CORE;
          for (const pid of [process.pid, worker.pid!, bridgedWorker.pid!, bareWorker.pid!, moto.child.pid!]) {
            pinProcess(pid, cores);
          }
        }
        // The baseline at one resize per core and at two; the faster of the two counts.
        const baselines = [];
        for (const concurrency of [placement.cores, 2 * placement.cores]) {
          baselines.push({ ...(await resizeAll(concurrency, items)), concurrency });
        }
        const baseline = baselines.sort((x, y) => x.seconds - y.seconds)[0]!;
        const round = bursts++;
        placement.rounds.push({
          baseline,
          pipeline: await burst(round),
          bridged: await bridgedBurst(round),
          bare: await bareBurst(round),
        });
      }
    }
    const phases = placements.map(summarise);
    const shared = phases[0]!;
    const separate = phases[1];
    for (const taskQueue of [config.temporal.taskQueue, bridgedQueue]) {
      const failed = (await countWorkflows(client, taskQueue)).failed;
      if (failed > 0) throw new Error(`${failed} workflows failed during the benchmark`);
    }
    await client.connection.close();

    const rate = (seconds: number): number => items.length / seconds;
    const perImage = (seconds: number): string => ((seconds / items.length) * 1000).toFixed(0);
    const baseTotal = (phase: Phase): number => phase.baseline.self + phase.baseline.moto;
    const burstTotal = (b: Burst): number => b.worker + b.bridge + b.temporal + b.moto;
    const pipeTotal = (phase: Phase): number => burstTotal(phase.pipeline);
    // One decimal, and the verdict from the unrounded ratio: a cost of 25.2 % must not read as meeting 25 %.
    const percent = (ratio: number): string => `${((1 - ratio) * 100).toFixed(1)} %`;
    const verdict = (ratio: number): string => `**${percent(ratio)}** (${ratio >= 0.75 ? 'met' : '**missed**'})`;
    const rows = (phase: Phase, where: string): string =>
      [
        `| baseline: resize activity called in-process, S3 in and out, ${phase.baseline.concurrency} at a time | ${where} | ${rate(phase.baseline.seconds).toFixed(2)} | 1.00 |`,
        `| pipeline: queued S3 notifications → SQS → \`ebbflow bridge\` → Temporal → \`ebbflow worker\` (${WORKER_SLOTS} slots) → S3 | ${where} | ${rate(phase.pipeline.seconds).toFixed(2)} | ${phase.ratio.median.toFixed(2)} |`,
        `| pipeline, the bridge inside the worker (\`EBBFLOW_WORKER_BRIDGE\`, eager start) | ${where} | ${rate(phase.bridged.seconds).toFixed(2)} | ${phase.bridgedRatio.median.toFixed(2)} |`,
      ].join('\n');
    const cpuRow = (label: string, cells: (p: Phase) => [string, string, string]): string =>
      `| ${label} | ${phases.map((p) => cells(p).join(' | ')).join(' | ')} |`;
    const bareTotal = ({ bare }: Phase): number => bare.worker + bare.temporal;
    const bareRow = (label: string, cell: (b: BareRun) => string): string =>
      `| ${label} | ${cell(shared.bare)} |${separate ? ` ${cell(separate.bare)} |` : ''}`;
    const local = items.filter((i) => resizesLocally(i.bytes, config.image.localActivityMaxBytes)).length;
    const localNote =
      local === items.length
        ? `Every original is within EBBFLOW_IMAGE_LOCAL_MAX_BYTES (${config.image.localActivityMaxBytes} bytes), so each resize ran as a local activity, as it does by default.`
        : `${local} of the ${items.length} originals are within EBBFLOW_IMAGE_LOCAL_MAX_BYTES (${config.image.localActivityMaxBytes} bytes) and were resized as local activities; the rest as regular ones.`;
    const range = (r: [number, number]): string => `${percent(r[1])} to ${percent(r[0])}`;
    const markdown = `
${items.length} uploads of real photographs (the full-size ones of Debian's plasma-workspace-wallpapers, as in the
image benchmark, each in turn; ${Math.round(items.reduce((s, i) => s + i.bytes, 0) / items.length / 1024)} KiB
average), three variants each, on a machine of ${CONCURRENCY} cores, in two placements: every
process on every core, the Temporal dev server included, as on a laptop; and the server alone on one core and
everything else on the other${CONCURRENCY > 2 ? 's' : ''}, as when the server runs elsewhere (a cluster, Temporal
Cloud) and only the worker side takes the cores being paid for. Two deployments: the bridge as a process of its own,
and the bridge inside the worker (\`EBBFLOW_WORKER_BRIDGE=true\`), whose starts hand each workflow's first task straight
back to that worker (eager start). ${localNote}

| path | cores | images/s | ratio to baseline |
| --- | --- | ---: | ---: |
${rows(shared, `all ${CONCURRENCY}, shared with the server`)}
${
  separate
    ? rows(separate, `${separate.cores}, the server on a core of its own`)
    : '| (the server on a core of its own: not measured, it needs two cores or more and `taskset`) | | | |'
}

Orchestration cost with the server on the same cores (target: at most 25 % of throughput): ${verdict(shared.ratio.median)}
with the bridge as a process of its own, ${verdict(shared.bridgedRatio.median)} with the bridge inside the worker.${
      separate
        ? ` With the server on a core of its own: ${percent(separate.ratio.median)} and ${percent(separate.bridgedRatio.median)}.`
        : ''
    } The pipeline is measured as a running fleet meets a burst: the worker is up and has processed one image, every
notification of the batch is already queued, and the clock runs from the moment the bridge may receive (the bridge
process starts; the worker that holds the bridge, paused while the batch was uploaded, resumes) to the close time of
the last workflow, as the server recorded it. ${ROUNDS} rounds, each running both placements, baseline then the pipelines, so drift on a shared machine
hits all alike; images/s are medians, each ratio is the median of the rounds' ratios. Round by round the cost ranged
from ${range(shared.ratio.range)} (bridge process) and from ${range(shared.bridgedRatio.range)} (bridge in the worker) with the
server on the same cores${
      separate
        ? `, and from ${range(separate.ratio.range)} and ${range(separate.bridgedRatio.range)} with it apart`
        : ''
    }.

Where the CPU goes, per image (median rounds; user + system time of each process, all threads):

| CPU per image, ms | ${phases.map((p) => (p === shared ? 'baseline, shared | bridge process, shared | bridge in worker, shared' : 'baseline, server apart | bridge process, server apart | bridge in worker, server apart')).join(' | ')} |
| --- |${phases.map(() => ' ---: | ---: | ---: |').join('')}
${cpuRow("resize: in the benchmark's process / in `ebbflow worker`", (p) => [
  perImage(p.baseline.self),
  perImage(p.pipeline.worker),
  perImage(p.bridged.worker),
])}
${cpuRow("the benchmark's process: the bridge and the counting of completions / only the counting", (p) => [
  '—',
  perImage(p.pipeline.bridge),
  perImage(p.bridged.bridge),
])}
${cpuRow('Temporal dev server', (p) => ['—', perImage(p.pipeline.temporal), perImage(p.bridged.temporal)])}
${cpuRow('AWS emulator (S3; SQS for the pipelines)', (p) => [
  perImage(p.baseline.moto),
  perImage(p.pipeline.moto),
  perImage(p.bridged.moto),
])}
${cpuRow('**total**', (p) => [
  `**${perImage(baseTotal(p))}**`,
  `**${perImage(pipeTotal(p))}**`,
  `**${perImage(burstTotal(p.bridged))}**`,
])}

Each side keeps its cores busy, so throughput follows CPU per image: on shared cores ${perImage(baseTotal(shared))}
against ${perImage(pipeTotal(shared))} ms with the bridge process (a ratio of ${(baseTotal(shared) / pipeTotal(shared)).toFixed(2)})
and ${perImage(burstTotal(shared.bridged))} ms with the bridge in the worker (${(baseTotal(shared) / burstTotal(shared.bridged)).toFixed(2)}); the
Temporal dev server takes ${perImage(shared.pipeline.temporal)} and ${perImage(shared.bridged.temporal)} ms of those,
including about 1 ms per image for the benchmark counting completions in visibility every half second.${
      separate
        ? ` With the server apart, the cores that do the work spend ${perImage(pipeTotal(separate) - separate.pipeline.temporal)} and ${perImage(burstTotal(separate.bridged) - separate.bridged.temporal)} ms per image against the baseline's ${perImage(baseTotal(separate))}.`
        : ''
    }

How much of that is Temporal's own, whatever the work: ${items.length} bare workflows (bench/bare-workflow.ts: one
activity that does nothing, scheduled as the image workflow schedules its resize, with the same timeouts, retry policy
and search attributes), started ten at a time without eager start on a worker process of their own after each burst,
cost per workflow:

| CPU per bare workflow, ms | shared |${separate ? ' server apart |' : ''}
| --- | ---: |${separate ? ' ---: |' : ''}
${bareRow('Temporal dev server', (b) => perImage(b.temporal))}
${bareRow('its worker (SDK only: the activity returns its input)', (b) => perImage(b.worker))}
${bareRow('workflows per second', (b) => rate(b.seconds).toFixed(1))}

On shared cores that floor is ${perImage(bareTotal(shared))} ms per item of the ${perImage(pipeTotal(shared) - baseTotal(shared))} ms
the pipeline with the bridge process adds per image; added to the baseline's ${perImage(baseTotal(shared))} ms, it alone
would cost ${percent(baseTotal(shared) / (baseTotal(shared) + bareTotal(shared)))} of throughput. The rest is SQS and
the bridge, and what the image workflow costs the server and its worker beyond a bare one.
`;
    return {
      title: 'End to end: SQS → bridge → Temporal → worker → S3',
      markdown,
      figures: {
        baselineImagesPerSecond: rate(shared.baseline.seconds),
        pipelineImagesPerSecond: rate(shared.pipeline.seconds),
        pipelineToBaseline: shared.ratio.median,
        pipelineBridgeInWorkerToBaseline: shared.bridgedRatio.median,
        ...(separate
          ? {
              pipelineToBaselineServerApart: separate.ratio.median,
              pipelineBridgeInWorkerToBaselineServerApart: separate.bridgedRatio.median,
            }
          : {}),
        baselineCpuMsPerImage: (baseTotal(shared) / items.length) * 1000,
        pipelineCpuMsPerImage: (pipeTotal(shared) / items.length) * 1000,
        pipelineBridgeInWorkerCpuMsPerImage: (burstTotal(shared.bridged) / items.length) * 1000,
        workerCpuSeconds: shared.pipeline.worker,
        bridgeCpuSeconds: shared.pipeline.bridge,
        temporalCpuSeconds: shared.pipeline.temporal,
        emulatorCpuSeconds: shared.pipeline.moto,
        bareWorkflowServerCpuMs: (shared.bare.temporal / items.length) * 1000,
        bareWorkflowWorkerCpuMs: (shared.bare.worker / items.length) * 1000,
        bareWorkflowsPerSecond: rate(shared.bare.seconds),
      },
    };
  } finally {
    // The sections after this one run in the same process: give it every core back.
    if (canPin) pinProcess(process.pid, EVERY_CORE);
    for (const child of children) {
      child.kill('SIGCONT'); // a paused worker must run to take its SIGTERM
      child.kill('SIGTERM');
    }
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await stack.stop();
  }
}
