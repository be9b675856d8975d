import type { Client } from '@temporalio/client';
import { Schedules } from '../../../src/schedules/schedule-client';

/** A client whose one schedule lives in `timezone` and records the backfill requests it gets. */
function clientRecordingBackfills(timezone: string): { client: Client; ranges: { start: Date; end: Date }[] } {
  const ranges: { start: Date; end: Date }[] = [];
  const handle = {
    describe: async () => ({ memo: { timezone }, spec: { timezone } }),
    backfill: async (range: { start: Date; end: Date }) => {
      ranges.push(range);
    },
  };
  return { client: { schedule: { getHandle: () => handle } } as unknown as Client, ranges };
}

describe('Schedules.backfill', () => {
  // Temporal evaluates the range exclusive of its start: a run due at the first day's midnight needs a start before it.
  it.each([
    ['UTC', '2026-02-01T23:59:59.000Z', '2026-02-08T23:59:59.000Z'],
    ['Europe/Berlin', '2026-02-01T22:59:59.000Z', '2026-02-08T22:59:59.000Z'],
  ])(
    'asks for the runs strictly after the eve of the first day and up to the last second, in %s',
    async (zone, start, end) => {
      const { client, ranges } = clientRecordingBackfills(zone);
      await new Schedules(client).backfill('daily-sales', '2026-02-01', '2026-02-07');
      expect(ranges.map((r) => [r.start.toISOString(), r.end.toISOString()])).toEqual([[start, end]]);
    },
  );
});
