/**
 * What the fleet the scaler runs costs: the task-seconds of its running tasks, integrated poll by poll, priced as
 * Fargate bills a task of the workers' size (src/simulator/cost.ts, the same prices the simulator and `ebbflow cost`
 * use, so a live figure and a simulated one compare). An estimate at the scaler's resolution: the tasks a poll saw
 * running (or that a change it made left running) are counted until the next poll. Fargate bills each task at least
 * a minute: a task the meter saw start and then stop within the minute is charged the rest of it when it stops. The
 * meter sees counts, not tasks, so it takes the newest tasks to stop first, which charges the most minimums (an
 * estimate that errs high); tasks already running when the meter started are never charged one. The local driver's
 * standby worker is not counted: a fleet on ECS or Kubernetes has none.
 */
import type { Logger } from '../logger';
import {
  FARGATE_MINIMUM_MS,
  FARGATE_PRICES,
  taskHourly,
  type FargatePrices,
  type PricingName,
} from '../simulator/cost';
import type { CapacityDriver } from './driver';

/** A worker task's size and how it is billed, as a driver reads it from its platform. */
export interface TaskSizeReading {
  vcpu?: number;
  memoryGb?: number;
  /** ARM (Graviton) tasks: billed at the ARM price list. */
  arm?: boolean;
  /** Tasks placed on Fargate Spot. */
  spot?: boolean;
  /** Where it was read, e.g. `ECS task definition ebbflow-worker:7`. */
  source: string;
}

export interface TaskPrice {
  vcpu: number;
  memoryGb: number;
  pricing: PricingName;
  /** $ per task-hour. */
  hourly: number;
  /** Where the size came from: the driver's platform, the configuration, or the default. */
  source: string;
}

/** Settings that override what the driver reads (EBBFLOW_SCALER_TASK_VCPU, _TASK_MEMORY_GB, _PRICING). */
export interface TaskPriceOverrides {
  taskVcpu?: number;
  taskMemoryGb?: number;
  pricing?: PricingName;
}

/** The article's task, and the Terraform module's default worker: 0.5 vCPU, 1 GB, on-demand. */
const DEFAULT_SIZE = { vcpu: 0.5, memoryGb: 1, pricing: 'on-demand' as PricingName };

/** Fargate Spot for an architecture: the Spot estimate's discount applied to that architecture's on-demand price. */
export function pricesFor(pricing: PricingName, arm: boolean): FargatePrices {
  if (pricing !== 'spot' || !arm) return FARGATE_PRICES[pricing];
  const spot = FARGATE_PRICES.spot;
  const x86 = FARGATE_PRICES['on-demand'];
  const base = FARGATE_PRICES.arm;
  return {
    label: 'Fargate Spot (ARM, estimate)',
    vcpuHour: base.vcpuHour * (spot.vcpuHour / x86.vcpuHour),
    gbHour: base.gbHour * (spot.gbHour / x86.gbHour),
  };
}

/** The price of one task: each setting that is set wins over the driver's reading, which wins over the default. */
export function resolveTaskPrice(read: TaskSizeReading | undefined, overrides: TaskPriceOverrides): TaskPrice {
  const vcpu = overrides.taskVcpu ?? read?.vcpu ?? DEFAULT_SIZE.vcpu;
  const memoryGb = overrides.taskMemoryGb ?? read?.memoryGb ?? DEFAULT_SIZE.memoryGb;
  const readPricing: PricingName | undefined = read?.spot ? 'spot' : read?.arm ? 'arm' : undefined;
  const pricing = overrides.pricing ?? readPricing ?? DEFAULT_SIZE.pricing;
  const fromSettings = [overrides.taskVcpu, overrides.taskMemoryGb, overrides.pricing].some((v) => v !== undefined);
  const fromDriver = read !== undefined && [read.vcpu, read.memoryGb, read.arm, read.spot].some((v) => v !== undefined);
  const sizeDefaulted =
    (overrides.taskVcpu ?? read?.vcpu) === undefined || (overrides.taskMemoryGb ?? read?.memoryGb) === undefined;
  const sources = [
    ...(fromSettings ? ['configuration'] : []),
    ...(fromDriver ? [read.source] : []),
    ...(sizeDefaulted ? ['default: the article’s 0.5 vCPU, 1 GB task'] : []),
  ];
  // ARM is a price list of its own; Spot on ARM keeps the architecture the driver read.
  const arm = pricing === 'arm' || (pricing === 'spot' && read?.arm === true);
  return {
    vcpu,
    memoryGb,
    pricing,
    hourly: taskHourly({ vcpu, memoryGb }, pricesFor(pricing, arm)),
    source: sources.join(' over '),
  };
}

/**
 * The price of one worker task for `driver`'s fleet: the settings, then what the driver reads from its platform (not
 * asked when the settings say it all), then the default. A read that fails fails the call: for a task definition
 * deployed since, the price it replaces is a better guess than the default.
 */
export async function readTaskPrice(
  driver: Pick<CapacityDriver, 'taskSize'>,
  overrides: TaskPriceOverrides,
): Promise<TaskPrice> {
  const settled =
    overrides.taskVcpu !== undefined && overrides.taskMemoryGb !== undefined && overrides.pricing !== undefined;
  const read = !settled && driver.taskSize ? await driver.taskSize() : undefined;
  return resolveTaskPrice(read, overrides);
}

/** As readTaskPrice, for the start: a driver that cannot read the size is warned about, not fatal. */
export async function taskPriceOf(
  driver: Pick<CapacityDriver, 'taskSize'>,
  overrides: TaskPriceOverrides,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<TaskPrice> {
  const price = await readTaskPrice(driver, overrides).catch((error: unknown) => {
    logger.warn('worker task size not read: the cost estimate uses the settings and defaults', { error });
    return resolveTaskPrice(undefined, overrides);
  });
  logger.info('cost estimate', { ...price });
  return price;
}

/** Task-seconds and dollars. */
export interface Spent {
  taskSeconds: number;
  dollars: number;
}

export interface CostReading extends Spent {
  /** When the meter started, ISO 8601. */
  since: string;
  price: TaskPrice;
}

export interface CostMeter {
  /** `running` tasks at `at` (ms), from then on: returns what the fleet spent since the count before. */
  record(at: number, running: number): Spent;
  /**
   * Everything spent since the meter started, up to `at` (the last count still running): it never goes down from one
   * reading to the next.
   */
  reading(at?: number): CostReading;
  /** Prices the tasks at `price` from the last count on (a new task size deployed); what was spent keeps its price. */
  reprice(price: TaskPrice): void;
}

export function createCostMeter(price: TaskPrice, startedAt: number, clock: () => number = Date.now): CostMeter {
  let current = price;
  let lastAt: number | undefined;
  let taskSeconds = 0;
  let dollars = 0;
  /**
   * When each task counted as running started, oldest first (so its length is the count); -Infinity for those running
   * before the meter began.
   */
  const starts: number[] = [];
  const dollarsFor = (seconds: number): number => (seconds / 3600) * current.hourly;
  const since = (at: number): number => (lastAt === undefined ? 0 : (Math.max(0, at - lastAt) / 1000) * starts.length);
  /** Follows the count to `running` at `at`: the seconds short of their minute of the tasks that stopped. */
  const follow = (at: number, running: number): number => {
    const first = lastAt === undefined;
    while (starts.length < running) starts.push(first ? -Infinity : at);
    let shortfall = 0;
    while (starts.length > running) {
      const ranMs = at - starts.pop()!;
      if (Number.isFinite(ranMs)) shortfall += Math.max(0, FARGATE_MINIMUM_MS - ranMs) / 1000;
    }
    return shortfall;
  };
  return {
    record(at, running) {
      const now = Math.max(at, lastAt ?? at);
      const seconds = since(at) + follow(now, Math.max(0, running));
      const spent = dollarsFor(seconds);
      lastAt = now;
      taskSeconds += seconds;
      dollars += spent;
      return { taskSeconds: seconds, dollars: spent };
    },
    reading(at = clock()) {
      const running = since(at);
      return {
        since: new Date(startedAt).toISOString(),
        taskSeconds: taskSeconds + running,
        dollars: dollars + dollarsFor(running),
        price: current,
      };
    },
    reprice(next) {
      current = next;
    },
  };
}

/** A Kubernetes CPU quantity in cores: `1`, `0.5`, `500m`. */
export function parseCpuQuantity(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes memory quantity in GiB, the unit Fargate bills by: `2Gi`, `512Mi`, `1G`, `1073741824`. */
export function parseMemoryQuantity(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([kMGT]i?|Ki)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = MEMORY_UNITS[match[2] ?? ''];
  return unit === undefined ? undefined : (Number(match[1]) * unit) / 1024 ** 3;
}
