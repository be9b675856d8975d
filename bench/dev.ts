/**
 * The local stack as a person runs it: the built `ebbflow dev`, headless, on free ports and a state folder of its own.
 * Three measurements: the cold start of a fleet scaled to zero (first upload → the first image's variants all in the
 * output bucket) against a fleet whose worker already runs; the peak resident memory of every process of the stack
 * while the demo runs; and one worker's resident memory over 1,000 images. This module drives the stack and collects
 * the figures; bench/dev-report.ts turns them into the section.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { sleep } from '../src/async';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { LOCAL_REST_AFTER_MS } from '../src/scaler/index';
import type { LoggedDecision } from '../src/scaler/types';
import { waitFor } from '../src/dev/processes';
import { writeSamplePhotos } from '../src/images/sample-photos';
import { countWorkflows, endedCount } from '../src/pipeline/status';
import { collectUploads, uploadAll, type UploadItem } from '../src/pipeline/upload';
import { TreeSampler, type ProcessMemory } from './dev-memory';
import { cpuByRole, treeCpu } from './processes';
import { renderDevReport, type AtRest, type LongRun } from './dev-report';
import { scalerAtRest, startDev, variantsWritten, waitForBatch, type DevRun } from './dev-stack';
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
/** The stack's CPU at rest is read over windows this long: in the scaler's first minute at zero, and after it. */
const AT_REST_WINDOW_MS = 20_000;
/** Short cooldowns, so that the fleet goes back to zero between rounds within seconds. */
const SCALER_ENV = {
  EBBFLOW_SCALER_SCALE_IN_COOLDOWN: '3s',
  EBBFLOW_SCALER_SCALE_OUT_COOLDOWN: '1s',
};

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

/**
 * Waits until the scaler has taken the fleet to zero, the drained worker has exited, the standby that replaces it is
 * ready, and the scale-out cooldown has passed: the stack at rest.
 */
async function fleetAtZero(dev: DevRun, sampler: TreeSampler): Promise<void> {
  await waitFor(
    'the fleet back at zero',
    async () => {
      const atRest = await scalerAtRest(dev);
      sampler.sample();
      return atRest && sampler.alive('ebbflow worker').length === 1;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  await sleep(1500);
}

/** CPU every process of the stack spent over `ms`, by role, as a share of one core (per cent). */
async function cpuShares(dev: DevRun, ms: number): Promise<Record<string, number>> {
  const before = treeCpu(dev.child.pid!);
  const t0 = Date.now();
  await sleep(ms);
  const used = cpuByRole(before, treeCpu(dev.child.pid!));
  const wall = (Date.now() - t0) / 1000;
  return Object.fromEntries([...used].map(([role, cpu]) => [role, (100 * cpu) / wall]));
}

/**
 * The stack at rest, nothing arriving: its CPU while the scaler still polls every half second (the window starts when
 * `fleetAtZero` returns, a moment after the fleet got to zero), and once that period is over.
 */
async function cpuAtRest(dev: DevRun): Promise<AtRest> {
  const quick = await cpuShares(dev, AT_REST_WINDOW_MS);
  await sleep(LOCAL_REST_AFTER_MS - AT_REST_WINDOW_MS + 5_000);
  const rested = await cpuShares(dev, AT_REST_WINDOW_MS);
  return { windowSeconds: AT_REST_WINDOW_MS / 1000, quick, rested };
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
    const finished = endedCount(w);
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
  let afterRounds: ProcessMemory[];
  let atRest: AtRest;
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
    afterRounds = sampler.snapshot();
    process.stderr.write('dev: the stack at rest\n');
    atRest = await cpuAtRest(scaled);
    for (let i = 0; i < 3; i++) backlogLag.push(await backlogVisibleAfter(scaled, i));
    process.stderr.write(`dev: ${LONG_RUN} images through one worker\n`);
    long = await longRun(scaled, files, sampler);
  } finally {
    sampler.stop();
    await scaled.stop();
  }
  process.stderr.write(`${JSON.stringify({ cold, long })}\n`);

  return renderDevReport({
    setup: {
      rounds: ROUNDS,
      roundPhotos: ROUND_PHOTOS,
      photoSides: PHOTO_SIDES,
      scaleInCooldown: SCALER_ENV.EBBFLOW_SCALER_SCALE_IN_COOLDOWN,
      demoPhotos: DEMO_PHOTOS,
      distinctPhotos: DISTINCT_PHOTOS,
      longRun: LONG_RUN,
      checkpoints: CHECKPOINTS,
      coldStartGoalMs: COLD_START_GOAL_MS,
    },
    warm,
    cold,
    scaleOuts,
    backlogLag,
    devPid: scaled.child.pid!,
    devAfterDemo,
    afterRounds,
    atRest,
    atEnd: sampler.snapshot(),
    long,
  });
}
