/**
 * Tells a scaler that work has arrived: a POST to EBBFLOW_BRIDGE_WAKE_URL (the scaler's /wake) as the bridge starts
 * workflows, at most once per interval, so a fleet at zero scales out at once rather than at its next poll. Best
 * effort: the call is not awaited and never delays or fails a start. A scaler that cannot be reached, or answers with
 * an error status (a wrong URL), is worth one warning: a fleet at zero then waits for the scaler's own poll. Further
 * failures are logged at debug level until a call succeeds again.
 */
import type { Logger } from '../logger';

/** A wake call that has not answered within this is abandoned: the scaler's own poll covers it. */
const WAKE_TIMEOUT_MS = 2_000;

export function wakeNotifier(url: string, logger: Logger, intervalMs = 1_000, clock = Date.now): () => void {
  let last = -Infinity;
  /** Whether the last call answered: a failure after a success (or first of all) is the one warned about. */
  let answering = true;
  const failed = (error: unknown): void => {
    if (answering) {
      logger.warn('could not wake the scaler: a fleet at zero waits for its next poll', { url, error });
    } else {
      logger.debug('could not wake the scaler', { url, error });
    }
    answering = false;
  };
  const answered = async (res: Response): Promise<void> => {
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
    if (!answering) logger.info('the scaler answers wake calls again', { url });
    answering = true;
  };
  return () => {
    const now = clock();
    if (now - last < intervalMs) return;
    last = now;
    fetch(url, { method: 'POST', signal: AbortSignal.timeout(WAKE_TIMEOUT_MS) })
      .then(answered)
      .catch(failed);
  };
}
