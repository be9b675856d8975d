/**
 * Wakes a scaler after the workflows a client starts (the CLI's runs, backfills and redrives), as the bridge does for
 * the ones it starts: a local fleet that has rested at zero for a while polls only every EBBFLOW_SCALER_POLL_INTERVAL.
 * The POST is awaited, briefly, because a command may exit right after its start; a scaler that does not answer in
 * time, or at all, costs the command nothing but that wait: the fleet then starts at the scaler's next poll.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';

/** Longest a start waits for the scaler to take its wake call. */
const WAKE_WAIT_MS = 500;

export function wakeOnStart(url: string, intervalMs = 1_000, clock = Date.now): WorkflowClientInterceptor {
  let last = -Infinity;
  const wake = async (): Promise<void> => {
    const now = clock();
    if (now - last < intervalMs) return;
    last = now;
    await fetch(url, { method: 'POST', signal: AbortSignal.timeout(WAKE_WAIT_MS) })
      .then((res) => res.arrayBuffer())
      .catch(() => undefined);
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
