/**
 * End-to-end throughput: real photographs through S3 notifications → SQS → bridge → Temporal → worker → S3, against
 * the same resize activity called in-process, on the same cores, reading and writing the same emulator. The gap is
 * what orchestration costs, measured with the Temporal dev server sharing the cores and with the server on a core of its
 * own (as when it runs elsewhere), and in two deployments: a bridge process beside the worker, and the bridge inside the
 * worker (EBBFLOW_WORKER_BRIDGE, eager start). The CPU of every process on each side is reported, per image.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImageActivities } from '../activities/images';
import { startBridge, WORKFLOW_ID_REUSE_POLICY, type SqsBridge } from '../src/bridge/bridge';
import { searchAttributePairs } from '../src/temporal/search-attributes';
import { pipelineEnvironment, pipelineNames, provisionPipeline } from '../src/aws/provision';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { forEachConcurrently, sleep } from '../src/async';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { countWorkflows, queueDepth } from '../src/pipeline/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/pipeline/upload';
import { NODE_FLAGS } from '../src/node-flags';
import { cliCommand } from '../src/paths';
import { connectClient } from '../src/temporal/connection';
import { createActivityDeps } from '../src/worker/worker';
import { photoCorpusPool } from './images';
import { startBenchStack } from './stack';
import { renderPipelineReport } from './pipeline-report';
import { summarise, type BareRun, type BaselineRun, type Burst, type Placement } from './pipeline-rounds';
import { cpuSeconds, hasTaskset, pinProcess, signal } from './processes';
import type { BenchSection } from './types';

const IMAGES = 60;
/** Rounds of each placement: the cost of one round has ranged over ±6 points on a shared host, so the median needs a few. */
const ROUNDS = 7;

const CONCURRENCY = os.cpus().length;
const EVERY_CORE = `0-${CONCURRENCY - 1}`;
/** Activity slots of the worker: its default on this machine, twice the cores, so I/O overlaps compute. */
const WORKER_SLOTS = 2 * CONCURRENCY;

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
      const cpu0 = { self: process.cpuUsage(), moto: cpuSeconds(moto.child.pid) };
      const t0 = process.hrtime.bigint();
      await forEachConcurrently(batch, concurrency, async (item) => {
        await mockEnv.run(activities.resizeImage, {
          bucket: base.inputBucket,
          key: item.key,
          variants: [...DEFAULT_VARIANTS],
        });
      });
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
      while ((await client.workflow.count(query)).count < n) await sleep(200);
    };
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(worker);
    const bridgeOptions = { config, logger: silentLogger, client, sqs: aws.sqs, statsIntervalMs: 0 };
    const warmup = startBridge(bridgeOptions);
    await uploadAll(aws.s3, res.inputBucket, [{ ...items[0]!, key: `${config.image.keyPrefix}warmup/first.jpg` }]);
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
    await uploadAll(aws.s3, bridgedRes.inputBucket, [
      { ...items[0]!, key: `${config.image.keyPrefix}warmup/first.jpg` },
    ]);
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
      // Ten starts in flight, as the bridge has a batch of ten messages' starts in flight.
      await forEachConcurrently(items, 10, async (item) => {
        const handle = await startBare(`bare-${round}/${item.key}`, `round-${round}/${item.key}`, item.bytes);
        results.push(handle.result());
      });
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
        await sleep(500);
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
      const batch = items.map((item) => ({ ...item, key: `${config.image.keyPrefix}round-${round}/${item.key}` }));
      await uploadAll(aws.s3, res.inputBucket, batch);
      while ((await queueDepth(aws.sqs, res.ingressQueueUrl)).visible < batch.length) {
        await sleep(100);
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
      const batch = items.map((item) => ({ ...item, key: `${config.image.keyPrefix}round-${round}/${item.key}` }));
      signal(bridgedWorker, 'SIGSTOP');
      try {
        await uploadAll(aws.s3, bridgedRes.inputBucket, batch);
        for (;;) {
          const depth = await queueDepth(aws.sqs, bridgedRes.ingressQueueUrl);
          if (depth.visible + depth.inFlight >= batch.length) break;
          await sleep(100);
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
    for (const taskQueue of [config.temporal.taskQueue, bridgedQueue]) {
      const failed = (await countWorkflows(client, taskQueue)).failed;
      if (failed > 0) throw new Error(`${failed} workflows failed during the benchmark`);
    }
    await client.connection.close();

    return renderPipelineReport({
      items,
      phases,
      localActivityMaxBytes: config.image.localActivityMaxBytes,
      cores: CONCURRENCY,
      workerSlots: WORKER_SLOTS,
      rounds: ROUNDS,
    });
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
