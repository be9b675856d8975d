/** Waiting and bounded concurrency for the processes (not for workflows, which sleep with Temporal's `sleep`). */
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `ms`, or as soon as `signal` aborts; never rejects because of the abort. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

/**
 * Calls `each` for every item, at most `concurrency` at a time, in the order of `items`. Rejects with the first
 * failure; items not yet started by then are not started.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  each: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await each(items[index]!, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}
