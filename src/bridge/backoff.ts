/** Exponential backoff with a cap and optional jitter, for pauses while a dependency is unreachable. */

export interface BackoffOptions {
  /** First delay. @defaultValue 500 */
  initialMs?: number;
  /** Longest delay (bridge.maxBackoff). */
  maxMs: number;
  /** Growth per attempt. @defaultValue 2 */
  factor?: number;
  /** Fraction of the delay randomised downwards, 0–1, so many bridges do not probe in step. @defaultValue 0.2 */
  jitter?: number;
  /** Source of randomness in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): initial × factor^attempt, capped at maxMs, minus jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const initial = options.initialMs ?? 500;
  const factor = options.factor ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt, 0), 60);
  const base = Math.min(options.maxMs, initial * factor ** exponent);
  return Math.round(base * (1 - jitter * random()));
}
