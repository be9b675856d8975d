import {
  createCostMeter,
  parseCpuQuantity,
  parseMemoryQuantity,
  pricesFor,
  resolveTaskPrice,
  taskPriceOf,
} from '../../../src/scaler/cost-meter';
import { FARGATE_PRICES } from '../../../src/simulator/cost';

describe('the task price', () => {
  it('defaults to the article’s task: 0.5 vCPU, 1 GB, on-demand, $0.024685 an hour', () => {
    const price = resolveTaskPrice(undefined, {});
    expect(price).toMatchObject({ vcpu: 0.5, memoryGb: 1, pricing: 'on-demand' });
    expect(price.hourly).toBeCloseTo(0.024685, 6);
    expect(price.source).toMatch(/^default/);
  });

  it('takes what the driver read, and each setting over it', () => {
    const read = { vcpu: 1, memoryGb: 2, arm: true, source: 'ECS task definition worker:3' };
    const fromDriver = resolveTaskPrice(read, {});
    expect(fromDriver).toMatchObject({ vcpu: 1, memoryGb: 2, pricing: 'arm', source: 'ECS task definition worker:3' });
    expect(fromDriver.hourly).toBeCloseTo(FARGATE_PRICES.arm.vcpuHour + 2 * FARGATE_PRICES.arm.gbHour, 9);
    const overridden = resolveTaskPrice(read, { taskMemoryGb: 4 });
    expect(overridden).toMatchObject({ vcpu: 1, memoryGb: 4, pricing: 'arm' });
    expect(overridden.source).toBe('configuration over ECS task definition worker:3');
    // A definition without a task-level size (the EC2 launch type) says so.
    expect(resolveTaskPrice({ arm: false, spot: false, source: 'ECS task definition worker:4' }, {}).source).toBe(
      'ECS task definition worker:4 over default: the article’s 0.5 vCPU, 1 GB task',
    );
  });

  it('prices Spot on ARM below Spot on x86, by the same discount', () => {
    const x86 = resolveTaskPrice({ vcpu: 1, memoryGb: 2, spot: true, source: 's' }, {});
    const arm = resolveTaskPrice({ vcpu: 1, memoryGb: 2, spot: true, arm: true, source: 's' }, {});
    expect([x86.pricing, arm.pricing]).toEqual(['spot', 'spot']);
    expect(arm.hourly).toBeLessThan(x86.hourly);
    const discount = FARGATE_PRICES.spot.vcpuHour / FARGATE_PRICES['on-demand'].vcpuHour;
    expect(pricesFor('spot', true).vcpuHour).toBeCloseTo(FARGATE_PRICES.arm.vcpuHour * discount, 9);
    expect(pricesFor('spot', false)).toBe(FARGATE_PRICES.spot);
  });
});

describe('the price of a fleet’s task', () => {
  const logged = () => {
    const lines: string[] = [];
    return { lines, info: (msg: string) => lines.push(msg), warn: (msg: string) => lines.push(`warn: ${msg}`) };
  };

  it('asks the driver, and says so when it cannot answer (missing permission), then uses the defaults', async () => {
    const logger = logged();
    const denied = { taskSize: () => Promise.reject(new Error('AccessDenied: ecs:DescribeTaskDefinition')) };
    const price = await taskPriceOf(denied, { pricing: 'spot' }, logger);
    expect(price).toMatchObject({
      vcpu: 0.5,
      memoryGb: 1,
      pricing: 'spot',
      source: 'configuration over default: the article’s 0.5 vCPU, 1 GB task',
    });
    expect(logger.lines).toEqual([
      'warn: worker task size not read: the cost estimate uses the settings and defaults',
      'cost estimate',
    ]);
  });

  it('does not ask the driver when the settings say it all', async () => {
    let asked = 0;
    const driver = { taskSize: async () => (asked++, { vcpu: 4, source: 'x' }) };
    const price = await taskPriceOf(driver, { taskVcpu: 2, taskMemoryGb: 4, pricing: 'arm' }, logged());
    expect([price.vcpu, price.memoryGb, price.pricing, asked]).toEqual([2, 4, 'arm', 0]);
    expect((await taskPriceOf(driver, { taskVcpu: 2 }, logged())).vcpu).toBe(2);
    expect(asked).toBe(1);
  });
});

describe('the cost meter', () => {
  it('counts the tasks a poll saw until the next poll, and up to now in a reading', () => {
    const price = resolveTaskPrice(undefined, { taskVcpu: 1, taskMemoryGb: 2 });
    let now = 0;
    const meter = createCostMeter(price, 0, () => now);
    expect(meter.record(1_000, 0)).toEqual({ taskSeconds: 0, dollars: 0 });
    expect(meter.record(6_000, 2).taskSeconds).toBe(0); // nothing ran from 1 s to 6 s
    expect(meter.record(16_000, 3).taskSeconds).toBe(20); // 2 tasks for 10 s
    expect(meter.record(16_000, 5).taskSeconds).toBe(0); // a change at the same moment: 5 from now on
    now = 17_000;
    expect(meter.reading().taskSeconds).toBe(25); // 5 tasks running for the last second
    // 5 tasks for 2 s; all stop within their first minute, which Fargate bills in full: the 3 started at 16 s are
    // charged 58 s more each, the 2 started at 6 s 48 s more.
    expect(meter.record(18_000, 0).taskSeconds).toBe(10 + 3 * 58 + 2 * 48);
    now = 3_618_000;
    expect(meter.reading().taskSeconds).toBe(300); // an hour at zero costs nothing
    const reading = meter.reading();
    expect(reading.dollars).toBeCloseTo((300 / 3600) * price.hourly, 12);
    expect(reading.since).toBe(new Date(0).toISOString());
  });

  it('charges a task that stops within its first minute the rest of it, newest tasks first', () => {
    const meter = createCostMeter(resolveTaskPrice(undefined, {}), 0);
    // 2 tasks already running when the meter starts: how long they ran before is not known, so never charged.
    meter.record(0, 2);
    expect(meter.record(10_000, 0).taskSeconds).toBe(20);
    meter.record(20_000, 1); // one starts
    meter.record(100_000, 2); // a second one, 80 s later
    // The newer stops after 30 s: 30 s more for its minute; the older has run 100 s, past its minute.
    expect(meter.record(130_000, 1).taskSeconds).toBe(2 * 30 + 30);
    expect(meter.record(140_000, 0).taskSeconds).toBe(10);
    expect(meter.reading().taskSeconds).toBe(20 + 80 + 90 + 10);
  });

  it('prices from a new task size on, and keeps what was spent at the old one', () => {
    const small = resolveTaskPrice(undefined, {});
    const large = resolveTaskPrice(undefined, { taskVcpu: 2, taskMemoryGb: 4 });
    let now = 3_600_000;
    const meter = createCostMeter(small, 0, () => now);
    meter.record(0, 2);
    meter.record(3_600_000, 2); // two hours of the small task
    meter.reprice(large);
    now = 5_400_000; // half an hour later: two large tasks running
    const reading = meter.reading();
    expect(reading.taskSeconds).toBe(2 * 3600 + 2 * 1800);
    expect(reading.dollars).toBeCloseTo(2 * small.hourly + 1 * large.hourly, 12);
    expect(reading.price).toBe(large);
  });

  it('never counts backwards when the clock steps back', () => {
    const meter = createCostMeter(resolveTaskPrice(undefined, {}), 0, () => 9_000);
    meter.record(10_000, 4);
    expect(meter.reading().taskSeconds).toBe(0);
    expect(meter.record(9_000, 4).taskSeconds).toBe(0);
    expect(meter.record(11_000, 4).taskSeconds).toBe(4);
    expect(meter.reading().taskSeconds).toBe(4);
  });
});

describe('Kubernetes quantities', () => {
  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['500m', 0.5],
    ['2500m', 2.5],
  ])('cpu %s is %d cores', (text, cores) => expect(parseCpuQuantity(text)).toBe(cores));

  it.each([
    ['2Gi', 2],
    ['512Mi', 0.5],
    ['1073741824', 1],
    ['1G', 1e9 / 1024 ** 3],
  ])('memory %s is %d GiB', (text, gib) => expect(parseMemoryQuantity(text)).toBeCloseTo(gib, 9));

  it.each(['', 'lots', '1 cpu', '-1', '2gi', '1ki'])('refuses %j', (text) => {
    expect(parseCpuQuantity(text)).toBeUndefined();
    expect(parseMemoryQuantity(text)).toBeUndefined();
  });
});
