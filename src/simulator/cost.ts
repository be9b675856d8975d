/**
 * The cost model: Fargate bills vCPU and memory per second from the moment a task starts pulling its image until it
 * stops, with a one-minute minimum; an always-on EC2 fleet bills every hour whatever it does.
 */

export interface FargatePrices {
  label: string;
  /** $ per vCPU-hour. */
  vcpuHour: number;
  /** $ per GB-hour. */
  gbHour: number;
}

/**
 * Fargate prices, us-east-1. On-demand is the article's figure; ARM (Graviton) is AWS's list price; Spot moves with the
 * market, the figure here is a typical 67–70 % discount and only an estimate.
 */
export const FARGATE_PRICES = {
  'on-demand': { label: 'Fargate on-demand (x86)', vcpuHour: 0.04048, gbHour: 0.004445 },
  arm: { label: 'Fargate on-demand (ARM)', vcpuHour: 0.03238, gbHour: 0.00356 },
  spot: { label: 'Fargate Spot (estimate)', vcpuHour: 0.01334053, gbHour: 0.00146489 },
} as const satisfies Record<string, FargatePrices>;

export type PricingName = keyof typeof FARGATE_PRICES;

export const PRICING_NAMES = Object.keys(FARGATE_PRICES) as PricingName[];

export interface TaskSize {
  vcpu: number;
  memoryGb: number;
}

/** Memory sizes from `from` to `to` GB, `step` apart. */
const gbRange = (from: number, to: number, step: number): number[] =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/** The task sizes Fargate runs (Linux): each vCPU count with the memory sizes it allows, GB. */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [0.25, [0.5, 1, 2]],
  [0.5, gbRange(1, 4, 1)],
  [1, gbRange(2, 8, 1)],
  [2, gbRange(4, 16, 1)],
  [4, gbRange(8, 30, 1)],
  [8, gbRange(16, 60, 4)],
  [16, gbRange(32, 120, 8)],
]);

/** "a, b or c"; a long run of even steps as "a to z in steps of s". */
function offered(values: readonly number[], unit: string): string {
  const step = values[1]! - values[0]!;
  const even = values.every((v, i) => i === 0 || v - values[i - 1]! === step);
  if (values.length > 4 && even) return `${values[0]} to ${values.at(-1)} ${unit} in steps of ${step} ${unit}`;
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)} ${unit}`;
}

/**
 * Why Fargate would not run a task of this size (it runs only the sizes of its table: 0.5 vCPU with 1 to 4 GB, …),
 * or undefined when it would. A price for a size that cannot be launched would mislead.
 */
export function fargateSizeProblem(size: TaskSize): string | undefined {
  const memory = FARGATE_SIZES.get(size.vcpu);
  if (!memory)
    return `Fargate has no task of ${size.vcpu} vCPU: it offers ${offered([...FARGATE_SIZES.keys()], 'vCPU')}`;
  if (memory.includes(size.memoryGb)) return undefined;
  return `Fargate has no task of ${size.vcpu} vCPU with ${size.memoryGb} GB: with ${size.vcpu} vCPU it offers ${offered(memory, 'GB')}`;
}

/** The article's task: 0.5 vCPU and 1 GB. */
export const ARTICLE_TASK: TaskSize = { vcpu: 0.5, memoryGb: 1 };

export interface Ec2Baseline {
  label: string;
  instances: number;
  /** $ per instance-hour. */
  hourly: number;
}

/** The month AWS prices by: 730 hours. */
const HOURS_PER_MONTH = 730;

/** The article's opening setup: two t3.medium instances always on for "about $73 per month". */
export const ARTICLE_EC2_BASELINE: Ec2Baseline = {
  label: '2 × t3.medium always on',
  instances: 2,
  hourly: 73 / 2 / HOURS_PER_MONTH,
};
const HOUR_MS = 3_600_000;

/** $ per task-hour. */
export function taskHourly(size: TaskSize, prices: FargatePrices): number {
  return size.vcpu * prices.vcpuHour + size.memoryGb * prices.gbHour;
}

/** Fargate bills each task at least this long, ms. */
export const FARGATE_MINIMUM_MS = 60_000;

/** Billed ms of one task that ran `ms`: per second, at least one minute. */
export function billedMs(ms: number): number {
  return Math.max(FARGATE_MINIMUM_MS, Math.ceil(ms / 1000) * 1000);
}

/** $ for one task that ran `ms`. */
export function taskCost(ms: number, size: TaskSize, prices: FargatePrices): number {
  return (billedMs(ms) / HOUR_MS) * taskHourly(size, prices);
}

/** $ for keeping the baseline fleet on for `ms`. */
export function baselineCost(ms: number, baseline: Ec2Baseline): number {
  return (ms / HOUR_MS) * baseline.instances * baseline.hourly;
}

/** Rounds to whole cents, as a bill does. */
export const cents = (dollars: number): number => Math.round(dollars * 100) / 100;

/** Formats dollars with enough digits for small amounts: $0.0016, $0.0000096, $1.18, $246.85. */
export function money(dollars: number): string {
  if (dollars !== 0 && Math.abs(dollars) < 0.01) {
    // Two significant digits, and at least four decimals.
    const digits = Math.min(20, Math.max(4, 1 - Math.floor(Math.log10(Math.abs(dollars)))));
    return `$${dollars.toFixed(digits)}`;
  }
  return `$${dollars.toFixed(2)}`;
}
