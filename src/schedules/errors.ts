/**
 * Thrown when a schedule command is called with values it cannot use (unknown job, bad cron or time zone, a backfill
 * range that ends before it starts). Named `UsageError` so the CLI prints it as one line without a stack trace.
 */
export class ScheduleUsageError extends Error {
  override readonly name = 'UsageError';
}
