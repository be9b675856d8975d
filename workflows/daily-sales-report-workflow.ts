import {
  defineSearchAttributeKey,
  RetryState,
  SearchAttributeType,
  type Duration,
  type RetryPolicy,
} from '@temporalio/common';
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { assertTimeZone, dailySalesReportKey, isIsoDate, reportDateFor } from '../src/common/report-dates';
import {
  positiveDurationProblem,
  REPORT_RETRY_DEFAULTS,
  reportRetry,
  reportRetryProblem,
  type ReportRetryBounds,
} from '../src/common/report-retry';

/** Set by Temporal on every run a schedule starts (including triggered and backfilled ones). */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface DailySalesReportInput {
  /** Day to report on, YYYY-MM-DD. Omitted: the day before the run's scheduled time, in `timezone`. */
  date?: string;
  /** IANA time zone the day is taken in. @defaultValue `UTC` */
  timezone?: string;
  /** @defaultValue EBBFLOW_OUTPUT_BUCKET of the worker */
  outputBucket?: string;
  /** @defaultValue EBBFLOW_NOTIFICATION_TOPIC_ARN of the worker */
  notificationTopicArn?: string;
  /**
   * Upload the PDF, then wait for the `approveReport` signal before anyone is notified (a person checks the report
   * first). The run fails if no approval arrives within `approvalTimeout`. @defaultValue false
   */
  holdForApproval?: boolean;
  /** @defaultValue `1 day` */
  approvalTimeout?: Duration;
  /**
   * Bounds of the retries of each step: 1 to 100 attempts, a first interval above zero and a longest one no shorter.
   * @defaultValue 5 attempts, 2 s first interval, doubling, at most 1 min
   */
  retry?: ReportRetryBounds;
}

export interface DailySalesReportResult {
  date: string;
  timezone: string;
  bucket: string;
  key: string;
  location: string;
  orders: number;
  revenueCents: number;
  pages: number;
  bytes: number;
}

export type DailySalesReportStage = 'querying' | 'rendering' | 'awaiting-approval' | 'notifying' | 'done' | 'failed';

/** Releases a run started with `holdForApproval`. */
export const approveReportSignal = defineSignal('approveReport');
/** Where the run is: useful with `holdForApproval`, and in the UI. */
export const reportStageQuery = defineQuery<DailySalesReportStage>('reportStage');

/** When the schedule meant this run to start; undefined for runs not started by a schedule. */
function scheduledStartTime(): Date | undefined {
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (typed) return typed;
  // The server sets this system attribute without the type metadata that typed search attributes decode.
  const raw = info.searchAttributes?.[SCHEDULED_START_TIME.name]?.[0];
  if (raw === undefined) return undefined;
  const at = new Date(raw as string | number | Date);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The day a run reports on: the input's date, or the day before the scheduled (else start) time. */
function resolveDate(input: DailySalesReportInput, timezone: string): string {
  if (input.date !== undefined) {
    if (!isIsoDate(input.date)) {
      throw ApplicationFailure.nonRetryable(`date must be YYYY-MM-DD, got "${input.date}"`, 'InvalidInput');
    }
    return input.date;
  }
  return reportDateFor(scheduledStartTime() ?? workflowInfo().startTime, timezone);
}

/** The steps' retry policy without any of the input's bounds; also what notifies a failure when those are unusable. */
const DEFAULT_RETRY = {
  ...REPORT_RETRY_DEFAULTS,
  backoffCoefficient: 2,
  nonRetryableErrorTypes: ['InvalidInput'],
} satisfies RetryPolicy;

/**
 * The steps' retry policy from the input's bounds, checked as Temporal would check them when the first step is
 * scheduled (where a refusal would also take the failure notification with it).
 */
function stepRetry(bounds: ReportRetryBounds = {}): RetryPolicy & { maximumAttempts: number } {
  const problem = reportRetryProblem(bounds);
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidInput');
  return { ...DEFAULT_RETRY, ...reportRetry(bounds) };
}

function failureReason(err: unknown, maximumAttempts: number): string {
  if ((err as Error).name === 'ActivityFailure') {
    const failure = err as ActivityFailure;
    const cause = failure.cause?.message ?? failure.message;
    const exhausted = failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
    return exhausted ? `${cause} (gave up after ${maximumAttempts} attempts)` : cause;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Builds the daily sales report: figures from the sales database, a PDF in S3 at a key fixed by the date (so a rerun
 * or a backfill replaces it) and an SNS notification with its location. Each step retries within fixed bounds; when
 * they run out (a database that stays unreachable, say) a failure notification carrying the reason is published and
 * the run fails with that reason, so the schedule's recent actions and the UI show why.
 */
export async function dailySalesReportWorkflow(input: DailySalesReportInput = {}): Promise<DailySalesReportResult> {
  const timezone = input.timezone ?? 'UTC';
  let stage: DailySalesReportStage = 'querying';
  let approved = false;
  setHandler(reportStageQuery, () => stage);
  setHandler(approveReportSignal, () => {
    approved = true;
  });

  // Bounds the steps cannot use fail the run as bad input; its failure is still notified, within the default bounds.
  let retry: RetryPolicy & { maximumAttempts: number } = DEFAULT_RETRY;
  let unusableRetry: unknown;
  try {
    retry = stepRetry(input.retry);
  } catch (err) {
    unusableRetry = err;
  }
  const { maximumAttempts } = retry;
  const steps = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });
  const notify = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry });

  let date = input.date ?? '(unknown date)';
  try {
    if (unusableRetry) throw unusableRetry;
    try {
      assertTimeZone(timezone);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidInput');
    }
    date = resolveDate(input, timezone);
    // Runs recorded before this check replay without it (one with a bad timeout failed later, after the upload).
    if (input.approvalTimeout !== undefined && patched('report-approval-timeout-check')) {
      const problem = positiveDurationProblem(input.approvalTimeout, 'approvalTimeout');
      if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidInput');
    }
    const metrics = await steps.queryDailySalesMetrics({ date, timezone });
    stage = 'rendering';
    const report = await steps.renderDailySalesReport({
      metrics,
      bucket: input.outputBucket,
      key: dailySalesReportKey(date),
    });
    if (input.holdForApproval) {
      stage = 'awaiting-approval';
      const timeout = input.approvalTimeout ?? '1 day';
      if (!(await condition(() => approved, timeout))) {
        throw ApplicationFailure.nonRetryable(`not approved within ${String(timeout)}`, 'NotApproved');
      }
    }
    stage = 'notifying';
    const result: DailySalesReportResult = {
      date,
      timezone,
      bucket: report.bucket,
      key: report.key,
      location: report.location,
      orders: metrics.orders,
      revenueCents: metrics.revenueCents,
      pages: report.pages,
      bytes: report.bytes,
    };
    await notify.publishReportNotification({
      topicArn: input.notificationTopicArn,
      outcome: 'succeeded',
      subject: `Daily sales report ${date} is ready`,
      message: { event: 'daily-sales-report', outcome: 'succeeded', workflowId: workflowInfo().workflowId, ...result },
    });
    stage = 'done';
    return result;
  } catch (err) {
    stage = 'failed';
    const reason = failureReason(err, maximumAttempts);
    try {
      await notify.publishReportNotification({
        topicArn: input.notificationTopicArn,
        outcome: 'failed',
        subject: `Daily sales report ${date} failed`,
        message: {
          event: 'daily-sales-report',
          outcome: 'failed',
          workflowId: workflowInfo().workflowId,
          date,
          timezone,
          reason,
        },
      });
    } catch {
      // The run fails with the report's reason either way; a lost notification must not hide it.
    }
    throw ApplicationFailure.nonRetryable(`daily sales report for ${date} failed: ${reason}`, 'DailySalesReportFailed');
  }
}
