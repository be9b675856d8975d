/** Paces calls to a steady rate, so bulk work stays under a server's limit however many callers wait at once. */
export class RateLimiter {
  private next = 0;

  /** @param perSecond calls allowed per second, spread evenly (no bursts). */
  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError('a rate must be a positive number');
  }

  /** Resolves when the caller may make its call. */
  async take(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) await this.sleep(slot - now);
  }
}
