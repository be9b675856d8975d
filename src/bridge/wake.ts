/**
 * Tells a scaler that work has arrived: a POST to EBBFLOW_BRIDGE_WAKE_URL (the scaler's /wake) as workflows start, at
 * most once per interval, so a fleet at zero scales out at once rather than at its next poll. The bridge does it as
 * it starts workflows (`wakeNotifier`), the CLI's client after each start (`wakeOnStart`). Best effort either way: a
 * wake never fails a start.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Logger } from '../logger';

/** A wake call that has not answered within this is abandoned: the scaler's own poll covers it. */
const WAKE_TIMEOUT_MS = 2_000;
/** Longest a command's start waits for the scaler to take its wake call. */
const WAKE_WAIT_MS = 500;

/** One POST to `url`: resolves once the scaler has answered with a success status, rejects with what went wrong. */
async function postWake(url: string, timeoutMs: number): Promise<void> {
  const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
}

/**
 * `due()` is true when called for the first time, then at most once per `intervalMs`; `dueIn(ms)` makes it true
 * again `ms` from now, sooner than the interval would.
 */
function oncePer(intervalMs: number, clock: () => number): { due(): boolean; dueIn(ms: number): void } {
  let last = -Infinity;
  return {
    due() {
      const now = clock();
      if (now - last < intervalMs) return false;
      last = now;
      return true;
    },
    dueIn(ms) {
      last = Math.min(last, clock() - intervalMs + ms);
    },
  };
}

/**
 * The bridge's wake: not awaited, so it never delays a start. A scaler that cannot be reached, or answers with an error
 * status (a wrong URL), is worth one warning: a fleet at zero then waits for the scaler's own poll. Further failures
 * are logged at debug level until a call succeeds again. A call that failed (a scaler still starting, or restarting)
 * is made again by the next start `retryMs` later, rather than a whole interval later.
 */
export function wakeNotifier(
  url: string,
  logger: Logger,
  intervalMs = 1_000,
  clock = Date.now,
  retryMs = 100,
): () => void {
  const limit = oncePer(intervalMs, clock);
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
  const answered = (): void => {
    if (!answering) logger.info('the scaler answers wake calls again', { url });
    answering = true;
  };
  return () => {
    if (!limit.due()) return;
    postWake(url, WAKE_TIMEOUT_MS).then(answered, (error: unknown) => {
      failed(error);
      limit.dueIn(retryMs);
    });
  };
}

/**
 * The CLI's wake, after each workflow its client starts (runs, backfills, reruns): a local fleet that has rested at
 * zero for a while polls only every EBBFLOW_SCALER_POLL_INTERVAL. Awaited, briefly, because a command may exit right
 * after its start; a scaler that does not answer in time, or at all, costs the command nothing but that wait.
 */
export function wakeOnStart(url: string, intervalMs = 1_000, clock = Date.now): WorkflowClientInterceptor {
  const limit = oncePer(intervalMs, clock);
  const wake = async (): Promise<void> => {
    if (limit.due()) await postWake(url, WAKE_WAIT_MS).catch(() => undefined);
  };
  return {
    async startWithDetails(input, next) {
      const started = await next(input);
      await wake();
      return started;
    },
    async signalWithStart(input, next) {
      const runId = await next(input);
      await wake();
      return runId;
    },
  };
}
