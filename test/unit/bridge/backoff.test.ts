import { backoffDelay } from '../../../src/bridge/backoff';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 20, 1000].map((a) =>
      backoffDelay(a, { initialMs: 500, maxMs: 5000, jitter: 0 }),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]);
  });

  it('takes at most the jitter fraction off, never more', () => {
    expect(backoffDelay(3, { initialMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 0.999999 })).toBe(640);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 0 })).toBe(800);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, { initialMs: 250, maxMs: 1000, jitter: 0 })).toBe(250);
  });
});
