/**
 * Client side of the fan-out ETL: start a run, read a run's ledger (live through the query, or from its result or
 * failure once it is closed), and redrive the failed sources of a run as a new run linked to the original.
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { countStatuses } from '../common/etl-ledger';
import { expandEntry } from '../common/etl-ledger-codec';
import {
  ETL_DEFAULTS,
  ETL_QUERY_LEDGER,
  type EtlFanOutInput,
  type EtlFanOutResult,
  type EtlLedger,
  type EtlSourcesRef,
} from '../common/etl-types';
import { ETL_UPDATE_SET, type EtlControls, type EtlSetRequest } from '../common/etl-controls';
import { UsageError } from '../errors';
import { failureReason } from '../temporal/failure-reason';

/** Workflow type names, as registered by the worker. */
const ETL_WORKFLOW = 'etlFanOutWorkflow';

interface StartEtlOptions {
  taskQueue: string;
  workflowId?: string;
  memo?: Record<string, unknown>;
}

function etlWorkflowId(date: string | undefined, suffix: string): string {
  return `etl-${date ?? new Date().toISOString().slice(0, 10)}-${suffix}`;
}

export async function startEtlRun(client: Client, input: EtlFanOutInput, options: StartEtlOptions): Promise<string> {
  const workflowId =
    options.workflowId ?? etlWorkflowId(input.date, Math.random().toString(36).slice(2, 8).padEnd(6, '0'));
  await client.workflow.start(ETL_WORKFLOW, {
    taskQueue: options.taskQueue,
    workflowId,
    args: [input],
    memo: { ...(input.redriveOf ? { redriveOf: input.redriveOf } : {}), ...options.memo },
  });
  return workflowId;
}

export interface RunView {
  ledger: EtlLedger;
  /** Set once the run is closed. */
  outcome?: { status: 'succeeded' | 'failed'; message?: string; sources?: EtlSourcesRef };
  running: boolean;
  /** Why the ledger shown is not the run's own (no worker replayed the closed run to answer for it). */
  note?: string;
}

/** The ledger of a run: from the query while it runs, from its result or failure details when it is closed. */
export async function readEtlRun(client: Client, workflowId: string): Promise<RunView> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const running = description.status.name === 'RUNNING' || description.status.name === 'CONTINUED_AS_NEW';
  if (running) {
    return { ledger: await handle.query<EtlLedger>(ETL_QUERY_LEDGER), running: true };
  }
  try {
    const result = (await handle.result()) as EtlFanOutResult;
    return { ledger: result, running: false, outcome: { status: 'succeeded', sources: result.sources } };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause as { details?: unknown[] } | undefined;
    const result = cause?.details?.[0] as EtlFanOutResult | undefined;
    if (result?.entries) {
      return {
        ledger: result,
        running: false,
        outcome: { status: 'failed', message: failureReason(err), sources: result.sources },
      };
    }
    // Failed before it had a ledger (e.g. an invalid sources file), or was terminated: the query still answers, when a
    // worker replays the run for it.
    const outcome = { status: 'failed', message: failureReason(err) } as const;
    try {
      const ledger = await client.withDeadline(Date.now() + CLOSED_RUN_QUERY_MS, () =>
        handle.query<EtlLedger>(ETL_QUERY_LEDGER),
      );
      return { ledger, running: false, outcome };
    } catch {
      const note =
        `no worker answered for the ledger within ${CLOSED_RUN_QUERY_MS / 1000} s ` +
        '(a closed run is replayed on a worker to read it; a fleet at zero has none): shown as the run started';
      const ledger = await ledgerFromStart(handle, workflowId, description.startTime);
      return { ledger, running: false, outcome, note };
    }
  }
}

/** How long the ledger of a closed run that did not record one is waited for. */
const CLOSED_RUN_QUERY_MS = 5000;

/**
 * The ledger a run started with, from its input: no sources for the first run of a chain, the sources as they stood at
 * the continue-as-new for a later one.
 */
async function ledgerFromStart(handle: WorkflowHandle, workflowId: string, startTime: Date): Promise<EtlLedger> {
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  const input = payload ? defaultPayloadConverter.fromPayload<Partial<EtlFanOutInput>>(payload) : {};
  const entries = input.carried?.ledger.map(expandEntry) ?? [];
  const parallelism = input.parallelism ?? ETL_DEFAULTS.parallelism;
  return {
    workflowId,
    date: input.carried?.date ?? input.date ?? startTime.toISOString().slice(0, 10),
    ...(input.redriveOf ? { redriveOf: input.redriveOf } : {}),
    total: entries.length,
    counts: countStatuses(entries),
    inFlight: 0,
    parallelism,
    startedAt: input.carried?.startedAt ?? startTime.getTime(),
    runs: (input.carried?.continuedRuns ?? 0) + 1,
    settings: {
      parallelism,
      toleratedFailurePercent: input.toleratedFailurePercent,
      toleratedFailureCount: input.toleratedFailureCount,
      maxAttempts: input.maxAttempts,
      retryInitialIntervalMs: input.retryInitialIntervalMs,
      heartbeatTimeoutMs: input.heartbeatTimeoutMs,
      attemptTimeoutMs: input.attemptTimeoutMs,
      continueAsNewAfterEvents: input.continueAsNewAfterEvents,
    },
    entries,
  };
}

/** Waits for a run and returns its ledger and outcome. */
export async function waitForEtlRun(client: Client, workflowId: string): Promise<RunView> {
  try {
    await client.workflow.getHandle(workflowId).result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
  return readEtlRun(client, workflowId);
}

interface RedriveOptions {
  taskQueue: string;
  workflowId?: string;
  /** Overrides of the original run's settings (parallelism, attempts, retry timing). */
  overrides?: Partial<EtlFanOutInput>;
}

/**
 * Starts a run over only the failed sources of `originalId` (closed), for the same date and sources, recorded as
 * `redriveOf` the original (input, memo and ledger). Returns undefined when nothing failed; throws UsageError for a
 * run still going or one that did not record its sources.
 */
export async function redriveFailedSources(
  client: Client,
  originalId: string,
  options: RedriveOptions,
): Promise<{ workflowId: string; sources: string[] } | undefined> {
  const view = await readEtlRun(client, originalId);
  if (view.running) throw new UsageError(`run ${originalId} is still going; redrive it once it has finished`);
  const failed = view.ledger.entries.filter((e) => e.status === 'failed').map((e) => e.name);
  if (failed.length === 0) return undefined;
  const sources = view.outcome?.sources;
  if (sources === undefined)
    throw new UsageError(`run ${originalId} did not record its sources; start a new run instead`);
  const input: EtlFanOutInput = {
    ...view.ledger.settings,
    ...options.overrides,
    sources,
    date: view.ledger.date,
    only: failed,
    redriveOf: originalId,
  };
  const workflowId = await startEtlRun(client, input, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `${originalId}-redrive-${Date.now().toString(36)}`,
  });
  return { workflowId, sources: failed };
}

/**
 * Changes a running fan-out's parallelism and failure tolerance through its `etlSet` update; resolves with the
 * settings it now obeys. Thrown by the server when the run is not running, by the update when a value is invalid.
 */
export async function setEtlControls(client: Client, workflowId: string, request: EtlSetRequest): Promise<EtlControls> {
  return client.workflow.getHandle(workflowId).executeUpdate<EtlControls, [EtlSetRequest]>(ETL_UPDATE_SET, {
    args: [request],
  });
}
