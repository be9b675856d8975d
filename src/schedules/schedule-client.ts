/**
 * Temporal Schedules for ebbflow's scheduled jobs, by name: create, list, describe (next runs, recent runs and their
 * results), trigger, backfill by report date, pause and unpause with a note, delete. What cron and EventBridge
 * cannot do — skip or buffer overlapping runs, catch up after downtime, backfill a range, pause with a reason — is a
 * policy on the schedule here.
 */
import {
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { addDays, assertTimeZone, isIsoDate, startOfLocalDay } from '../common/report-dates';
import { ScheduleUsageError } from './errors';
import { failureReason } from '../temporal/failure-reason';

/** Jobs a schedule can run, by the name used on the command line. */
export const SCHEDULED_JOBS = {
  'daily-sales': {
    workflowType: 'dailySalesReportWorkflow',
    description: 'Daily sales report PDF for the day before each run, uploaded to S3 and announced on SNS',
  },
} as const;

type ScheduledJob = keyof typeof SCHEDULED_JOBS;
/** The SDK's UNSPECIFIED is no policy of its own (the server's default, SKIP, applies), so it is not offered. */
export type OverlapPolicyName = Exclude<keyof typeof ScheduleOverlapPolicy, 'UNSPECIFIED'>;
export const OVERLAP_POLICIES = Object.keys(ScheduleOverlapPolicy).filter(
  (k): k is OverlapPolicyName => k !== 'UNSPECIFIED',
);

interface CreateScheduleOptions {
  job: ScheduledJob;
  /** @defaultValue the job name */
  scheduleId?: string;
  /** Standard 5-field cron, e.g. `0 6 * * *`. */
  cron: string;
  /** IANA zone the cron runs in and the job's days are taken in. @defaultValue `UTC` */
  timezone?: string;
  /** What happens when a run is due while the previous one still runs. @defaultValue `SKIP` */
  overlap?: OverlapPolicyName;
  /** How far back missed runs are caught up after downtime, in ms. @defaultValue Temporal's (1 year) */
  catchupWindowMs?: number;
  /** Pause the schedule when a run fails, so a broken job stops until someone looks. @defaultValue false */
  pauseOnFailure?: boolean;
  taskQueue: string;
  /** Extra fields of the workflow input, e.g. `{ outputBucket }`. */
  input?: Record<string, unknown>;
  note?: string;
  paused?: boolean;
}

interface ScheduleRun {
  scheduledAt: Date;
  takenAt: Date;
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName | 'UNKNOWN';
  /** The workflow's result when it completed. */
  result?: unknown;
  /** The failure message when it failed. */
  failure?: string;
}

interface ScheduleDetails {
  scheduleId: string;
  job?: string;
  workflowType?: string;
  cron?: string;
  timezone?: string;
  overlap: OverlapPolicyName;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  paused: boolean;
  note?: string;
  nextRuns: Date[];
  recentRuns: ScheduleRun[];
  running: string[];
  numActionsTaken: number;
  numActionsSkippedOverlap: number;
  numActionsMissedCatchupWindow: number;
  /** Actions held back by the overlap policy (BUFFER_ONE, BUFFER_ALL), to run once the current one ends. */
  numActionsBuffered: number;
}

interface ScheduleListItem {
  scheduleId: string;
  workflowType?: string;
  cron?: string;
  timezone?: string;
  paused: boolean;
  note?: string;
  nextRun?: Date;
  lastRun?: Date;
}

/** Recorded on each schedule so that list and describe show the cron as typed (Temporal stores it as calendars). */
interface ScheduleMemo {
  job?: string;
  cron?: string;
  timezone?: string;
}

function overlapName(value: unknown): OverlapPolicyName {
  const name = OVERLAP_POLICIES.find((k) => ScheduleOverlapPolicy[k] === value || k === value);
  return name ?? 'SKIP';
}

/** Checks a cron and time zone without calling Temporal, so mistakes are reported before connecting. */
export function validateScheduleSpec(cron: string, timezone: string): void {
  try {
    assertTimeZone(timezone);
  } catch (err) {
    throw new ScheduleUsageError((err as Error).message);
  }
  if (cron.trim().split(/\s+/).length !== 5) {
    throw new ScheduleUsageError(`--cron expects 5 fields (minute hour day month weekday), got "${cron}"`);
  }
}

/** Checks a backfill's report dates without calling Temporal. */
export function validateBackfillRange(from: string, to: string): void {
  if (!isIsoDate(from) || !isIsoDate(to)) throw new ScheduleUsageError('--from and --to expect dates as YYYY-MM-DD');
  if (to < from) throw new ScheduleUsageError(`--to (${to}) is before --from (${from})`);
}

export class Schedules {
  constructor(private readonly client: Client) {}

  handle(scheduleId: string): ScheduleHandle {
    return this.client.schedule.getHandle(scheduleId);
  }

  async create(options: CreateScheduleOptions): Promise<ScheduleHandle> {
    const job = SCHEDULED_JOBS[options.job];
    if (!job)
      throw new ScheduleUsageError(`unknown job "${options.job}"; known: ${Object.keys(SCHEDULED_JOBS).join(', ')}`);
    const timezone = options.timezone ?? 'UTC';
    validateScheduleSpec(options.cron, timezone);
    const scheduleId = options.scheduleId ?? options.job;
    const memo: ScheduleMemo = { job: options.job, cron: options.cron, timezone };
    const handle = await this.client.schedule
      .create({
        scheduleId,
        spec: { cronExpressions: [options.cron], timezone },
        action: {
          type: 'startWorkflow',
          workflowType: job.workflowType,
          // Each run's id is this plus its scheduled time, so one scheduled day is one workflow id.
          workflowId: scheduleId,
          taskQueue: options.taskQueue,
          args: [{ timezone, ...options.input }],
        },
        policies: {
          overlap: ScheduleOverlapPolicy[options.overlap ?? 'SKIP'],
          catchupWindow: options.catchupWindowMs,
          pauseOnFailure: options.pauseOnFailure ?? false,
        },
        state: { paused: options.paused ?? false, note: options.note },
        memo: memo as Record<string, unknown>,
      })
      .catch((err: Error) => {
        // The SDK turns the server's "Invalid schedule spec" (a cron out of range, such as minute 61) into a TypeError.
        if (err.name === 'TypeError') throw new ScheduleUsageError(`--cron '${options.cron}': ${err.message}`);
        throw err;
      });
    // The server accepts a cron no date matches (the 30th of February): such a schedule would never run.
    if ((await handle.describe()).info.nextActionTimes.length === 0) {
      await handle.delete();
      throw new ScheduleUsageError(
        `--cron '${options.cron}' never fires: no date matches it (such as the 31st of a month of 30 days); nothing was created`,
      );
    }
    return handle;
  }

  async list(): Promise<ScheduleListItem[]> {
    const out: ScheduleListItem[] = [];
    for await (const s of this.client.schedule.list()) {
      const memo = (s.memo ?? {}) as ScheduleMemo;
      const recent = s.info.recentActions;
      out.push({
        scheduleId: s.scheduleId,
        workflowType: s.action?.workflowType,
        cron: memo.cron,
        timezone: memo.timezone ?? s.spec?.timezone,
        paused: s.state.paused,
        note: s.state.note,
        nextRun: s.info.nextActionTimes[0],
        lastRun: recent[recent.length - 1]?.scheduledAt,
      });
    }
    return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  }

  /** The schedule's settings, its next run times and its recent runs with their outcome. */
  async describe(scheduleId: string, options: { nextRuns?: number } = {}): Promise<ScheduleDetails> {
    const d: ScheduleDescription = await this.handle(scheduleId).describe();
    const memo = (d.memo ?? {}) as ScheduleMemo;
    const recentRuns = await Promise.all(
      d.info.recentActions.map(async (a): Promise<ScheduleRun> => {
        const { workflowId, firstExecutionRunId: runId } = a.action.workflow;
        return {
          scheduledAt: a.scheduledAt,
          takenAt: a.takenAt,
          workflowId,
          runId,
          ...(await this.outcome(workflowId, runId)),
        };
      }),
    );
    return {
      scheduleId,
      job: memo.job,
      workflowType: d.action.type === 'startWorkflow' ? d.action.workflowType : undefined,
      cron: memo.cron,
      timezone: memo.timezone ?? d.spec.timezone,
      overlap: overlapName(d.policies.overlap),
      catchupWindowMs: d.policies.catchupWindow,
      pauseOnFailure: d.policies.pauseOnFailure,
      paused: d.state.paused,
      note: d.state.note,
      nextRuns: d.info.nextActionTimes.slice(0, options.nextRuns ?? 5),
      recentRuns,
      // runningActions lags behind; a recent run still RUNNING counts as well.
      running: [
        ...new Set([
          ...d.info.runningActions.map((r) => r.workflow.workflowId),
          ...recentRuns.filter((r) => r.status === 'RUNNING').map((r) => r.workflowId),
        ]),
      ],
      numActionsTaken: d.info.numActionsTaken,
      numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
      numActionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      numActionsBuffered: Number(d.raw.info?.bufferSize ?? 0),
    };
  }

  private async outcome(
    workflowId: string,
    runId: string,
  ): Promise<Pick<ScheduleRun, 'status' | 'result' | 'failure'>> {
    try {
      const handle = this.client.workflow.getHandle(workflowId, runId, { followRuns: false });
      const { status } = await handle.describe();
      if (status.name === 'COMPLETED') return { status: status.name, result: await handle.result() };
      if (status.name === 'FAILED') {
        try {
          await handle.result();
        } catch (err) {
          return { status: status.name, failure: failureReason(err) };
        }
      }
      return { status: status.name };
    } catch {
      return { status: 'UNKNOWN' };
    }
  }

  /**
   * Starts a run now. What happens if one is still running is decided by `overlap`, else by the schedule's own
   * policy: the server would otherwise apply ALLOW_ALL to a trigger.
   */
  async trigger(scheduleId: string, overlap?: OverlapPolicyName): Promise<OverlapPolicyName> {
    const policy = overlap ?? overlapName((await this.handle(scheduleId).describe()).policies.overlap);
    await this.handle(scheduleId).trigger(ScheduleOverlapPolicy[policy]);
    return policy;
  }

  /**
   * Runs the schedule for report dates `from`–`to` (inclusive). A daily job reports on the day before its run, so
   * the window evaluated is the days after: one run per day for a once-a-day cron. `ALLOW_ALL` runs them in
   * parallel; `BUFFER_ALL` one after another.
   */
  async backfill(
    scheduleId: string,
    from: string,
    to: string,
    overlap: OverlapPolicyName = 'ALLOW_ALL',
  ): Promise<{ start: Date; end: Date }> {
    validateBackfillRange(from, to);
    const d = await this.handle(scheduleId).describe();
    const timezone = ((d.memo ?? {}) as ScheduleMemo).timezone ?? d.spec.timezone ?? 'UTC';
    // Temporal evaluates the range exclusive of its start and inclusive of its end: starting a second before the
    // first day keeps a run due at its midnight.
    const start = new Date(startOfLocalDay(addDays(from, 1), timezone) - 1000);
    const end = new Date(startOfLocalDay(addDays(to, 2), timezone) - 1000);
    await this.handle(scheduleId).backfill({ start, end, overlap: ScheduleOverlapPolicy[overlap] });
    return { start, end };
  }

  async pause(scheduleId: string, note?: string): Promise<void> {
    await this.handle(scheduleId).pause(note);
  }

  async unpause(scheduleId: string, note?: string): Promise<void> {
    await this.handle(scheduleId).unpause(note);
  }

  async delete(scheduleId: string): Promise<void> {
    await this.handle(scheduleId).delete();
  }
}
