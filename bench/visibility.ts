/** What the benchmarks read back from Temporal's visibility store about the workflows a batch started. */
import type { Client } from '@temporalio/client';
import { sleep } from '../src/async';

/**
 * When the last of the workflows `query` matches closed, by the server's clock (the same host's), in ms since the
 * epoch; `floor` when none closed later. Waits until `n` of them have closed, counting every half second, then reads
 * their close times, so neither the polling interval nor visibility's lag adds to a time measured up to it. A batch
 * with a workflow that did not complete has no time to report: that throws.
 */
export async function lastClose(client: Client, query: string, n: number, floor = 0): Promise<number> {
  while ((await client.workflow.count(`${query} AND ExecutionStatus != "Running"`)).count < n) {
    await sleep(500);
  }
  let last = floor;
  for await (const run of client.workflow.list({ query })) {
    if (run.status.name !== 'COMPLETED') throw new Error(`workflow ${run.workflowId} ended ${run.status.name}`);
    last = Math.max(last, run.closeTime!.getTime());
  }
  return last;
}
