/**
 * End-to-end throughput: real photographs through S3 notifications → SQS → bridge → Temporal → worker → S3, against
 * the same resize activity called in-process, on the same cores, reading and writing the same emulator. The gap is
 * what orchestration costs. The CPU of every process on each side is reported, per image.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImageActivities } from '../activities/images';
import { startBridge } from '../src/bridge/bridge';
import { pipelineNames, provisionPipeline } from '../src/aws/provision';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { countWorkflows, queueDepth } from '../src/ops/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/ops/upload';
import { cliCommand } from '../src/paths';
import { connectClient } from '../src/temporal/connection';
import { createActivityDeps } from '../src/worker/worker';
import { photoCorpusRoot } from './images';
import { startBenchStack } from './stack';
import { median } from './stats';
import type { BenchSection } from './types';

const IMAGES = 60;
const ROUNDS = 3;

const CONCURRENCY = os.cpus().length;
/** Activity slots of the worker: its default on this machine, twice the cores, so I/O overlaps compute. */
const WORKER_SLOTS = 2 * CONCURRENCY;

interface BaselineRun {
  seconds: number;
  /** CPU seconds of this process (the resize activity) and of the emulator. */
  self: number;
  moto: number;
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

function photoCorpus(count: number): string {
  const root = photoCorpusRoot();
  const photos: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.jpe?g$/i.test(e.name) && statSync(full).size > 200_000) photos.push(full);
    }
  };
  walk(root);
  photos.sort();
  if (photos.length === 0) throw new Error(`no JPEG photographs under ${root}`);
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
    Object.assign(env, {
      EBBFLOW_INPUT_BUCKET: res.inputBucket,
      EBBFLOW_OUTPUT_BUCKET: res.outputBucket,
      EBBFLOW_INGRESS_QUEUE_URL: res.ingressQueueUrl,
      EBBFLOW_DLQ_URL: res.dlqUrl,
      EBBFLOW_WORKER_MAX_ACTIVITIES: String(WORKER_SLOTS),
    });
    const config = loadConfig(env, { useDevState: false });
    const client = await connectClient(config.temporal);
    const completed = async (): Promise<number> =>
      (await client.workflow.count(`TaskQueue = "${config.temporal.taskQueue}" AND ExecutionStatus = "Completed"`))
        .count;
    const waitForCompleted = async (n: number): Promise<void> => {
      while ((await completed()) < n) await new Promise((r) => setTimeout(r, 200));
    };
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(worker);
    const bridgeOptions = { config, logger: silentLogger, client, sqs: aws.sqs, statsIntervalMs: 0 };
    const warmup = startBridge(bridgeOptions);
    await uploadAll(aws.s3, res.inputBucket, [{ ...items[0]!, key: 'warmup/first.jpg' }]);
    await waitForCompleted(1);
    await warmup.stop();

    /** One burst: every notification is queued before the bridge starts draining them. */
    const burst = async (round: number): Promise<Burst> => {
      const batch = items.map((item) => ({ ...item, key: `round-${round}/${item.key}` }));
      await uploadAll(aws.s3, res.inputBucket, batch);
      while ((await queueDepth(aws.sqs, res.ingressQueueUrl)).visible < batch.length) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const cpu0 = {
        worker: cpuSeconds(worker.pid),
        temporal: cpuSeconds(temporal.child.pid),
        moto: cpuSeconds(moto.child.pid),
        self: process.cpuUsage(),
      };
      // Each started workflow is awaited through its own handle (a long poll), so measuring adds no load of its own.
      const results: Promise<unknown>[] = [];
      const t1 = process.hrtime.bigint();
      const bridge = startBridge({
        ...bridgeOptions,
        afterStart: (_message, starts) => {
          for (const s of starts) results.push(client.workflow.getHandle(s.workflowId).result());
        },
      });
      while (results.length < batch.length) await new Promise((r) => setTimeout(r, 50));
      await Promise.all(results);
      const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
      const self = process.cpuUsage(cpu0.self);
      await bridge.stop();
      return {
        seconds,
        worker: cpuSeconds(worker.pid) - cpu0.worker,
        temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
        moto: cpuSeconds(moto.child.pid) - cpu0.moto,
        bridge: (self.user + self.system) / 1e6,
      };
    };

    // Rounds alternate baseline and pipeline, so drift on a shared machine hits both; each figure is the median.
    const baselineRuns = new Map<number, BaselineRun[]>([
      [CONCURRENCY, []],
      [WORKER_SLOTS, []],
    ]);
    const bursts: Burst[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [c, runs] of baselineRuns) runs.push(await resizeAll(c, items));
      bursts.push(await burst(round));
    }
    const [baselineConcurrency, baselineSeconds] = [...baselineRuns]
      .map(([c, runs]) => [c, median(runs.map((r) => r.seconds))] as const)
      .sort((a, b) => a[1] - b[1])[0]!;
    const chosen = baselineRuns.get(baselineConcurrency)!;
    const baseCpu = { self: median(chosen.map((r) => r.self)), moto: median(chosen.map((r) => r.moto)) };
    const pipelineSeconds = median(bursts.map((b) => b.seconds));
    const cpu = {
      worker: median(bursts.map((b) => b.worker)),
      bridge: median(bursts.map((b) => b.bridge)),
      temporal: median(bursts.map((b) => b.temporal)),
      moto: median(bursts.map((b) => b.moto)),
    };
    const failed = (await countWorkflows(client, config.temporal.taskQueue)).failed;
    if (failed > 0) throw new Error(`${failed} workflows failed during the benchmark`);
    await client.connection.close();

    const baselineRate = items.length / baselineSeconds;
    const pipelineRate = items.length / pipelineSeconds;
    const ratio = pipelineRate / baselineRate;
    const cost = 1 - ratio;
    // The Temporal server takes its share of the same cores here; on a cluster it would not.
    const temporalShare = cpu.temporal / pipelineSeconds / CONCURRENCY;
    const serverApartRatio = pipelineRate / (1 - temporalShare) / baselineRate;
    const perImage = (seconds: number): string => ((seconds / items.length) * 1000).toFixed(0);
    const baseTotal = baseCpu.self + baseCpu.moto;
    const pipeTotal = cpu.worker + cpu.bridge + cpu.temporal + cpu.moto;
    const markdown = `
${items.length} real photographs (Debian's plasma-workspace-wallpapers, ${Math.round(
      items.reduce((s, i) => s + i.bytes, 0) / items.length / 1024,
    )} KiB average), three variants each, on ${CONCURRENCY} cores shared by everything below.

| path | images/s | ratio to baseline |
| --- | ---: | ---: |
| baseline: resize activity called in-process, S3 in and out, ${baselineConcurrency} at a time (the faster of ${[...baselineRuns.keys()].join(' and ')}) | ${baselineRate.toFixed(2)} | 1.00 |
| pipeline: queued S3 notifications → SQS → bridge → Temporal → worker (${WORKER_SLOTS} slots) → S3 | ${pipelineRate.toFixed(2)} | ${ratio.toFixed(2)} |

Orchestration cost: **${(cost * 100).toFixed(0)} %** of throughput (target: at most 25 %). The pipeline is measured
as a running fleet meets a burst: the worker is up and has processed one image, every notification of the batch is
already queued, and the clock runs from the bridge's start to the last completed workflow. Median of ${ROUNDS}
rounds that alternate baseline and pipeline.

Where the CPU goes, per image (median rounds; user + system time of each process, all threads):

| CPU per image, ms | baseline | pipeline |
| --- | ---: | ---: |
| resize: in the benchmark's process / in \`ebbflow worker\` | ${perImage(baseCpu.self)} | ${perImage(cpu.worker)} |
| bridge (in the benchmark's process, with its waiting for results) | — | ${perImage(cpu.bridge)} |
| Temporal dev server | — | ${perImage(cpu.temporal)} |
| AWS emulator (S3; SQS for the pipeline) | ${perImage(baseCpu.moto)} | ${perImage(cpu.moto)} |
| **total** | **${perImage(baseTotal)}** | **${perImage(pipeTotal)}** |

Both sides keep all ${CONCURRENCY} cores busy, so throughput follows CPU per image: ${perImage(baseTotal)} against
${perImage(pipeTotal)} ms is a ratio of ${(baseTotal / pipeTotal).toFixed(2)}. The Temporal dev server takes
${(temporalShare * 100).toFixed(0)} % of the machine while the pipeline runs; in production it runs elsewhere (a
cluster, Temporal Cloud), so this is the cost of orchestration on one laptop. With the server's share of the cores
set aside (an estimate: throughput scaled by the cores left to the rest), the pipeline reaches
**${serverApartRatio.toFixed(2)}** of the baseline, an orchestration cost of ${((1 - serverApartRatio) * 100).toFixed(0)} %.
`;
    return {
      title: 'End to end: SQS → bridge → Temporal → worker → S3',
      markdown,
      figures: {
        baselineImagesPerSecond: baselineRate,
        pipelineImagesPerSecond: pipelineRate,
        pipelineToBaseline: ratio,
        pipelineToBaselineServerApart: serverApartRatio,
        baselineCpuMsPerImage: (baseTotal / items.length) * 1000,
        pipelineCpuMsPerImage: (pipeTotal / items.length) * 1000,
        workerCpuSeconds: cpu.worker,
        bridgeCpuSeconds: cpu.bridge,
        temporalCpuSeconds: cpu.temporal,
        emulatorCpuSeconds: cpu.moto,
      },
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await stack.stop();
  }
}
