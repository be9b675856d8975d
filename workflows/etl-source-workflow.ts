/**
 * One source of the fan-out ETL: extract, transform and load it for one date, retried on its own.
 *
 * Retries are counted here rather than by the activity's retry policy, so the ledger can say how many attempts a
 * source took and why each failed. Every attempt is one activity with a heartbeat timeout: when a worker dies
 * mid-source, the attempt times out and the next one resumes after the last committed batch (its checkpoint lives in
 * the warehouse; the last heartbeat — file and row offset — is handed over as a hint). Permanent failures (bad schema,
 * missing prefix, corrupt gzip) stop at once. The wait between attempts doubles from `retryInitialIntervalMs` up to
 * ten minutes.
 */
import {
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  ETL_RETRY_MAX_INTERVAL_MS,
  type EtlCheckpoint,
  type EtlSourceInput,
  type EtlSourceResult,
} from '../src/common/etl-types';
import { clip } from '../src/common/text';

/** What a failed attempt tells the retry loop. */
interface AttemptFailure {
  type: string;
  message: string;
  permanent: boolean;
  heartbeat?: EtlCheckpoint;
}

function describeFailure(err: unknown): AttemptFailure {
  const cause = (err as { cause?: unknown }).cause as
    | { name?: string; message?: string; type?: string; nonRetryable?: boolean; lastHeartbeatDetails?: unknown }
    | undefined;
  if (cause?.name === 'ApplicationFailure') {
    return { type: cause.type ?? 'Error', message: cause.message ?? 'failed', permanent: cause.nonRetryable === true };
  }
  if (cause?.name === 'TimeoutFailure') {
    const heartbeat = cause.lastHeartbeatDetails as EtlCheckpoint | undefined;
    return {
      type: 'TimeoutFailure',
      message: `attempt timed out (${cause.message ?? 'no heartbeat'}): worker lost or stuck`,
      permanent: false,
      heartbeat: heartbeat && typeof heartbeat.offset === 'number' ? heartbeat : undefined,
    };
  }
  const e = err as Error;
  return { type: e.name ?? 'Error', message: e.message ?? String(err), permanent: false };
}

export async function etlSourceWorkflow(input: EtlSourceInput): Promise<EtlSourceResult> {
  const started = Date.now();
  const info = workflowInfo();
  const { loadEtlSource } = proxyActivities<Activities>({
    startToCloseTimeout: input.attemptTimeoutMs,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  const retries: string[] = [];
  let hint: EtlCheckpoint | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const loaded = await loadEtlSource({
        index: input.index,
        name: input.name,
        date: input.date,
        definition: input.definition,
        configKey: input.configKey,
        configEtag: input.configEtag,
        attempt,
        scope: `${info.workflowId}@${info.runId}`,
        resumeHint: hint,
      });
      return {
        index: input.index,
        name: input.name,
        attempts: attempt,
        rowsRead: loaded.rowsRead,
        rowsWritten: loaded.rowsWritten,
        rowsRejected: loaded.rowsRejected,
        durationMs: Date.now() - started,
        rejectReasons: loaded.rejectReasons,
        retries: retries.slice(-3),
        resumedFrom: loaded.resumedFrom,
      };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure = describeFailure(err);
      if (failure.permanent || attempt >= input.maxAttempts) {
        throw ApplicationFailure.create({
          type: failure.type,
          message: clip(failure.message),
          nonRetryable: true,
          details: [{ attempts: attempt, permanent: failure.permanent, retries: retries.slice(-3) }],
        });
      }
      retries.push(clip(`attempt ${attempt}: ${failure.message}`, 200));
      hint = failure.heartbeat ?? hint;
      const delay = input.retryInitialIntervalMs * 2 ** (attempt - 1);
      // Runs that waited longer before the cap existed keep their waits on replay.
      const capped = delay > ETL_RETRY_MAX_INTERVAL_MS && patched('etl-retry-interval-capped');
      await sleep(capped ? ETL_RETRY_MAX_INTERVAL_MS : delay);
    }
  }
}
