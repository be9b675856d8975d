/**
 * Runs in bulk, by filter: which runs a filter selects (a Temporal visibility query), cancelling or terminating them
 * with one of the server's batch operations, and starting failed image and report runs again with their original
 * input under the ids the bridge would use.
 */
import { randomUUID } from 'node:crypto';
import {
  defaultPayloadConverter,
  defineSearchAttributeKey,
  fromPayloadsAtIndex,
  SearchAttributeType,
  type SearchAttributePair,
} from '@temporalio/common';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REDRIVE_REUSE_POLICY } from '../bridge/bridge';
import { parseMessage } from '../bridge/messages';
import { operatorRules, planMessage } from '../bridge/plan';
import { SEARCH_ATTRIBUTES } from '../common/constants';
import { UsageError } from '../errors';
import { PROCESS_IMAGE_WORKFLOW } from '../images/workflow-input';
import { RateLimiter } from './rate-limit';

/** The report workflow's type name. */
export const REPORT_WORKFLOW = 'dailySalesReportWorkflow';

/** The workflow types `runs rerun` starts again: the ones whose input is the whole story. */
export const RERUNNABLE_WORKFLOWS: readonly string[] = [PROCESS_IMAGE_WORKFLOW, REPORT_WORKFLOW];

/** `--status` values and the visibility query's ExecutionStatus names. */
const RUN_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;

export type RunStatus = keyof typeof RUN_STATUSES;

/** Statuses of a run that did not succeed: what `rerun` starts again unless --status narrows it. */
export const FAILED_STATUSES: readonly RunStatus[] = ['failed', 'timed-out', 'terminated', 'canceled'];

export interface RunFilter {
  /** Workflow type names (any of them). */
  workflows?: readonly string[];
  statuses?: readonly RunStatus[];
  /** Started at or after. */
  since?: Date;
  /** Started before. */
  until?: Date;
  /** A raw visibility query, combined with the rest by AND. */
  query?: string;
}

export function parseStatus(raw: string): RunStatus {
  const status = raw.toLowerCase().replace(/_/g, '-');
  if (!(status in RUN_STATUSES)) {
    throw new UsageError(`expected one of ${Object.keys(RUN_STATUSES).join(', ')}`);
  }
  return status as RunStatus;
}

/** A time: `2026-12-05T09:00:00Z`, `2026-12-05`, or a span ago such as `30m`, `2h`, `7d`. */
export function parseTime(raw: string, now = Date.now()): Date {
  const ago = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(raw.trim());
  if (ago) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(ago[1]) * unit);
  }
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`expected a time such as 2026-12-05T09:00:00Z or a span ago such as 2h or 7d, got "${raw}"`);
  }
  return date;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const anyOf = (field: string, values: readonly string[]): string =>
  values.length === 1
    ? `${field} = ${quote(values[0]!)}`
    : `(${values.map((v) => `${field} = ${quote(v)}`).join(' OR ')})`;

/** The visibility query of a filter; empty when it selects every run. */
export function buildQuery(filter: RunFilter): string {
  const parts: string[] = [];
  if (filter.query?.trim()) parts.push(`(${filter.query.trim()})`);
  if (filter.workflows?.length) parts.push(anyOf('WorkflowType', filter.workflows));
  if (filter.statuses?.length)
    parts.push(
      anyOf(
        'ExecutionStatus',
        filter.statuses.map((s) => RUN_STATUSES[s]),
      ),
    );
  if (filter.since) parts.push(`StartTime >= ${quote(filter.since.toISOString())}`);
  if (filter.until) parts.push(`StartTime < ${quote(filter.until.toISOString())}`);
  return parts.join(' AND ');
}

export function isEmptyFilter(filter: RunFilter): boolean {
  return buildQuery(filter) === '';
}

/** A run as `runs list` shows it. */
export interface RunView {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  taskQueue: string;
  startTime: string;
  closeTime?: string;
}

function viewRun(info: WorkflowExecutionInfo): RunView {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    taskQueue: info.taskQueue,
    startTime: info.startTime.toISOString(),
    ...(info.closeTime ? { closeTime: info.closeTime.toISOString() } : {}),
  };
}

/** How many runs the query selects, and the first `sample` of them (newest first, as the server orders them). */
export async function selectRuns(
  client: Client,
  query: string,
  sample: number,
): Promise<{ count: number; sample: RunView[] }> {
  const { count } = await client.workflow.count(query || undefined);
  const runs: RunView[] = [];
  if (sample > 0) {
    for await (const info of client.workflow.list({ query: query || undefined, pageSize: Math.min(sample, 1000) })) {
      runs.push(viewRun(info));
      if (runs.length >= sample) break;
    }
  }
  return { count, sample: runs };
}

export type BatchKind = 'cancel' | 'terminate';

interface BatchProgress {
  jobId: string;
  state: 'running' | 'completed' | 'failed';
  total: number;
  completed: number;
  failed: number;
}

const STATES: Record<number, BatchProgress['state']> = {
  [temporal.api.enums.v1.BatchOperationState.BATCH_OPERATION_STATE_COMPLETED]: 'completed',
  [temporal.api.enums.v1.BatchOperationState.BATCH_OPERATION_STATE_FAILED]: 'failed',
};

/**
 * Starts a server-side batch job that cancels (asks each run to stop, so it can clean up) or terminates (stops it at
 * once, no cleanup) every run the query selects, at most `perSecond` operations a second. Returns the job id.
 */
export async function startBatch(
  client: Client,
  kind: BatchKind,
  query: string,
  options: { reason: string; perSecond: number; identity?: string },
): Promise<string> {
  const jobId = `ebbflow-${kind}-${randomUUID()}`;
  const identity = options.identity ?? client.options.identity;
  await client.workflowService.startBatchOperation({
    namespace: client.options.namespace,
    jobId,
    reason: options.reason,
    visibilityQuery: query,
    maxOperationsPerSecond: options.perSecond,
    ...(kind === 'cancel' ? { cancellationOperation: { identity } } : { terminationOperation: { identity } }),
  });
  return jobId;
}

async function describeBatch(client: Client, jobId: string): Promise<BatchProgress> {
  const d = await client.workflowService.describeBatchOperation({ namespace: client.options.namespace, jobId });
  return {
    jobId,
    state: STATES[d.state] ?? 'running',
    total: Number(d.totalOperationCount ?? 0),
    completed: Number(d.completeOperationCount ?? 0),
    failed: Number(d.failureOperationCount ?? 0),
  };
}

/** Polls the batch job until it ends, reporting each reading; resolves with the last. */
export async function followBatch(
  client: Client,
  jobId: string,
  onProgress: (p: BatchProgress) => void,
  intervalMs = 1000,
): Promise<BatchProgress> {
  for (;;) {
    const progress = await describeBatch(client, jobId);
    onProgress(progress);
    if (progress.state !== 'running') return progress;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What a failed run is started again as. */
interface RerunPlan {
  /** The failed run. */
  from: { workflowId: string; runId: string };
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  input: unknown;
  searchAttributes: SearchAttributePair[];
}

/** Thrown when a run selected for a rerun cannot be started again as it was: an unknown type or no input. */
class RerunError extends Error {
  override readonly name = 'RerunError';
}

/**
 * The id a run starts again under: the one the bridge derives from the message the run carries (so a later redrive
 * of that message finds it), else the run's own id (started by a schedule, a backfill or by hand).
 */
export function rerunWorkflowId(workflowType: string, workflowId: string, input: unknown): string {
  const message = (input as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return workflowId;
  const { bucket, key } = input as { bucket?: string; key?: string };
  const plan = planMessage(parseMessage(message), {
    messageId: workflowId,
    body: message,
    knownWorkflows: new Set([workflowType]),
    rules: operatorRules(typeof bucket === 'string' ? [bucket] : [], [workflowType]),
    imageInput: (source) => ({ ...source }),
  });
  if (plan.kind !== 'start') return workflowId;
  const mine = plan.starts.find(
    (s) =>
      s.workflowType === workflowType &&
      (s.input as { bucket?: string }).bucket === bucket &&
      (s.input as { key?: string }).key === key,
  );
  return mine?.workflowId ?? workflowId;
}

const KNOWN_ATTRIBUTES = new Set<string>(Object.values(SEARCH_ATTRIBUTES));

/** Reads a failed run's first event and plans its rerun. */
async function planRerun(client: Client, info: WorkflowExecutionInfo): Promise<RerunPlan> {
  if (!RERUNNABLE_WORKFLOWS.includes(info.type)) {
    throw new RerunError(
      `${info.workflowId}: ${info.type} runs are not started again (only ${RERUNNABLE_WORKFLOWS.join(', ')})`,
    );
  }
  const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new RerunError(`${info.workflowId}: its history has no start event`);
  const input = fromPayloadsAtIndex(defaultPayloadConverter, 0, started.input?.payloads);
  const searchAttributes: SearchAttributePair[] = [];
  for (const [name, value] of Object.entries(info.searchAttributes ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (KNOWN_ATTRIBUTES.has(name) && typeof first === 'string') {
      searchAttributes.push({ key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD), value: first });
    }
  }
  return {
    from: { workflowId: info.workflowId, runId: info.runId },
    workflowType: info.type,
    workflowId: rerunWorkflowId(info.type, info.workflowId, input),
    taskQueue: started.taskQueue?.name ?? info.taskQueue,
    input,
    searchAttributes,
  };
}

interface RerunCounts {
  started: number;
  /** The id ran again or runs already: a redrive, a backfill or an earlier rerun got there first. */
  alreadyDone: number;
  failed: number;
}

interface RerunOptions {
  query: string;
  /** Starts a second. */
  rate: number;
  onProgress?: (counts: Readonly<RerunCounts>, plan?: RerunPlan) => void;
  onFailure?: (workflowId: string, error: string) => void;
}

/**
 * Starts every failed run the query selects again, with its original input, under the id the bridge would use and
 * with the bridge's reuse policy: an id that ran again since (a redrive, a backfill, an earlier rerun) is not
 * started twice, and one that failed again may be.
 */
export async function rerunRuns(client: Client, options: RerunOptions): Promise<RerunCounts> {
  const counts: RerunCounts = { started: 0, alreadyDone: 0, failed: 0 };
  const limiter = new RateLimiter(options.rate);
  const seen = new Set<string>();
  for await (const info of client.workflow.list({ query: options.query })) {
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    let plan: RerunPlan | undefined;
    try {
      plan = await planRerun(client, info);
      await limiter.take();
      await client.workflow.start(plan.workflowType, {
        taskQueue: plan.taskQueue,
        workflowId: plan.workflowId,
        args: [plan.input],
        workflowIdReusePolicy: REDRIVE_REUSE_POLICY,
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: plan.searchAttributes,
      });
      counts.started++;
    } catch (err) {
      if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') counts.alreadyDone++;
      else {
        counts.failed++;
        options.onFailure?.(info.workflowId, (err as Error).message);
      }
    }
    options.onProgress?.(counts, plan);
  }
  return counts;
}
