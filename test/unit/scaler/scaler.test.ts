import { silentLogger } from '../../../src/logger';
import type { CapacityDriver } from '../../../src/scaler/driver';
import { createScalerMetrics } from '../../../src/scaler/metrics';
import { DEFAULT_POLICY, type PolicySettings } from '../../../src/scaling/policy';
import { createCostMeter, resolveTaskPrice } from '../../../src/scaler/cost-meter';
import { createScaler, type Scaler, type ScalerOptions } from '../../../src/scaler/scaler';
import type { Client } from '@temporalio/client';
import { createSignalReader, type QueueSignals } from '../../../src/scaler/signals';
import { runningActivitiesFromMetrics } from '../../../src/scaler/worker-load';

function fakeDriver(failures = 0, desired = 0): CapacityDriver & { desired: number; calls: number[] } {
  let left = failures;
  const driver = {
    name: 'local' as const,
    desired,
    calls: [] as number[],
    describe: async () => ({ desired: driver.desired, running: driver.desired }),
    setDesired: async (n: number) => {
      driver.calls.push(n);
      if (left-- > 0) throw new Error('throttled');
      driver.desired = n;
    },
    close: async () => undefined,
  };
  return driver;
}

const queues = (visible: number): QueueSignals => ({
  queueVisible: visible,
  queueInFlight: 0,
  taskQueueBacklog: 0,
  taskQueueBacklogAge: 0,
  taskQueueAddRate: 0,
});

/** Resolves once `check` holds, looking every 5 ms. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

/** Runs `scaler`'s loop at `interval` while `body` runs, then stops it and waits for the loop to end. */
async function whileRunning(scaler: Scaler, interval: number, body: () => Promise<void>): Promise<void> {
  const abort = new AbortController();
  const running = scaler.run(interval, abort.signal);
  try {
    await body();
  } finally {
    abort.abort();
    await running;
  }
}

/** A scaler of a fleet at zero whose queues stay empty, and how many polls it has made. */
function emptyQueueScaler(options: Pick<ScalerOptions, 'idleInterval' | 'restAfter' | 'wakeSpacing'>) {
  let polls = 0;
  const scaler = createScaler({
    policy: DEFAULT_POLICY,
    driver: fakeDriver(),
    logger: silentLogger,
    ...options,
    readSignals: async () => {
      polls++;
      return queues(0);
    },
  });
  return { scaler, polls: () => polls };
}

describe('live scaler loop', () => {
  test('applies decisions through the driver and keeps them in its log and metrics', async () => {
    const driver = fakeDriver();
    const metrics = createScalerMetrics();
    let now = 0;
    let visible = 23;
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver,
      logger: silentLogger,
      metrics,
      clock: () => now,
      readSignals: async () => queues(visible),
    });
    const first = await scaler.tick();
    expect(first.direction).toBe('out');
    expect(driver.desired).toBe(5);
    visible = 0;
    now = 301_000;
    const second = await scaler.tick();
    expect(second.direction).toBe('in');
    expect(driver.desired).toBe(0);
    expect(scaler.decisions.map((d) => d.desired)).toEqual([5, 0]);
    expect(await metrics.registry.metrics()).toMatch(/ebbflow_scaler_decisions_total\{direction="in"\} 1/);
  });

  test('a scale-in charges the tasks it stopped within their first minute, in the metrics as in the total', async () => {
    const driver = fakeDriver();
    const metrics = createScalerMetrics();
    let now = 0;
    let visible = 10;
    const scaler = createScaler({
      policy: { ...DEFAULT_POLICY, scaleInCooldown: 0 },
      driver,
      logger: silentLogger,
      metrics,
      meter: createCostMeter(resolveTaskPrice(undefined, {}), 0, () => now),
      clock: () => now,
      readSignals: async () => queues(visible),
    });
    expect((await scaler.tick()).runningAfter).toBe(2); // two tasks start at 0 s
    visible = 0;
    now = 20_000;
    const scaledIn = await scaler.tick();
    expect(scaledIn.direction).toBe('in');
    // Two tasks for 20 s, and 40 s more each: Fargate bills a task at least a minute.
    expect(scaledIn.spent?.taskSeconds).toBe(2 * 60);
    expect(await metrics.registry.metrics()).toMatch(/^ebbflow_scaler_task_seconds_total 120$/m);
  });

  test('a change the driver failed to apply is retried at the next poll, not held by a cooldown', async () => {
    const driver = fakeDriver(1);
    let now = 0;
    const scaler = createScaler({
      policy: { ...DEFAULT_POLICY, minTasks: 0 },
      driver,
      logger: silentLogger,
      clock: () => now,
      readSignals: async () => queues(40),
    });
    driver.desired = 1; // not from zero: the cooldown would apply
    await expect(scaler.tick()).rejects.toThrow('throttled');
    now = 5_000;
    const retried = await scaler.tick();
    expect(retried.direction).toBe('out');
    expect(driver.calls).toEqual([8, 8]);
    expect(driver.desired).toBe(8);
  });

  test('run() polls until aborted and survives a failed poll', async () => {
    let polls = 0;
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver: fakeDriver(),
      logger: silentLogger,
      readSignals: async () => {
        polls++;
        if (polls === 1) throw new Error('SQS unreachable');
        return queues(0);
      },
    });
    const abort = new AbortController();
    const running = scaler.run(10, abort.signal);
    while (polls < 3) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await running;
    expect(scaler.decisions.length).toBeGreaterThanOrEqual(2);
  });

  test('run() polls at the idle interval while the fleet is at zero, and at the interval once it is not', async () => {
    let polls = 0;
    const driver = fakeDriver();
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver,
      logger: silentLogger,
      idleInterval: 5,
      readSignals: async () => {
        polls++;
        return queues(polls >= 3 ? 20 : 0);
      },
    });
    const abort = new AbortController();
    const running = scaler.run(60_000, abort.signal);
    while (polls < 3) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    await running;
    // The third poll saw work and started workers; the next poll waits the full interval.
    expect(driver.desired).toBeGreaterThan(0);
    expect(polls).toBe(3);
  });

  test('wake() polls at once while the fleet is at zero, and leaves a running fleet to its interval', async () => {
    let polls = 0;
    let work = 0;
    const driver = fakeDriver();
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver,
      logger: silentLogger,
      idleInterval: 60_000,
      readSignals: async () => {
        polls++;
        return queues(work);
      },
    });
    await whileRunning(scaler, 60_000, async () => {
      await until(() => scaler.decisions.length === 1);
      // At zero and waiting a minute: work arrives, and the next poll comes at once and starts a worker.
      work = 3;
      expect(scaler.wake()).toBe(true);
      await until(() => scaler.decisions.length === 2);
      expect(scaler.decisions[1]!.direction).toBe('out');
      expect(driver.desired).toBeGreaterThan(0);
      // With workers running, a wake changes nothing: no poll before the interval.
      expect(scaler.wake()).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
      expect(polls).toBe(2);
    });
  });

  test('after restAfter at zero it polls at the interval, until a wake brings the quick polls back', async () => {
    const { scaler, polls } = emptyQueueScaler({ idleInterval: 5, restAfter: 50 });
    await whileRunning(scaler, 60_000, async () => {
      // Quick polls while the rest period lasts.
      await until(() => polls() >= 4);
      // At rest: the poll after the rest period began waits the whole interval.
      await new Promise((r) => setTimeout(r, 150));
      const rested = polls();
      await new Promise((r) => setTimeout(r, 150));
      expect(polls()).toBe(rested);
      // A wake polls at once and starts a new rest period of quick polls.
      expect(scaler.wake()).toBe(true);
      await until(() => polls() >= rested + 4);
    });
  });

  test('wakes in a loop bring at most one poll per spacing', async () => {
    const { scaler, polls } = emptyQueueScaler({ idleInterval: 60_000, wakeSpacing: 100 });
    await whileRunning(scaler, 60_000, async () => {
      await until(() => scaler.decisions.length === 1);
      // A client POSTs /wake every 5 ms for half a second to a fleet at zero that finds nothing to do.
      const started = Date.now();
      while (Date.now() - started < 500) {
        expect(scaler.wake()).toBe(true);
        await new Promise((r) => setTimeout(r, 5));
      }
      // The first wake polls at once, then one poll per 100 ms: about six, where each wake had brought one.
      expect(polls()).toBeGreaterThanOrEqual(4);
      expect(polls()).toBeLessThanOrEqual(8);
    });
  });

  test('a wake that arrives while a poll reads the queues is not lost', async () => {
    let polls = 0;
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver: fakeDriver(),
      logger: silentLogger,
      idleInterval: 60_000,
      readSignals: async () => {
        polls++;
        // The first poll reads an empty queue just before the bridge starts a workflow and wakes the scaler.
        if (polls === 1) scaler.wake();
        return queues(polls === 1 ? 0 : 2);
      },
    });
    await whileRunning(scaler, 60_000, async () => {
      while (scaler.decisions.length < 2) await new Promise((r) => setTimeout(r, 5));
      expect(scaler.decisions.map((d) => d.direction)).toEqual(['none', 'out']);
    });
  });
});

const POLL = 5_000;
const SETTINGS: PolicySettings = { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 };

const temporalBacklog = (backlog: number): QueueSignals => ({
  queueVisible: 0,
  queueInFlight: 0,
  // The bridge turns messages into workflows at once: the backlog the policies see is Temporal's.
  taskQueueBacklog: backlog,
  taskQueueBacklogAge: 0,
  taskQueueAddRate: 0,
});

const awsScaler = (driver: CapacityDriver, clock: () => number, backlog: number, minTasks = SETTINGS.minTasks) =>
  createScaler({
    policy: { ...SETTINGS, minTasks },
    policyName: 'aws-target-tracking',
    driver,
    logger: silentLogger,
    clock,
    readSignals: async () => temporalBacklog(backlog),
  });

describe('live scaler with AWS target-tracking semantics', () => {
  test('the burst waits for 3 one-minute datapoints, then scales out in one step; ebbflow acts at the first poll', async () => {
    let now = 0;
    const driver = fakeDriver(0, 1);
    const scaler = awsScaler(driver, () => now, 100);
    const outs: number[] = [];
    for (; now <= 130_000; now += POLL) {
      const d = await scaler.tick();
      if (d.direction === 'out') outs.push(d.at);
      if (now < 120_000) expect(driver.desired).toBe(1);
    }
    expect(outs).toEqual([120_000]);
    expect(driver.calls).toEqual([10]);
    const out = scaler.decisions.find((d) => d.direction === 'out')!;
    expect(out.reason).toBe('3 datapoints above 5 (now 100.0) → 10');
    expect(out.previous).toBe(1);
    expect(out.backlog).toBe(100);
    expect(scaler.decisions.find((d) => d.at === 5_000)!.reason).toBe('next datapoint in 55s');

    now = 0;
    const ebbflowDriver = fakeDriver(0, 1);
    const ebbflow = createScaler({
      policy: SETTINGS,
      driver: ebbflowDriver,
      logger: silentLogger,
      clock: () => now,
      readSignals: async () => temporalBacklog(100),
    });
    expect((await ebbflow.tick()).direction).toBe('out');
    expect(ebbflowDriver.desired).toBe(10);
  });

  test('a fleet below the minimum is raised to it at once, as the scalable target does', async () => {
    const driver = fakeDriver();
    const first = await awsScaler(driver, () => 0, 100).tick();
    expect(first.direction).toBe('out');
    expect(driver.calls).toEqual([1]);
  });

  test('with no running task the metric has no data and the fleet stays at 0', async () => {
    let now = 0;
    const driver = fakeDriver();
    const scaler = awsScaler(driver, () => now, 100, 0);
    for (; now <= 600_000; now += POLL) await scaler.tick();
    expect(driver.calls).toEqual([]);
    expect(scaler.decisions.at(-1)!.reason).toBe('metric no data (0 running tasks), no alarm');
  });

  test('a scale-out the driver failed to apply is retried at the next poll, not a minute later', async () => {
    let now = 0;
    const driver = fakeDriver(1, 2);
    const scaler = awsScaler(driver, () => now, 30);
    for (; now < 120_000; now += POLL) await scaler.tick();
    await expect(scaler.tick()).rejects.toThrow('throttled');
    now += POLL;
    const retried = await scaler.tick();
    expect(retried.direction).toBe('out');
    expect(driver.calls).toEqual([6, 6]);
    expect(driver.desired).toBe(6);
  });
});

describe('keda in the live scaler', () => {
  test('EBBFLOW_SCALER_POLICY=keda activates on the task-queue backlog, then the HPA steps up every 15 s', async () => {
    const driver = fakeDriver();
    let now = 0;
    const scaler = createScaler({
      policy: { ...DEFAULT_POLICY, maxTasks: 20 },
      policyName: 'keda',
      driver,
      logger: silentLogger,
      clock: () => now,
      readSignals: async () => ({ ...queues(0), taskQueueBacklog: 100 }),
    });
    for (; now <= 20_000; now += 5_000) await scaler.tick();
    // Activation to 1, the HPA's first sync to 5 (4 pods), 15 s later to 10 (100 %).
    expect(driver.calls).toEqual([1, 5, 10]);
    expect(scaler.decisions.at(-1)!.reason).toMatch(/temporal metric 100/);
  });
});

describe('busy workers', () => {
  test('the driver’s busy count reaches the policy: a fleet running activities is not cut on an empty queue', async () => {
    const driver = fakeDriver(0, 3);
    let busy = 3;
    driver.describe = async () => ({ desired: driver.desired, running: driver.desired, busyTasks: busy });
    let now = 0;
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver,
      logger: silentLogger,
      clock: () => now,
      readSignals: async () => queues(0),
    });
    now = 301_000;
    const held = await scaler.tick();
    expect(held.desired).toBe(3);
    expect(held.signals.busyTasks).toBe(3);
    busy = 1;
    now = 306_000;
    expect((await scaler.tick()).desired).toBe(1);
    expect(driver.calls).toEqual([1]);
  });
});

describe('signals', () => {
  const client = (stats: unknown) =>
    ({ workflowService: { describeTaskQueue: async () => ({ stats }) } }) as unknown as Client;

  test('a task queue answered without statistics is flagged, not read as empty', async () => {
    const read = createSignalReader({ temporal: client(null), namespace: 'default', taskQueue: 'q' });
    expect(await read()).toMatchObject({ taskQueueBacklog: 0, taskQueueStatsMissing: true });
  });

  test('with statistics the backlog of both queue types is added up', async () => {
    const read = createSignalReader({
      temporal: client({ approximateBacklogCount: 4, approximateBacklogAge: { seconds: 3 }, tasksAddRate: 1.5 }),
      namespace: 'default',
      taskQueue: 'q',
    });
    const signals = await read();
    expect(signals).toMatchObject({ taskQueueBacklog: 8, taskQueueBacklogAge: 3000, taskQueueAddRate: 3 });
    expect(signals.taskQueueStatsMissing).toBeUndefined();
  });

  test('running activities are read from the SDK slot gauges, activity and local activity workers only', () => {
    const text = [
      '# HELP temporal_worker_task_slots_used Current number of task slots in use',
      'temporal_worker_task_slots_used{namespace="default",task_queue="q",worker_type="WorkflowWorker"} 5',
      'temporal_worker_task_slots_used{namespace="default",task_queue="q",worker_type="ActivityWorker"} 2',
      'temporal_worker_task_slots_used{namespace="default",task_queue="q",worker_type="LocalActivityWorker"} 1',
      'temporal_worker_task_slots_available{namespace="default",task_queue="q",worker_type="ActivityWorker"} 2',
    ].join('\n');
    expect(runningActivitiesFromMetrics(text)).toBe(3);
    expect(runningActivitiesFromMetrics('')).toBe(0);
  });
});

describe('the cost estimate across a rollout', () => {
  test('a new task definition whose price cannot be read keeps the old price, and is read again at the next poll', async () => {
    const driver = fakeDriver(0, 2);
    let definition = 'worker:1';
    driver.describe = async () => ({ desired: driver.desired, running: driver.desired, sizeSource: definition });
    const large = resolveTaskPrice({ vcpu: 2, memoryGb: 4, source: 'worker:2' }, {});
    let readable = false;
    const reads: string[] = [];
    let now = 0;
    const meter = createCostMeter(resolveTaskPrice({ vcpu: 1, memoryGb: 2, source: 'worker:1' }, {}), 0);
    const scaler = createScaler({
      policy: DEFAULT_POLICY,
      driver,
      logger: silentLogger,
      clock: () => now,
      meter,
      priceTasks: async () => {
        reads.push(definition);
        if (!readable) throw new Error('AccessDeniedException: ecs:DescribeTaskDefinition');
        return large;
      },
      readSignals: async () => queues(10),
    });
    await scaler.tick(); // priced at the start: nothing to read again
    definition = 'worker:2';
    now = 5_000;
    await scaler.tick();
    expect(meter.reading(now).price.vcpu).toBe(1);
    readable = true;
    now = 10_000;
    await scaler.tick();
    expect(meter.reading(now).price).toEqual(large);
    now = 15_000;
    await scaler.tick();
    expect(reads).toEqual(['worker:2', 'worker:2']);
  });
});
