import type { Client } from '@temporalio/client';
import { describeFailure } from '../../../src/cli/context';
import { redriveFailedSources } from '../../../src/etl/runs';

/** A client whose one run has this status and ledger (as its query answer and its result). */
function clientWithRun(status: string, ledger: Record<string, unknown>): Client {
  const handle = {
    describe: async () => ({ status: { name: status } }),
    query: async () => ledger,
    result: async () => ledger,
  };
  return { workflow: { getHandle: () => handle } } as unknown as Client;
}

const failedLedger = { entries: [{ name: 'orders', status: 'failed' }], date: '2025-03-14', settings: {} };

describe('etl redrive refuses, as a usage mistake (one line, exit 2)', () => {
  it.each([
    ['a run that is still going', clientWithRun('RUNNING', failedLedger), /still going; redrive it once/],
    ['a run that did not record its sources', clientWithRun('COMPLETED', failedLedger), /did not record its sources/],
  ])('%s', async (_case, client, message) => {
    const refused = await redriveFailedSources(client, 'etl-2025-03-14-abc123', { taskQueue: 'q' }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(refused).toMatchObject({ name: 'UsageError', message: expect.stringMatching(message) });
    expect(describeFailure(refused)).toEqual({ message: refused!.message, exitCode: 2 });
  });
});
