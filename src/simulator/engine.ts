/**
 * The discrete-event simulator: jobs arrive, wait in one queue, and run on tasks that a policy adds and removes.
 *
 * Events are processed in time order, ties broken by kind and then by creation order, and every random draw happens
 * when the workload is generated: a run is a pure function of its inputs. Tasks take `startup` ms from launch to their
 * first job (Fargate: about a minute) and are billed from launch. A task removed while busy drains: it takes no new
 * job and stops when its current ones finish, as ebbflow's workers do with scale-in protection or SIGTERM and a grace.
 */
import { percentile } from '../common/stats';
import { baselineCost, taskCost, type Ec2Baseline, type FargatePrices, type TaskSize } from './cost';
import type { PolicyName, SimPolicy } from './policies';
import type { Workload } from './workloads';

interface SimulationOptions {
  workload: Workload;
  policy: SimPolicy;
  /** Launch to first job, ms. @defaultValue 60 000 (Fargate) */
  startup: number;
  /** Jobs one task runs at once. @defaultValue 1 */
  concurrency: number;
  size: TaskSize;
  prices: FargatePrices;
  baseline: Ec2Baseline;
  /** Stop at exactly this time (used to compare policies over the same span); default: once settled. */
  until?: number;
  /** Hard stop when the fleet never settles, ms after the workload ends. @defaultValue 12 h */
  patience?: number;
}

interface TimelinePoint {
  t: number;
  waiting: number;
  inService: number;
  desired: number;
  running: number;
}

export interface SimulationResult {
  policy: PolicyName;
  workload: string;
  jobs: number;
  completed: number;
  /** Span simulated, ms. */
  span: number;
  /** From the first arrival to the first scale-out decision, ms. */
  timeToFirstScaleOut?: number;
  /** From the first arrival until the running tasks reach the run's peak desired count, ms. */
  timeToFullCapacity?: number;
  /** From the first arrival until the last job finishes, ms; undefined when work was left undone. */
  drainTime?: number;
  /** From the last job's end until the fleet is back at its floor, ms. */
  returnToFloor?: number;
  waitP50: number;
  waitP95: number;
  waitMax: number;
  peakTasks: number;
  taskHours: number;
  cost: number;
  baselineCost: number;
  scalingActions: number;
  timeline: TimelinePoint[];
  decisions: { at: number; from: number; to: number; reason: string }[];
}

type EventKind = 'done' | 'ready' | 'arrival' | 'tick' | 'sample';
const ORDER: Record<EventKind, number> = { done: 0, ready: 1, arrival: 2, tick: 3, sample: 4 };

interface SimEvent {
  t: number;
  kind: EventKind;
  seq: number;
  ref: number;
}

/** A binary min-heap ordered by (time, kind, creation). */
class EventQueue {
  private readonly items: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, kind: EventKind, ref = 0): void {
    this.items.push({ t, kind, ref, seq: this.seq++ });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): SimEvent | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined || this.items.length === 0) return top;
    this.items[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.t !== y.t ? x.t < y.t : x.kind !== y.kind ? ORDER[x.kind] < ORDER[y.kind] : x.seq < y.seq;
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }
}

interface Task {
  id: number;
  launchedAt: number;
  ready: boolean;
  stoppedAt?: number;
  active: number;
  draining: boolean;
}

function simulate(options: SimulationOptions): SimulationResult {
  const { workload, policy, startup, concurrency } = options;
  const jobs = workload.jobs;
  const events = new EventQueue();
  const tasks: Task[] = [];
  const waiting: number[] = []; // job indexes, FIFO
  let waitingHead = 0;
  const waits: number[] = [];
  const timeline: TimelinePoint[] = [];
  const decisions: SimulationResult['decisions'] = [];
  const readyChanges: { t: number; ready: number }[] = [];
  const firstArrival = jobs[0]?.arrivalAt ?? 0;
  const patience = options.patience ?? 12 * 3_600_000;
  const hardStop = options.until ?? workload.duration + patience;
  const sampleEvery = Math.max(5_000, Math.round(workload.duration / 720 / 1000) * 1000);

  let now = 0;
  let desired = policy.initialTasks;
  let completed = 0;
  let inService = 0;
  let lastCompletion: number | undefined;
  let firstScaleOutAt: number | undefined;
  let peakDesired = desired;
  let settledAt: number | undefined;

  const live = () => tasks.filter((t) => t.stoppedAt === undefined);
  const counted = () => live().filter((t) => !t.draining);
  const readyCount = () => live().filter((t) => t.ready && !t.draining).length;
  const noteReady = () => {
    const ready = readyCount();
    if (readyChanges.at(-1)?.ready !== ready) readyChanges.push({ t: now, ready });
  };
  const sample = () =>
    timeline.push({
      t: now,
      waiting: waiting.length - waitingHead,
      inService,
      desired,
      running: live().filter((t) => t.ready).length,
    });
  const stop = (task: Task) => {
    task.stoppedAt = now;
  };

  const launch = (readyAt: number) => {
    const task: Task = { id: tasks.length, launchedAt: now, ready: false, active: 0, draining: false };
    tasks.push(task);
    events.push(readyAt, 'ready', task.id);
  };

  const dispatch = () => {
    for (const task of tasks) {
      if (task.stoppedAt !== undefined || !task.ready || task.draining) continue;
      while (task.active < concurrency && waitingHead < waiting.length) {
        const job = jobs[waiting[waitingHead++]!]!;
        task.active++;
        inService++;
        waits.push(now - job.arrivalAt);
        events.push(now + job.serviceMs, 'done', task.id);
      }
      if (waitingHead >= waiting.length) break;
    }
  };

  const applyDesired = (target: number) => {
    const current = counted();
    if (target > current.length) {
      for (let i = current.length; i < target; i++) launch(now + startup);
    } else if (target < current.length) {
      let excess = current.length - target;
      const starting = current.filter((t) => !t.ready).reverse();
      const idle = current.filter((t) => t.ready && t.active === 0).reverse();
      const busy = current.filter((t) => t.ready && t.active > 0).reverse();
      for (const task of [...starting, ...idle]) {
        if (excess === 0) break;
        stop(task);
        excess--;
      }
      for (const task of busy) {
        if (excess === 0) break;
        task.draining = true;
        excess--;
      }
    }
    noteReady();
  };

  // The fleet the policy starts with is already running.
  for (let i = 0; i < policy.initialTasks; i++) {
    tasks.push({ id: i, launchedAt: 0, ready: true, active: 0, draining: false });
  }
  noteReady();
  jobs.forEach((job, index) => events.push(job.arrivalAt, 'arrival', index));
  events.push(0, 'tick');
  events.push(0, 'sample');

  const settled = () =>
    completed === jobs.length &&
    desired === policy.floor &&
    live().length === policy.floor &&
    live().every((t) => t.ready && !t.draining);

  while (events.size > 0) {
    const event = events.pop()!;
    if (event.t > hardStop) break;
    now = event.t;
    switch (event.kind) {
      case 'arrival':
        waiting.push(event.ref);
        dispatch();
        break;
      case 'ready': {
        const task = tasks[event.ref]!;
        if (task.stoppedAt === undefined) {
          task.ready = true;
          noteReady();
          dispatch();
        }
        break;
      }
      case 'done': {
        const task = tasks[event.ref]!;
        task.active--;
        inService--;
        completed++;
        lastCompletion = now;
        if (task.draining && task.active === 0) stop(task);
        dispatch();
        break;
      }
      case 'tick': {
        const oldest = waitingHead < waiting.length ? jobs[waiting[waitingHead]!]!.arrivalAt : now;
        const running = live().filter((t) => t.ready).length;
        const out = policy.evaluate({
          now,
          waiting: waiting.length - waitingHead,
          oldestWait: now - oldest,
          desired,
          running,
          inService,
          busy: counted().filter((t) => t.active > 0).length,
        });
        if (out.desired !== desired) {
          decisions.push({ at: now, from: desired, to: out.desired, reason: out.reason });
          if (out.desired > desired && firstScaleOutAt === undefined && now >= firstArrival) firstScaleOutAt = now;
          desired = out.desired;
          peakDesired = Math.max(peakDesired, desired);
          applyDesired(desired);
          dispatch();
        }
        events.push(now + policy.interval, 'tick');
        break;
      }
      case 'sample':
        sample();
        events.push(now + sampleEvery, 'sample');
        break;
    }
    if (settledAt === undefined && now >= workload.duration && settled()) settledAt = now;
    if (options.until === undefined && settledAt !== undefined) break;
  }
  const end = options.until ?? Math.min(hardStop, now);
  now = end;
  sample();

  const sortedWaits = [...waits].sort((a, b) => a - b);
  let cost = 0;
  let taskMs = 0;
  for (const task of tasks) {
    const ran = (task.stoppedAt ?? end) - task.launchedAt;
    taskMs += ran;
    cost += taskCost(ran, options.size, options.prices);
  }
  const full = peakDesired > 0 ? readyChanges.find((c) => c.ready >= peakDesired) : undefined;
  let peakTasks = 0;
  for (const c of readyChanges) peakTasks = Math.max(peakTasks, c.ready);
  const allDone = completed === jobs.length;

  return {
    policy: policy.name,
    workload: workload.label,
    jobs: jobs.length,
    completed,
    span: end,
    timeToFirstScaleOut: firstScaleOutAt === undefined ? undefined : firstScaleOutAt - firstArrival,
    timeToFullCapacity: full === undefined ? undefined : Math.max(0, full.t - firstArrival),
    drainTime: allDone && lastCompletion !== undefined ? lastCompletion - firstArrival : undefined,
    returnToFloor:
      allDone && settledAt !== undefined && lastCompletion !== undefined ? settledAt - lastCompletion : undefined,
    waitP50: percentile(sortedWaits, 50),
    waitP95: percentile(sortedWaits, 95),
    waitMax: sortedWaits.at(-1) ?? 0,
    peakTasks,
    taskHours: taskMs / 3_600_000,
    cost,
    baselineCost: baselineCost(end, options.baseline),
    scalingActions: decisions.length,
    timeline,
    decisions,
  };
}

/**
 * Runs several policies on the same workload and bills them over the same span (the longest any of them that finishes
 * the work needs to settle), so costs compare like with like.
 */
export function compare(
  base: Omit<SimulationOptions, 'policy' | 'until'>,
  makePolicies: () => SimPolicy[],
): SimulationResult[] {
  const first = makePolicies().map((policy) => simulate({ ...base, policy }));
  // A policy that never finishes the work (AWS target tracking stuck at 0) must not stretch everyone's bill.
  const finished = first.filter((r) => r.drainTime !== undefined);
  const until = Math.max(...(finished.length > 0 ? finished : first).map((r) => r.span));
  return makePolicies().map((policy) => simulate({ ...base, policy, until }));
}
