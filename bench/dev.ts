/**
 * The local stack as a person runs it: the built `ebbflow dev`, headless, on free ports and a state folder of its own.
 * Three measurements: the cold start of a fleet scaled to zero (first upload → the first image's variants all in the
 * output bucket) against a fleet whose worker already runs; the peak resident memory of every process of the stack
 * while the demo runs; and one worker's resident memory over 1,000 images.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { sleep } from '../src/async';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import type { LoggedDecision } from '../src/scaler/types';
import { waitFor } from '../src/dev/processes';
import { writeSamplePhotos } from '../src/images/sample-photos';
import { countWorkflows } from '../src/pipeline/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/pipeline/upload';
import { formatBytes } from '../src/terminal/format';
import { startDev, variantsWritten, waitForBatch, type DevRun } from './dev-stack';
import { commandLine, descendants, residentBytes } from './processes';
import { median } from './stats';
import type { BenchSection } from './types';

/** Cold starts measured on each fleet. */
const ROUNDS = 5;
/** Photos uploaded in one round; the first one uploaded is timed. */
const ROUND_PHOTOS = 4;
/** Photos of the demo batch: as many as the hand measurement of drawing them inside `ebbflow dev` used. */
const DEMO_PHOTOS = 30;
/** Images through one worker for the long run, and where its memory is read. */
const LONG_RUN = 1000;
const CHECKPOINTS = [200, 400, 600, 800, 1000];
/** Distinct photos the long run cycles through, at the demo's sizes. */
const DISTINCT_PHOTOS = 16;
const PHOTO_SIDES = { minSide: 1200, maxSide: 3000 };
/** The goal for the cold start on this kind of machine. */
const COLD_START_GOAL_MS = 3000;
/** Short cooldowns, so that the fleet goes back to zero between rounds within seconds. */
const SCALER_ENV = {
  EBBFLOW_SCALER_SCALE_IN_COOLDOWN: '3s',
  EBBFLOW_SCALER_SCALE_OUT_COOLDOWN: '1s',
};

interface ProcessMemory {
  pid: number;
  role: string;
  peak: number;
  now: number;
  gone: boolean;
}

/** What a process of the stack is, from its command line. */
function roleOf(argv: string[]): string {
  const cli = argv.findIndex((a) => a.endsWith(path.join('bin', 'ebbflow.js')));
  if (cli >= 0) return `ebbflow ${argv[cli + 1] ?? ''}`.trim();
  if (argv.includes('start-dev')) return 'Temporal dev server';
  if (argv.some((a) => a.endsWith('moto_server'))) return 'AWS emulator (moto)';
  return path.basename(argv[0] ?? 'unknown');
}

/** Reads the resident memory of a process and everything below it, every `intervalMs`, keeping each one's peak. */
class TreeSampler {
  readonly seen = new Map<number, ProcessMemory>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly root: number) {}

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  /** Processes alive at the last sample whose role is `role`. */
  alive(role: string): ProcessMemory[] {
    return [...this.seen.values()].filter((p) => p.role === role && !p.gone);
  }

  sample(): void {
    const pids = new Set([this.root, ...descendants(this.root)]);
    for (const pid of pids) {
      const memory = residentBytes(pid);
      if (!memory) continue;
      let entry = this.seen.get(pid);
      if (!entry) {
        entry = { pid, role: roleOf(commandLine(pid)), peak: 0, now: 0, gone: false };
        this.seen.set(pid, entry);
      }
      entry.peak = Math.max(entry.peak, memory.peak);
      entry.now = memory.now;
    }
    for (const entry of this.seen.values()) if (!pids.has(entry.pid)) entry.gone = true;
  }

  /** A copy of what has been seen so far. */
  snapshot(): ProcessMemory[] {
    return [...this.seen.values()].map((p) => ({ ...p }));
  }
}

interface Round {
  /** First upload → the first photo's variants all written. */
  ms: number;
  /** First upload → the scaler's decision to start a worker (a fleet with a scaler only). */
  scaleOutMs?: number;
}

/** Uploads a round of photos and times the first upload → the first photo's variants all written. */
async function coldStart(dev: DevRun, photos: string, round: string): Promise<Round> {
  const prefix = `${dev.config.image.keyPrefix}bench-${round}/`;
  const items = collectUploads([photos], prefix).slice(0, ROUND_PHOTOS);
  const first = items[0]!;
  const t0 = Date.now();
  const uploading = uploadAll(dev.aws.s3, dev.state.inputBucket, items);
  await waitFor(`the variants of ${first.key}`, () => variantsWritten(dev, first.key), {
    timeoutMs: 120_000,
    intervalMs: 50,
  });
  const ms = Date.now() - t0;
  let scaleOutMs: number | undefined;
  if (dev.state.scalerUrl) {
    const changes = (await (await fetch(`${dev.state.scalerUrl}/decisions?changes=1`)).json()) as LoggedDecision[];
    const out = changes.filter((d) => d.direction === 'out' && d.at >= t0).at(-1);
    scaleOutMs = out ? out.at - t0 : undefined;
  }
  await uploading;
  await waitForBatch(dev, prefix, items.length);
  return { ms, scaleOutMs };
}

/** Waits until the scaler has taken the fleet to zero and its scale-out cooldown has passed. */
async function fleetAtZero(dev: DevRun, sampler: TreeSampler): Promise<void> {
  await waitFor(
    'the fleet back at zero',
    async () => {
      const [latest] = (await (await fetch(`${dev.state.scalerUrl}/decisions`)).json()) as {
        signals?: { running?: number };
      }[];
      sampler.sample();
      return latest?.signals?.running === 0 && sampler.alive('ebbflow worker').length === 0;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  await sleep(1500);
}

/**
 * How long after a workflow starts the Temporal server's statistics show it as backlog (DescribeTaskQueue with
 * reportStats, as the scaler reads them), on a task queue of its own that no worker polls; ms.
 */
async function backlogVisibleAfter(dev: DevRun, attempt: number): Promise<number> {
  const taskQueue = `bench-backlog-${attempt}-${Date.now()}`;
  const backlog = async (): Promise<number> => {
    const { stats } = await dev.client.workflowService.describeTaskQueue({
      namespace: dev.state.temporalNamespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    return Number(stats?.approximateBacklogCount ?? 0);
  };
  await backlog();
  const t0 = Date.now();
  const handle = await dev.client.workflow.start('processImageWorkflow', { taskQueue, workflowId: taskQueue });
  try {
    await waitFor('the backlog statistic', async () => (await backlog()) > 0, { timeoutMs: 60_000, intervalMs: 100 });
    return Date.now() - t0;
  } finally {
    await handle.terminate('measured');
  }
}

interface LongRun {
  /** Resident memory of the worker when the completed count first reached each checkpoint. */
  checkpoints: { images: number; rss: number }[];
  peak: number;
  seconds: number;
  workers: number;
  completed: number;
}

/** 1,000 uploads through a fleet of at most one worker, its memory read as the completed count passes checkpoints. */
async function longRun(dev: DevRun, photos: string[], sampler: TreeSampler): Promise<LongRun> {
  const prefix = `${dev.config.image.keyPrefix}bench-long/`;
  const items: UploadItem[] = Array.from({ length: LONG_RUN }, (_, i) => {
    const file = photos[i % photos.length]!;
    return { file, key: `${prefix}photo-${String(i).padStart(4, '0')}.jpg`, bytes: 0 };
  });
  for (const item of items) item.bytes = readFileSync(item.file).length;
  const query = `${SEARCH_ATTRIBUTES.sourceKey} STARTS_WITH "${prefix}"`;
  const workersBefore = new Set(
    sampler
      .snapshot()
      .filter((p) => p.role === 'ebbflow worker')
      .map((p) => p.pid),
  );
  const t0 = Date.now();
  const uploading = uploadAll(dev.aws.s3, dev.state.inputBucket, items);
  const checkpoints: LongRun['checkpoints'] = [];
  let completed = 0;
  while (checkpoints.length < CHECKPOINTS.length) {
    const w = await countWorkflows(dev.client, dev.state.taskQueue, query);
    completed = w.completed;
    sampler.sample();
    const rss = Math.max(0, ...sampler.alive('ebbflow worker').map((p) => p.now));
    while (checkpoints.length < CHECKPOINTS.length && w.completed >= CHECKPOINTS[checkpoints.length]!) {
      checkpoints.push({ images: CHECKPOINTS[checkpoints.length]!, rss });
    }
    const finished = w.completed + w.failed + w.timedOut + w.terminated;
    if (finished >= LONG_RUN) break;
    if (Date.now() - t0 > 30 * 60_000) throw new Error(`the long run did not finish in 30 minutes (${finished})`);
    await sleep(500);
  }
  await uploading;
  const seconds = (Date.now() - t0) / 1000;
  const workers = sampler.snapshot().filter((p) => p.role === 'ebbflow worker' && !workersBefore.has(p.pid));
  const used = workers.length > 0 ? workers : sampler.alive('ebbflow worker');
  return {
    checkpoints,
    peak: Math.max(0, ...used.map((p) => p.peak)),
    seconds,
    workers: used.length,
    completed,
  };
}

const count = (n: number): string => n.toLocaleString('en-US');
const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** One row per role: how many processes, the largest peak among them, and what those alive still held at the end. */
function memoryTable(processes: ProcessMemory[]): string {
  const roles = new Map<string, ProcessMemory[]>();
  for (const p of processes) roles.set(p.role, [...(roles.get(p.role) ?? []), p]);
  const rows = [...roles.entries()]
    .sort((a, b) => Math.max(...b[1].map((p) => p.peak)) - Math.max(...a[1].map((p) => p.peak)))
    .map(([role, list]) => {
      const alive = list.filter((p) => !p.gone);
      const end = alive.length > 0 ? mb(alive.reduce((sum, p) => sum + p.now, 0)) : 'exited';
      return `| ${role} | ${list.length} | ${mb(Math.max(...list.map((p) => p.peak)))} | ${end} |`;
    });
  return [
    '| process | processes | peak RSS (largest) | RSS at the end (sum) |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

export async function run(): Promise<BenchSection> {
  const photos = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-dev-photos-'));
  const files = await writeSamplePhotos(photos, DISTINCT_PHOTOS, { ...PHOTO_SIDES, seed: 7 });

  // Baseline: the same stack with one worker that is already polling (a first image through it before the rounds).
  process.stderr.write('dev: a fixed fleet of one worker\n');
  const warm: number[] = [];
  const fixed = await startDev('fixed', ['--no-scaler', '--workers', '1']);
  try {
    await coldStart(fixed, photos, 'warm-up');
    for (let r = 0; r < ROUNDS; r++) warm.push((await coldStart(fixed, photos, `warm-${r}`)).ms);
  } finally {
    await fixed.stop();
  }
  process.stderr.write(`warm: ${warm.join(', ')} ms\n`);

  // The stack as `npm run demo` runs it, but a fleet of at most one worker: the demo, then cold starts from zero,
  // then the long run, every process's memory read all along.
  process.stderr.write('dev: scaled to zero, with the demo\n');
  const cold: number[] = [];
  const scaleOuts: number[] = [];
  const backlogLag: number[] = [];
  const scaled = await startDev(
    'scaled',
    ['--workers', '1', '--demo', '--demo-count', String(DEMO_PHOTOS)],
    SCALER_ENV,
  );
  const sampler = new TreeSampler(scaled.child.pid!);
  sampler.start();
  let demoMemory: ProcessMemory[];
  let long: LongRun;
  let devAfterDemo: ProcessMemory | undefined;
  try {
    await waitFor('the demo batch', async () => scaled.output().includes('The demo is done'), {
      timeoutMs: 900_000,
      intervalMs: 500,
    });
    devAfterDemo = sampler.snapshot().find((p) => p.pid === scaled.child.pid);
    for (let r = 0; r < ROUNDS; r++) {
      await fleetAtZero(scaled, sampler);
      const round = await coldStart(scaled, photos, `cold-${r}`);
      cold.push(round.ms);
      if (round.scaleOutMs !== undefined) scaleOuts.push(round.scaleOutMs);
      process.stderr.write(`cold start ${r + 1}: ${cold.at(-1)} ms\n`);
    }
    await fleetAtZero(scaled, sampler);
    demoMemory = sampler.snapshot();
    for (let i = 0; i < 3; i++) backlogLag.push(await backlogVisibleAfter(scaled, i));
    process.stderr.write(`dev: ${LONG_RUN} images through one worker\n`);
    long = await longRun(scaled, files, sampler);
  } finally {
    sampler.stop();
    await scaled.stop();
  }
  process.stderr.write(`${JSON.stringify({ cold, long })}\n`);

  const coldMedian = median(cold);
  const warmMedian = median(warm);
  const ratio = coldMedian / warmMedian;
  const devProcess = demoMemory.find((p) => p.pid === scaled.child.pid)!;
  const drawing = demoMemory.filter((p) => p.role === 'ebbflow sample-photos');
  const emulator = sampler.snapshot().filter((p) => p.role === 'AWS emulator (moto)');
  const at = (n: number): number => long.checkpoints.find((c) => c.images === n)?.rss ?? NaN;
  const growth = at(LONG_RUN) / at(CHECKPOINTS[0]!);
  const coldMet = Math.max(...cold) <= COLD_START_GOAL_MS;
  const readings = CHECKPOINTS.map(at);
  const flat = growth <= 1.1;

  const markdown = [
    `The built \`ebbflow dev\` (headless, free ports, a state folder of its own) as \`npm run demo\` runs it, with at`,
    `most one worker. **Cold start**: ${ROUND_PHOTOS} sample photos (${PHOTO_SIDES.minSide}–${PHOTO_SIDES.maxSide} px) uploaded under`,
    '`uploads/`, timed from the first upload until all three variants of the first photo are in the output bucket.',
    `Scaled to zero: the local scaler (scale-in cooldown ${SCALER_ENV.EBBFLOW_SCALER_SCALE_IN_COOLDOWN} here, so the fleet is back at zero between rounds) has`,
    `to start a worker. Baseline: the same stack with a fixed fleet of one worker already polling (\`--no-scaler`,
    `--workers 1\`). ${ROUNDS} rounds each; medians.`,
    '',
    '| fleet | cold start, median | each round | ÷ warm |',
    '| --- | ---: | --- | ---: |',
    `| one worker already running | ${secs(warmMedian)} | ${warm.map(secs).join(', ')} | 1.00× |`,
    `| scaled to zero | ${secs(coldMedian)} | ${cold.map(secs).join(', ')} | **${ratio.toFixed(2)}×** |`,
    '',
    `Scaling from zero costs ${secs(coldMedian - warmMedian)} over a running worker (median). The scaler decided to start a`,
    `worker ${scaleOuts.length > 0 ? secs(median(scaleOuts)) : 'at an unmeasured time'} after the first upload (median, from its /decisions log); the rest is the worker's`,
    `start-up and the resize. The bridge takes each message off SQS at once, and the Temporal dev server's task queue`,
    `statistics (DescribeTaskQueue) are refreshed every few seconds, not when asked: a workflow started on a task queue`,
    `no worker polls, asked about every 100 ms, showed in them ${backlogLag.map(secs).join(', ')} later (${backlogLag.length} checks). So the scaler also`,
    `counts the workflows started in the last minute that are still open (visibility, which a start updates at once):`,
    `while no worker runs, each of them waits for one. The goal, the first image's variants within 3 s of the first`,
    `upload, is`,
    `**${coldMet ? 'met' : 'not met'}**: the slowest round took ${secs(Math.max(...cold))}.`,
    '',
    `**Memory of every process.** Resident set size of the \`ebbflow dev\` process and everything below it, read every`,
    `250 ms from /proc (VmHWM, the kernel's peak, and VmRSS), from the start of \`--demo --demo-count ${DEMO_PHOTOS}\``,
    `through the cold-start rounds; \`ebbflow sample-photos\` is the short-lived process that draws the demo's photos,`,
    'and each worker the scaler started is one process. "RSS at the end" is what the processes still running held',
    'after the rounds, once the fleet was back at zero.',
    '',
    memoryTable(demoMemory),
    '',
    `The \`ebbflow dev\` process peaked at ${mb(devProcess.peak)} (${devAfterDemo ? `${mb(devAfterDemo.now)} when the demo was done` : 'after the demo'}). The photos are`,
    `drawn by \`ebbflow sample-photos\`, a child that peaked at ${drawing.length > 0 ? mb(Math.max(...drawing.map((p) => p.peak))) : 'an unmeasured size (it ended between two readings)'} and gave all of it back when it`,
    `exited; drawn inside \`ebbflow dev\`, ${DEMO_PHOTOS} photos had left that process at 575 MB for the rest of the session (measured`,
    'by hand before the drawing moved out).',
    '',
    `**A worker over ${count(LONG_RUN)} images.** ${count(LONG_RUN)} uploads (${DISTINCT_PHOTOS} sample photos cycled) through the`,
    `same stack, one worker (${long.workers} worker process${long.workers === 1 ? '' : 'es'} over the run), resident set size read as the completed`,
    `count passed each mark; baseline: the reading at ${CHECKPOINTS[0]} images. ${count(long.completed)} completed in ${long.seconds.toFixed(0)} s.`,
    '',
    `| images | ${CHECKPOINTS.join(' | ')} | peak |`,
    `| --- | ${CHECKPOINTS.map(() => '---:').join(' | ')} | ---: |`,
    `| worker RSS | ${CHECKPOINTS.map((n) => mb(at(n))).join(' | ')} | ${mb(long.peak)} |`,
    `| ÷ at ${CHECKPOINTS[0]} | ${CHECKPOINTS.map((n) => `${(at(n) / at(CHECKPOINTS[0]!)).toFixed(2)}×`).join(' | ')} | |`,
    '',
    `Between ${mb(Math.min(...readings))} and ${mb(Math.max(...readings))} at the marks, with images in flight at each reading;`,
    `at ${count(LONG_RUN)} images it is **${growth.toFixed(2)}×** the reading at ${CHECKPOINTS[0]}: the worker's memory ${flat ? 'stays flat (no upward trend)' : 'grows'}.`,
    `The emulator keeps every object in memory: after the long run it held ${emulator.length > 0 ? formatBytes(Math.max(...emulator.map((p) => p.now))) : 'an unmeasured amount'}, which`,
    'is the uploads and variants themselves, not a leak.',
  ].join('\n');

  return {
    title: 'The local stack: cold start from zero, memory of every process, a worker over 1,000 images',
    markdown,
    figures: {
      coldStartRatio: Number(ratio.toFixed(3)),
      coldStartMedianSeconds: coldMedian / 1000,
      coldStartMaxSeconds: Math.max(...cold) / 1000,
      warmMedianSeconds: warmMedian / 1000,
      ...(scaleOuts.length > 0 ? { scaleOutDecisionMedianSeconds: median(scaleOuts) / 1000 } : {}),
      backlogStatisticLagMedianSeconds: median(backlogLag) / 1000,
      devProcessPeakMB: Math.round(devProcess.peak / 2 ** 20),
      workerRssGrowthRatio: Number(growth.toFixed(3)),
      workerPeakMB: Math.round(long.peak / 2 ** 20),
    },
  };
}
