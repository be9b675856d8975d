/**
 * The compact form of the ETL ledger: one array per source, so thousands of entries fit in the payload a fan-out
 * carries across continue-as-new. Pure: safe in workflows/.
 */
import type { CompactLedgerEntry, EtlLedgerEntry, EtlSourceStatus } from './etl-types';

const STATUS_CODES: Record<EtlSourceStatus, number> = { pending: 0, running: 1, succeeded: 2, failed: 3 };
const STATUSES: EtlSourceStatus[] = ['pending', 'running', 'succeeded', 'failed'];

/** The entry as carried across continue-as-new. */
export function compactEntry(e: EtlLedgerEntry): CompactLedgerEntry {
  const out: CompactLedgerEntry = [
    e.index,
    e.name,
    STATUS_CODES[e.status],
    e.attempts,
    e.rowsRead,
    e.rowsWritten,
    e.rowsRejected,
    e.durationMs,
  ];
  const hasReasons = e.rejectReasons && Object.keys(e.rejectReasons).length > 0;
  const hasRetries = e.retries && e.retries.length > 0;
  if (e.error || hasRetries || hasReasons) out.push(e.error ? [e.error.type, e.error.message] : 0);
  if (hasRetries || hasReasons) out.push(hasRetries ? e.retries! : 0);
  if (hasReasons) out.push(e.rejectReasons!);
  return out;
}

/** The entry as the ledger shows it. */
export function expandEntry(c: CompactLedgerEntry): EtlLedgerEntry {
  const [index, name, status, attempts, rowsRead, rowsWritten, rowsRejected, durationMs, error, retries, reasons] = c;
  const entry: EtlLedgerEntry = {
    index,
    name,
    status: STATUSES[status] ?? 'pending',
    attempts,
    rowsRead,
    rowsWritten,
    rowsRejected,
    durationMs,
  };
  if (error) entry.error = { type: error[0], message: error[1] };
  if (retries) entry.retries = retries;
  if (reasons) entry.rejectReasons = reasons;
  return entry;
}
