/**
 * Tells a scaler that work has arrived: a POST to EBBFLOW_BRIDGE_WAKE_URL (the scaler's /wake) as the bridge starts
 * workflows, at most once per interval, so a fleet at zero scales out at once rather than at its next poll. Best
 * effort: the call is not awaited, and a failure is logged at debug level; it never delays or fails a start.
 */
import type { Logger } from '../logger';

/** A wake call that has not answered within this is abandoned: the scaler's own poll covers it. */
const WAKE_TIMEOUT_MS = 2_000;

export function wakeNotifier(url: string, logger: Logger, intervalMs = 1_000, clock = Date.now): () => void {
  let last = -Infinity;
  return () => {
    const now = clock();
    if (now - last < intervalMs) return;
    last = now;
    fetch(url, { method: 'POST', signal: AbortSignal.timeout(WAKE_TIMEOUT_MS) })
      .then((res) => res.arrayBuffer())
      .catch((error: unknown) => logger.debug('could not wake the scaler', { url, error }));
  };
}
