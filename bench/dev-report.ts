/**
 * The local stack's section of docs/benchmarks.md: the cold start from zero against a running worker, the memory of
 * every process of the stack, and one worker's memory over a long run, from the figures bench/dev.ts collected.
 */
import { formatBytes } from '../src/terminal/format';
import type { ProcessMemory } from './dev-memory';
import { median } from './stats';
import type { BenchSection } from './types';

/** How the measurements were run: the prose states each of these. */
export interface DevSetup {
  /** Cold starts measured on each fleet. */
  rounds: number;
  /** Photos uploaded in one round; the first one uploaded is timed. */
  roundPhotos: number;
  /** The sample photos' sides, px. */
  photoSides: { minSide: number; maxSide: number };
  /** The scaler's scale-in cooldown, as set (`3s`). */
  scaleInCooldown: string;
  /** Photos of the demo batch. */
  demoPhotos: number;
  /** Distinct photos the long run cycles through. */
  distinctPhotos: number;
  /** Images through one worker in the long run, and the completed counts at which its memory is read. */
  longRun: number;
  checkpoints: readonly number[];
  /** The slowest cold start from zero that meets the goal, ms. */
  coldStartGoalMs: number;
}

/** One worker over the long run. */
export interface LongRun {
  /** Resident memory of the worker when the completed count first reached each checkpoint. */
  checkpoints: { images: number; rss: number }[];
  /** The largest peak resident memory of the worker processes of the run, bytes. */
  peak: number;
  seconds: number;
  /** Worker processes over the run. */
  workers: number;
  completed: number;
}

/** CPU of the stack's processes at rest, by role, in per cent of one core. */
export interface AtRest {
  windowSeconds: number;
  /** In the first minute at zero, while the local scaler polls every half second. */
  quick: Record<string, number>;
  /** After it. */
  rested: Record<string, number>;
}

export interface DevReportInput {
  setup: DevSetup;
  /** Each round's cold start, ms: on a fleet whose worker already runs, and scaled to zero. */
  warm: number[];
  cold: number[];
  /** First upload → the scaler's decision to start a worker, ms, in each round whose decision was logged. */
  scaleOuts: number[];
  /** How long after a start each workflow showed in the task queue statistics, ms. */
  backlogLag: number[];
  /** The `ebbflow dev` process's pid. */
  devPid: number;
  /** That process when the demo was done; undefined when it was not read then. */
  devAfterDemo?: ProcessMemory;
  /** Every process seen from the demo's start until the rounds were over and the fleet back at zero. */
  afterRounds: ProcessMemory[];
  atRest: AtRest;
  /** Every process seen, once the long run was over. */
  atEnd: ProcessMemory[];
  long: LongRun;
}

const count = (n: number): string => n.toLocaleString('en-US');
const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const sum = (shares: Record<string, number>): number => Object.values(shares).reduce((a, b) => a + b, 0);
const pct = (share: number): string => `${share.toFixed(2)} %`;

/** One row per role, busiest in the first minute first, and the whole stack. */
function atRestTable({ quick, rested }: AtRest): string {
  const roles = [...new Set([...Object.keys(quick), ...Object.keys(rested)])].sort(
    (a, b) => (quick[b] ?? 0) - (quick[a] ?? 0),
  );
  return [
    '| process | first minute at zero | later | ratio |',
    '| --- | ---: | ---: | ---: |',
    ...roles.map((r) => `| ${r} | ${pct(quick[r] ?? 0)} | ${pct(rested[r] ?? 0)} | |`),
    `| **the whole stack** | ${pct(sum(quick))} | ${pct(sum(rested))} | **${(sum(rested) / sum(quick)).toFixed(2)}×** |`,
  ].join('\n');
}

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

export function renderDevReport({
  setup,
  warm,
  cold,
  scaleOuts,
  backlogLag,
  devPid,
  devAfterDemo,
  afterRounds,
  atRest,
  atEnd,
  long,
}: DevReportInput): BenchSection {
  const { rounds, roundPhotos, photoSides, demoPhotos, distinctPhotos, longRun, checkpoints } = setup;
  const coldMedian = median(cold);
  const warmMedian = median(warm);
  const ratio = coldMedian / warmMedian;
  const devProcess = afterRounds.find((p) => p.pid === devPid);
  if (!devProcess) throw new Error(`the ebbflow dev process (${devPid}) was never read`);
  const drawing = afterRounds.filter((p) => p.role === 'ebbflow sample-photos');
  const emulator = atEnd.filter((p) => p.role === 'AWS emulator (moto)');
  const at = (n: number): number => long.checkpoints.find((c) => c.images === n)?.rss ?? NaN;
  const first = checkpoints[0]!;
  const growth = at(longRun) / at(first);
  const coldMet = Math.max(...cold) <= setup.coldStartGoalMs;
  const readings = checkpoints.map(at);
  // Each reading catches a different number of images in flight, so the marks scatter: the last within 10 % of the
  // first counts as no trend.
  const flat = growth <= 1.1;

  const markdown = [
    `The built \`ebbflow dev\` (headless, free ports, a state folder of its own) as \`npm run demo\` runs it, with at`,
    `most one worker. **Cold start**: ${roundPhotos} sample photos (${photoSides.minSide}–${photoSides.maxSide} px) uploaded under`,
    '`uploads/`, timed from the first upload until all three variants of the first photo are in the output bucket.',
    `Scaled to zero: no worker polls, and the local scaler (scale-in cooldown ${setup.scaleInCooldown} here, so the fleet is back at zero`,
    'between rounds) keeps one worker booted and waiting, which it promotes when work arrives; each round starts once',
    `the standby that replaced the last worker is ready. Baseline: the same stack with a fixed fleet of one worker`,
    `already polling (\`--no-scaler --workers 1\`). ${rounds} rounds each; medians.`,
    '',
    '| fleet | cold start, median | each round | ÷ warm |',
    '| --- | ---: | --- | ---: |',
    `| one worker already running | ${secs(warmMedian)} | ${warm.map(secs).join(', ')} | 1.00× |`,
    `| scaled to zero | ${secs(coldMedian)} | ${cold.map(secs).join(', ')} | **${ratio.toFixed(2)}×** |`,
    '',
    `Scaling from zero costs ${secs(coldMedian - warmMedian)} over a running worker (median). The scaler decided to start a`,
    `worker ${scaleOuts.length > 0 ? secs(median(scaleOuts)) : 'at an unmeasured time'} after the first upload (median, from its /decisions log: the bridge wakes it as it`,
    `starts the workflow); the rest is the standby's promotion, its first poll and the resize. The bridge takes each`,
    `message off SQS at once, and the Temporal dev server's task queue`,
    `statistics (DescribeTaskQueue) are refreshed every few seconds, not when asked: a workflow started on a task queue`,
    `no worker polls, asked about every 100 ms, showed in them ${backlogLag.map(secs).join(', ')} later (${backlogLag.length} checks). So the scaler also`,
    `counts the workflows started in the last minute that are still open (visibility, which a start updates at once):`,
    `while no worker runs, each of them waits for one. The goal, the first image's variants within ${setup.coldStartGoalMs / 1000} s of the first`,
    `upload, is`,
    `**${coldMet ? 'met' : 'not met'}**: the slowest round took ${secs(Math.max(...cold))}.`,
    '',
    `**Memory of every process.** Resident set size of the \`ebbflow dev\` process and everything below it, read every`,
    `250 ms from /proc (VmHWM, the kernel's peak, and VmRSS), from the start of \`--demo --demo-count ${demoPhotos}\``,
    `through the cold-start rounds; \`ebbflow sample-photos\` is the short-lived process that draws the demo's photos,`,
    'and each worker the scaler started, standbys included, is one process. "RSS at the end" is what the processes',
    'still running held after the rounds, once the fleet was back at zero: a booted standby worker among them.',
    '',
    memoryTable(afterRounds),
    '',
    `The \`ebbflow dev\` process peaked at ${mb(devProcess.peak)} (${devAfterDemo ? `${mb(devAfterDemo.now)} when the demo was done` : 'after the demo'}). The photos are`,
    `drawn by \`ebbflow sample-photos\`, a child that peaked at ${drawing.length > 0 ? mb(Math.max(...drawing.map((p) => p.peak))) : 'an unmeasured size (it ended between two readings)'} and gave all of it back when it`,
    `exited; drawn inside \`ebbflow dev\`, ${demoPhotos} photos had left that process at 575 MB for the rest of the session (measured`,
    'by hand before the drawing moved out).',
    '',
    `**At rest.** The same stack with the fleet at zero and nothing arriving, every process's CPU over`,
    `${atRest.windowSeconds} s as a share of one core: in the first minute at zero, while the scaler looks at the queues every`,
    'half second, so that work started by something else than the bridge or the CLI (a schedule, the Temporal UI) finds',
    'a worker at once (baseline), and after it, when it looks every `EBBFLOW_SCALER_POLL_INTERVAL` (5 s) and work from',
    "the bridge or the CLI still starts at once, as they wake it. The standby worker's idle time counts in both.",
    '',
    atRestTable(atRest),
    '',
    `**A worker over ${count(longRun)} images.** ${count(longRun)} uploads (${distinctPhotos} sample photos cycled) through the`,
    `same stack, one worker (${long.workers} worker process${long.workers === 1 ? '' : 'es'} over the run), resident set size read as the completed`,
    `count passed each mark; baseline: the reading at ${first} images. ${count(long.completed)} completed in ${long.seconds.toFixed(0)} s.`,
    '',
    `| images | ${checkpoints.join(' | ')} | peak |`,
    `| --- | ${checkpoints.map(() => '---:').join(' | ')} | ---: |`,
    `| worker RSS | ${checkpoints.map((n) => mb(at(n))).join(' | ')} | ${mb(long.peak)} |`,
    `| ÷ at ${first} | ${checkpoints.map((n) => `${(at(n) / at(first)).toFixed(2)}×`).join(' | ')} | |`,
    '',
    `Between ${mb(Math.min(...readings))} and ${mb(Math.max(...readings))} at the marks, with images in flight at each reading;`,
    `at ${count(longRun)} images it is **${growth.toFixed(2)}×** the reading at ${first}: the worker's memory ${flat ? 'stays flat (no upward trend)' : 'grows'}.`,
    `The emulator keeps every object in memory: after the long run it held ${emulator.length > 0 ? formatBytes(Math.max(...emulator.map((p) => p.now))) : 'an unmeasured amount'}, which`,
    'is the uploads and variants themselves, not a leak.',
  ].join('\n');

  return {
    title: `The local stack: cold start from zero, memory of every process, a worker over ${count(longRun)} images`,
    markdown,
    figures: {
      coldStartRatio: Number(ratio.toFixed(3)),
      coldStartMedianSeconds: coldMedian / 1000,
      coldStartMaxSeconds: Math.max(...cold) / 1000,
      warmMedianSeconds: warmMedian / 1000,
      ...(scaleOuts.length > 0 ? { scaleOutDecisionMedianSeconds: median(scaleOuts) / 1000 } : {}),
      backlogStatisticLagMedianSeconds: median(backlogLag) / 1000,
      devProcessPeakMB: Math.round(devProcess.peak / 2 ** 20),
      atRestQuickPollsPercentOfCore: Number(sum(atRest.quick).toFixed(2)),
      atRestPercentOfCore: Number(sum(atRest.rested).toFixed(2)),
      atRestRatio: Number((sum(atRest.rested) / sum(atRest.quick)).toFixed(3)),
      workerRssGrowthRatio: Number(growth.toFixed(3)),
      workerPeakMB: Math.round(long.peak / 2 ** 20),
    },
  };
}
