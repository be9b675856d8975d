/**
 * The daily report's retry bounds and durations: what its steps get unless the input says otherwise, and the checks of
 * an input's bounds and durations, shared by the workflow (which fails a run it cannot use them for) and the bridge
 * (which refuses such an envelope before its id is used up). Pure: safe in workflows/.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { wholeNumberProblem } from './bounds';

/** The retry bounds an input may give the report's steps. */
export interface ReportRetryBounds {
  maximumAttempts?: number;
  initialInterval?: Duration;
  maximumInterval?: Duration;
}

/** The steps' bounds when the input gives none. */
export const REPORT_RETRY_DEFAULTS = { maximumAttempts: 5, initialInterval: '2s', maximumInterval: '1m' } as const;

/** Most attempts a step may be given: retries stay bounded. */
export const MAX_REPORT_STEP_ATTEMPTS = 100;

/** The bounds a run's steps get: the input's, each one it leaves out from the defaults. */
export function reportRetry(bounds: ReportRetryBounds = {}): Required<ReportRetryBounds> {
  return {
    maximumAttempts: bounds.maximumAttempts ?? REPORT_RETRY_DEFAULTS.maximumAttempts,
    initialInterval: bounds.initialInterval ?? REPORT_RETRY_DEFAULTS.initialInterval,
    maximumInterval: bounds.maximumInterval ?? REPORT_RETRY_DEFAULTS.maximumInterval,
  };
}

/** A duration in ms above zero, or undefined for anything else. */
function positiveMs(value: Duration): number | undefined {
  let ms: number;
  try {
    ms = msToNumber(value);
  } catch {
    return undefined;
  }
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Why `value` is not a duration above zero, naming it `field`; undefined when it is. */
export function positiveDurationProblem(value: Duration, field: string): string | undefined {
  if (positiveMs(value) !== undefined) return undefined;
  return `${field} must be a duration above zero ("30s", "2m" or milliseconds), got ${JSON.stringify(value)}`;
}

/**
 * Why the bounds cannot be used, naming the field, checked as Temporal would check them when the first step is
 * scheduled; undefined when they can.
 */
export function reportRetryProblem(bounds: ReportRetryBounds = {}): string | undefined {
  const retry = reportRetry(bounds);
  const attempts = wholeNumberProblem(retry.maximumAttempts, 1, MAX_REPORT_STEP_ATTEMPTS, 'retry.maximumAttempts');
  if (attempts) return attempts;
  const intervals = { initialInterval: retry.initialInterval, maximumInterval: retry.maximumInterval };
  for (const [field, value] of Object.entries(intervals)) {
    const problem = positiveDurationProblem(value, `retry.${field}`);
    if (problem) return problem;
  }
  if (positiveMs(retry.maximumInterval)! < positiveMs(retry.initialInterval)!) {
    return (
      `retry.maximumInterval (${String(retry.maximumInterval)}) must not be shorter than retry.initialInterval ` +
      `(${String(retry.initialInterval)})`
    );
  }
  return undefined;
}
