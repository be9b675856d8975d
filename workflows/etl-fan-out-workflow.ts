/**
 * The fan-out ETL: one `etlSourceWorkflow` child per source, never more than `parallelism` in flight, and a ledger of
 * every source readable while the run goes (the `etlLedger` query) and returned at the end.
 *
 * Each child retries its source on its own, so one flaky source never reruns the others. The run fails only when the
 * failed share exceeds `toleratedFailurePercent`, and then names the failed sources. To keep the history bounded for
 * thousands of sources, a run stops launching once its history passes `continueAsNewAfterEvents` (or the server
 * suggests it), lets the children in flight finish, and continues as new carrying the ledger in compact form (about
 * 50 bytes a source) and the position of the next source. The sources file is pinned by its ETag for the whole chain.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  executeChild,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ETL_UPDATE_SET, etlSetProblem, type EtlControls, type EtlSetRequest } from '../src/common/etl-controls';
import { countStatuses, toleranceExceeded } from '../src/common/etl-ledger';
import { compactEntry, expandEntry } from '../src/common/etl-ledger-codec';
import {
  ETL_DEFAULTS,
  ETL_ERROR_TYPES,
  ETL_QUERY_LEDGER,
  type EtlCarriedState,
  type EtlFanOutInput,
  type EtlFanOutResult,
  type EtlLedger,
  type EtlLedgerEntry,
  type EtlRunSettings,
} from '../src/common/etl-types';
import { clip } from '../src/common/text';
import { etlSourceWorkflow } from './etl-source-workflow';

export const etlLedgerQuery = defineQuery<EtlLedger>(ETL_QUERY_LEDGER);
/** Changes parallelism and failure tolerance of a running fan-out; answered with the settings now in force. */
export const etlSetUpdate = defineUpdate<EtlControls, [EtlSetRequest]>(ETL_UPDATE_SET);

const { resolveEtlSources } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [ETL_ERROR_TYPES.invalidSources] },
});

const { writeEtlLedger } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1 second', backoffCoefficient: 2 },
});

/** Reads what a failed child reports: its error type, message, attempts and earlier failures. */
function failureOf(err: unknown): { type: string; message: string; attempts?: number; retries?: string[] } {
  const cause = (err as { cause?: unknown }).cause as
    { name?: string; type?: string; message?: string; details?: unknown[] } | undefined;
  if (cause?.name === 'ApplicationFailure') {
    const details = (cause.details?.[0] ?? {}) as { attempts?: number; retries?: string[] };
    return { type: cause.type ?? 'Error', message: cause.message ?? 'failed', ...details };
  }
  const e = (cause ?? err) as Error;
  return { type: e.name ?? 'Error', message: e.message ?? String(err) };
}

export async function etlFanOutWorkflow(input: EtlFanOutInput): Promise<EtlFanOutResult> {
  const info = workflowInfo();
  let parallelism = Math.max(1, input.parallelism ?? ETL_DEFAULTS.parallelism);
  let toleratedCount = input.toleratedFailureCount;
  let percentGiven = input.toleratedFailurePercent !== undefined;
  // Given only a count of tolerated failures, a run is not also held to the default percentage.
  let tolerated =
    input.toleratedFailurePercent ?? (toleratedCount === undefined ? ETL_DEFAULTS.toleratedFailurePercent : 100);
  const maxAttempts = Math.max(1, input.maxAttempts ?? ETL_DEFAULTS.maxAttempts);
  const eventBudget = input.continueAsNewAfterEvents ?? ETL_DEFAULTS.continueAsNewAfterEvents;

  const settings: EtlRunSettings = {
    parallelism,
    toleratedFailurePercent: tolerated,
    ...(toleratedCount === undefined ? {} : { toleratedFailureCount: toleratedCount }),
    maxAttempts,
    retryInitialIntervalMs: input.retryInitialIntervalMs,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    attemptTimeoutMs: input.attemptTimeoutMs,
    continueAsNewAfterEvents: input.continueAsNewAfterEvents,
  };
  const date = input.carried?.date ?? input.date ?? new Date(info.startTime).toISOString().slice(0, 10);
  const startedAt = input.carried?.startedAt ?? Date.now();
  const continuedRuns = input.carried?.continuedRuns ?? 0;
  let entries: EtlLedgerEntry[] = input.carried?.ledger.map(expandEntry) ?? [];
  let inFlight = 0;
  const ledger = (): EtlLedger => ({
    workflowId: info.workflowId,
    date,
    redriveOf: input.redriveOf,
    total: entries.length,
    counts: countStatuses(entries),
    inFlight,
    parallelism,
    startedAt,
    runs: continuedRuns + 1,
    settings,
    entries,
  });
  // Registered first, so the query answers (with no sources yet) while the sources file is being read.
  setHandler(etlLedgerQuery, ledger);
  // A lower parallelism lets the children in flight finish and starts no more until fewer run than it allows.
  setHandler(
    etlSetUpdate,
    (request) => {
      if (request.parallelism !== undefined) parallelism = request.parallelism;
      if (request.toleratedFailureCount !== undefined) toleratedCount = request.toleratedFailureCount;
      if (request.toleratedFailurePercent !== undefined) {
        tolerated = request.toleratedFailurePercent;
        percentGiven = true;
      } else if (request.toleratedFailureCount !== undefined && !percentGiven) tolerated = 100;
      Object.assign(settings, {
        parallelism,
        toleratedFailurePercent: tolerated,
        toleratedFailureCount: toleratedCount,
      });
      return { parallelism, toleratedFailurePercent: tolerated, toleratedFailureCount: toleratedCount };
    },
    {
      validator: (request) => {
        const problem = etlSetProblem(request);
        if (problem) throw new Error(problem);
      },
    },
  );

  let carried: EtlCarriedState;
  if (input.carried) carried = input.carried;
  else {
    const resolved = await resolveEtlSources({ sources: input.sources });
    let selected = resolved.names.map((name, index) => ({ name, index }));
    if (input.only) {
      const unknown = input.only.filter((n) => !resolved.names.includes(n));
      if (unknown.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `no source named ${unknown.join(', ')} in the sources`,
          ETL_ERROR_TYPES.invalidSources,
        );
      }
      selected = selected.filter((s) => input.only!.includes(s.name));
    }
    carried = {
      date,
      startedAt,
      configKey: resolved.configKey,
      configEtag: resolved.configEtag,
      ledger: selected.map((s) => [s.index, s.name, 0, 0, 0, 0, 0, 0]),
      next: 0,
      continuedRuns,
    };
    entries = carried.ledger.map(expandEntry);
  }
  const { configKey, configEtag } = carried;
  let next = carried.next;

  const inline = Array.isArray(input.sources) ? input.sources : undefined;
  const runSource = async (entry: EtlLedgerEntry): Promise<void> => {
    const started = Date.now();
    entry.status = 'running';
    inFlight++;
    try {
      const result = await executeChild(etlSourceWorkflow, {
        workflowId: `${info.workflowId}/${entry.name}`,
        args: [
          {
            index: entry.index,
            name: entry.name,
            date,
            definition: inline?.[entry.index],
            configKey,
            configEtag,
            maxAttempts,
            retryInitialIntervalMs: input.retryInitialIntervalMs ?? ETL_DEFAULTS.retryInitialIntervalMs,
            heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? ETL_DEFAULTS.heartbeatTimeoutMs,
            attemptTimeoutMs: input.attemptTimeoutMs ?? ETL_DEFAULTS.attemptTimeoutMs,
          },
        ],
      });
      Object.assign(entry, {
        status: 'succeeded',
        attempts: result.attempts,
        rowsRead: result.rowsRead,
        rowsWritten: result.rowsWritten,
        rowsRejected: result.rowsRejected,
      });
      if (result.retries.length > 0) entry.retries = result.retries;
      if (Object.keys(result.rejectReasons).length > 0) entry.rejectReasons = result.rejectReasons;
    } catch (err) {
      const failure = failureOf(err);
      entry.status = 'failed';
      entry.attempts = failure.attempts ?? entry.attempts + 1;
      entry.error = { type: failure.type, message: clip(failure.message) };
      if (failure.retries && failure.retries.length > 0) entry.retries = failure.retries;
    } finally {
      entry.durationMs = Date.now() - started;
      inFlight--;
    }
  };

  const historyFull = (): boolean => {
    const now = workflowInfo();
    return now.continueAsNewSuggested || now.historyLength >= eventBudget;
  };

  while (next < entries.length) {
    await condition(() => inFlight < parallelism);
    if (historyFull()) break;
    void runSource(entries[next++]!);
  }
  await condition(() => inFlight === 0);

  if (next < entries.length) {
    await continueAsNew<typeof etlFanOutWorkflow>({
      ...input,
      // What an update changed holds for the rest of the chain.
      parallelism,
      toleratedFailurePercent: tolerated,
      ...(toleratedCount === undefined ? {} : { toleratedFailureCount: toleratedCount }),
      carried: { ...carried, ledger: entries.map(compactEntry), next, continuedRuns: carried.continuedRuns + 1 },
    });
  }

  const failed = entries.filter((e) => e.status === 'failed');
  const verdict = toleranceExceeded(failed.length, entries.length, {
    toleratedFailurePercent: tolerated,
    toleratedFailureCount: toleratedCount,
  });
  // Runs recorded before the ledger went to S3 replay without this step.
  let ledgerUrl: string | undefined;
  if (patched('etl-ledger-to-s3')) {
    try {
      ({ url: ledgerUrl } = await writeEtlLedger({
        workflowId: info.workflowId,
        date,
        status: verdict.exceeded ? 'failed' : 'succeeded',
        configKey,
        ledger: entries.map(compactEntry),
      }));
    } catch (err) {
      // The ledger is still in the result; a missing copy in S3 does not fail the run.
      log.warn('could not write the ledger to S3', { error: String(err) });
    }
  }
  const final = { ...ledger(), ...(ledgerUrl ? { ledgerUrl } : {}) };
  const result: EtlFanOutResult = {
    ...final,
    status: verdict.exceeded ? 'failed' : 'succeeded',
    failedPercent: verdict.failedPercent,
    toleratedFailurePercent: tolerated,
    sources: input.sources,
  };
  if (verdict.exceeded) {
    const names = failed.map((e) => e.name);
    const shown =
      names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ');
    throw ApplicationFailure.create({
      type: ETL_ERROR_TYPES.toleranceExceeded,
      nonRetryable: true,
      message: `${failed.length} of ${entries.length} sources failed (${verdict.failedPercent.toFixed(1)}% > tolerated ${tolerated}%${toleratedCount === undefined ? '' : ` or more than ${toleratedCount}`}): ${shown}`,
      details: [result],
    });
  }
  return result;
}
