import { silentLogger } from '../../../src/logger';
import type { CapacityDriver } from '../../../src/scaler/driver';
import { createScalerMetrics } from '../../../src/scaler/metrics';
import { DEFAULT_POLICY } from '../../../src/scaler/policy';
import { createScaler } from '../../../src/scaler/scaler';
import type { QueueSignals } from '../../../src/scaler/signals';

function fakeDriver(failures = 0): CapacityDriver & { desired: number; calls: number[] } {
  let left = failures;
  const driver = {
    name: 'local' as const,
    desired: 0,
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
});
