/**
 * Workloads for the simulator: when work arrives and how long each item takes. Jobs are generated once per run from
 * the seed, so every policy compared in one run faces exactly the same jobs.
 */
import { exponential, logNormal, seededRandom, type Random } from '../common/random';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export type WorkloadSpec =
  /** `messages` items arriving together at `at` ms (the article's burst test: 100 at once). */
  | { kind: 'burst'; messages: number; at?: number }
  /** Poisson arrivals at a constant rate for `duration` ms. */
  | { kind: 'steady'; perMinute: number; duration: number }
  /** Poisson arrivals switching between `rates` every `period` ms (the article's 2/min ↔ 20/min). */
  | { kind: 'alternating'; rates: number[]; period: number; duration: number }
  /** The article's day: heavy 6–10, moderate 10–17, spike 17–19, near idle 19–6; `perDay` items a day. */
  | { kind: 'daily'; perDay: number; days?: number }
  /** Arrival times (ms from the start) read from a file. */
  | { kind: 'arrivals'; times: number[]; label?: string };

export type ServiceDistribution = 'fixed' | 'exponential' | 'lognormal';

export interface ServiceTimeSpec {
  /** Mean time one item takes on one task, in ms. */
  mean: number;
  distribution: ServiceDistribution;
  /** Coefficient of variation for the log-normal distribution. @defaultValue 0.5 */
  cv?: number;
}

export interface Job {
  id: number;
  arrivalAt: number;
  serviceMs: number;
}

export interface Workload {
  label: string;
  jobs: Job[];
  /** Time span the workload covers, in ms (at least the last arrival). */
  duration: number;
}

/** Relative arrival rate of each hour of the article's day. */
const DAILY_CURVE: { from: number; to: number; weight: number; name: string }[] = [
  { from: 0, to: 6, weight: 0.05, name: 'near idle' },
  { from: 6, to: 10, weight: 1, name: 'heavy' },
  { from: 10, to: 17, weight: 0.5, name: 'moderate' },
  { from: 17, to: 19, weight: 1.5, name: 'spike' },
  { from: 19, to: 24, weight: 0.05, name: 'near idle' },
];

function poisson(random: Random, from: number, to: number, perMinute: number, out: number[]): void {
  if (perMinute <= 0) return;
  const mean = MINUTE / perMinute;
  for (let t = from + exponential(random, mean); t < to; t += exponential(random, mean)) out.push(Math.round(t));
}

function arrivalTimes(spec: WorkloadSpec, random: Random): { times: number[]; duration: number; label: string } {
  const times: number[] = [];
  switch (spec.kind) {
    case 'burst': {
      const at = spec.at ?? 1000;
      for (let i = 0; i < spec.messages; i++) times.push(at);
      return { times, duration: at, label: `burst of ${spec.messages}` };
    }
    case 'steady':
      poisson(random, 0, spec.duration, spec.perMinute, times);
      return { times, duration: spec.duration, label: `steady ${spec.perMinute}/min` };
    case 'alternating': {
      for (let from = 0, i = 0; from < spec.duration; from += spec.period, i++) {
        const rate = spec.rates[i % spec.rates.length] ?? 0;
        poisson(random, from, Math.min(spec.duration, from + spec.period), rate, times);
      }
      const label = `alternating ${spec.rates.join('↔')}/min every ${Math.round(spec.period / MINUTE)} min`;
      return { times, duration: spec.duration, label };
    }
    case 'daily': {
      const days = spec.days ?? 1;
      const weightHours = DAILY_CURVE.reduce((sum, s) => sum + (s.to - s.from) * s.weight, 0);
      for (let d = 0; d < days; d++) {
        for (const s of DAILY_CURVE) {
          const perMinute = (spec.perDay * s.weight) / weightHours / 60;
          poisson(random, d * 24 * HOUR + s.from * HOUR, d * 24 * HOUR + s.to * HOUR, perMinute, times);
        }
      }
      return { times, duration: days * 24 * HOUR, label: `daily curve, ${spec.perDay}/day` };
    }
    case 'arrivals': {
      const sorted = [...spec.times].sort((a, b) => a - b);
      return {
        times: sorted,
        duration: sorted.at(-1) ?? 0,
        label: spec.label ?? `${sorted.length} arrivals from file`,
      };
    }
  }
}

function serviceTime(spec: ServiceTimeSpec, random: Random): number {
  switch (spec.distribution) {
    case 'fixed':
      return spec.mean;
    case 'exponential':
      return Math.max(1, Math.round(exponential(random, spec.mean)));
    case 'lognormal':
      return Math.max(1, Math.round(logNormal(random, spec.mean, spec.cv ?? 0.5)));
  }
}

/** Generates the jobs of a workload from a seed: the same seed always gives the same jobs. */
export function generateWorkload(spec: WorkloadSpec, service: ServiceTimeSpec, seed: number): Workload {
  const arrivalsRandom = seededRandom(seed);
  const serviceRandom = seededRandom(seed + 7919);
  const { times, duration, label } = arrivalTimes(spec, arrivalsRandom);
  times.sort((a, b) => a - b);
  const jobs = times.map((arrivalAt, id) => ({ id, arrivalAt, serviceMs: serviceTime(service, serviceRandom) }));
  return { label, jobs, duration: Math.max(duration, times.at(-1) ?? 0) };
}

/**
 * Parses arrivals from CSV text: one row per arrival, or `time,count` rows. Time is seconds from the start or an
 * ISO-8601 timestamp (then relative to the first row). A header row is skipped.
 */
export function parseArrivalsCsv(text: string): number[] {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const times: number[] = [];
  let origin: number | undefined;
  rows.forEach((line, index) => {
    const [timeCell = '', countCell] = line.split(',').map((c) => c.trim());
    let at: number;
    if (/^-?\d+(\.\d+)?$/.test(timeCell)) {
      at = Number(timeCell) * 1000;
    } else {
      const parsed = Date.parse(timeCell);
      if (Number.isNaN(parsed)) {
        if (index === 0) return; // header
        throw new Error(`line ${index + 1}: "${timeCell}" is neither seconds nor an ISO timestamp`);
      }
      origin ??= parsed;
      at = parsed - origin;
    }
    const count = countCell === undefined || countCell === '' ? 1 : Number(countCell);
    if (!Number.isInteger(count) || count < 0)
      throw new Error(`line ${index + 1}: count "${countCell}" is not a whole number`);
    for (let i = 0; i < count; i++) times.push(Math.round(at));
  });
  return times;
}
