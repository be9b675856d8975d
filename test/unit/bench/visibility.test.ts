import type { Client } from '@temporalio/client';
import { lastClose } from '../../../bench/visibility';

interface FakeRun {
  workflowId: string;
  status: { name: string };
  closeTime?: Date;
}

/** A client whose visibility counts `closed` in turn (the last one thereafter) and lists `runs`. */
function fakeClient(closed: number[], runs: FakeRun[]) {
  const queries: string[] = [];
  let reads = 0;
  const client = {
    workflow: {
      count: async (query: string) => {
        queries.push(query);
        return { count: closed[Math.min(reads++, closed.length - 1)]! };
      },
      list: ({ query }: { query: string }) => {
        queries.push(query);
        return (async function* () {
          yield* runs;
        })();
      },
    },
  };
  return { client: client as unknown as Client, queries };
}

const done = (id: string, at: number): FakeRun => ({
  workflowId: id,
  status: { name: 'COMPLETED' },
  closeTime: new Date(at),
});

describe('lastClose', () => {
  it('waits until n have closed, then returns the latest close time of those the query matches', async () => {
    const { client, queries } = fakeClient([1, 3], [done('a', 5_000), done('b', 9_000), done('c', 7_000)]);
    await expect(lastClose(client, 'TaskQueue = "q"', 3)).resolves.toBe(9_000);
    expect(queries).toEqual([
      'TaskQueue = "q" AND ExecutionStatus != "Running"',
      'TaskQueue = "q" AND ExecutionStatus != "Running"',
      'TaskQueue = "q"',
    ]);
  });

  it('returns the floor when nothing closed after it', async () => {
    const { client } = fakeClient([1], [done('a', 5_000)]);
    await expect(lastClose(client, 'q', 1, 6_000)).resolves.toBe(6_000);
  });

  it('throws when a workflow of the batch did not complete', async () => {
    const { client } = fakeClient([2], [done('a', 5_000), { workflowId: 'b', status: { name: 'FAILED' } }]);
    await expect(lastClose(client, 'q', 2)).rejects.toThrow('workflow b ended FAILED');
  });
});
