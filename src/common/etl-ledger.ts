/** Arithmetic over the ETL ledger: status counts, the failure-tolerance verdict, the most frequent reasons. Pure. */
import { ETL_DEFAULTS, type EtlLedgerEntry, type EtlSourceStatus } from './etl-types';

export function countStatuses(entries: readonly EtlLedgerEntry[]): Record<EtlSourceStatus, number> {
  const counts: Record<EtlSourceStatus, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  for (const e of entries) counts[e.status]++;
  return counts;
}

/** Percentage of sources that failed, and whether that is more than tolerated. */
export function toleranceVerdict(
  failed: number,
  total: number,
  toleratedPercent: number,
): { failedPercent: number; exceeded: boolean } {
  const failedPercent = total === 0 ? 0 : (failed / total) * 100;
  return { failedPercent, exceeded: failedPercent > toleratedPercent + 1e-9 };
}

/** Whether the failed sources exceed the tolerated percentage or count (see EtlFanOutInput.toleratedFailureCount). */
export function toleranceExceeded(
  failed: number,
  total: number,
  limits: { toleratedFailurePercent?: number; toleratedFailureCount?: number },
): { failedPercent: number; exceeded: boolean } {
  const verdict = toleranceVerdict(
    failed,
    total,
    limits.toleratedFailurePercent ?? ETL_DEFAULTS.toleratedFailurePercent,
  );
  const overCount = limits.toleratedFailureCount !== undefined && failed > limits.toleratedFailureCount;
  return { failedPercent: verdict.failedPercent, exceeded: verdict.exceeded || overCount };
}

/** Keeps the `limit` most frequent reasons. */
export function topReasons(reasons: Record<string, number>, limit = 5): Record<string, number> {
  return Object.fromEntries(
    Object.entries(reasons)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit),
  );
}
