import { batchCost } from '../../../src/dev/demo';
import { resolveTaskPrice } from '../../../src/scaler/cost-meter';

it('the demo says what its batch cost: the difference of two readings of the scaler’s meter', () => {
  const price = resolveTaskPrice(undefined, {});
  const reading = (taskSeconds: number) => ({
    since: '2026-12-07T00:00:00.000Z',
    taskSeconds,
    dollars: (taskSeconds / 3600) * price.hourly,
    price,
  });
  expect(batchCost(reading(12.5), reading(48.5))).toBe(
    'Workers ran 36.0 task-seconds during the batch: about $0.00025 as Fargate tasks of 0.5 vCPU and 1 GB ' +
      '(on-demand). Fargate bills a task until it stops, at least a minute: ebbflow status shows the running total, ' +
      'scale-in included.',
  );
});
