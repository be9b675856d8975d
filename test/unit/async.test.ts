import { forEachConcurrently, sleep } from '../../src/async';

describe('sleep', () => {
  it('ends early, without an error, when its signal aborts', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, stop.signal);
    stop.abort();
    await expect(slept).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('returns at once when the signal has already aborted', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const gates: (() => void)[] = [];
    const all = forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      seen.push(item);
      running--;
    });
    // Release the waiting items one at a time until all have run.
    while (seen.length < 7) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await all;
    expect(most).toBe(3);
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const run = forEachConcurrently([0, 1, 2, 3, 4, 5], 1, async (item) => {
      started.push(item);
      if (item === 2) throw new Error('item 2 broke');
    });
    await expect(run).rejects.toThrow('item 2 broke');
    expect(started).toEqual([0, 1, 2]);
  });

  it('passes each item its index and copes with no items', async () => {
    const indices: number[] = [];
    await forEachConcurrently(['a', 'b'], 8, async (_, index) => void indices.push(index));
    expect(indices).toEqual([0, 1]);
    await expect(forEachConcurrently([], 4, () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
  });
});
