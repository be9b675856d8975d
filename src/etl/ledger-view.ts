/** The ledger as a person reads it: a summary line and a table whose columns line up. */
import { table, formatDuration, type Cell } from '../terminal/format';
import type { EtlLedger, EtlLedgerEntry } from '../common/etl-types';
import { clip } from '../common/text';

export interface LedgerViewOptions {
  /** Show every source; otherwise large runs show running and failed sources and the latest finished ones. */
  all?: boolean;
  /** Most rows shown without `all`. @defaultValue 40 */
  maxRows?: number;
  /** Current time, to show how long running sources have been going. */
  now?: number;
}

const GLYPH: Record<EtlLedgerEntry['status'], string> = {
  pending: '· pending',
  running: '▶ running',
  succeeded: '✔ ok',
  failed: '✘ failed',
};

function summariseLedger(ledger: EtlLedger, outcome?: string): string {
  const c = ledger.counts;
  const done = c.succeeded + c.failed;
  const rows = ledger.entries.reduce(
    (acc, e) => ({ written: acc.written + e.rowsWritten, rejected: acc.rejected + e.rowsRejected }),
    { written: 0, rejected: 0 },
  );
  return [
    `${ledger.workflowId}  date ${ledger.date}${ledger.redriveOf ? `  redrive of ${ledger.redriveOf}` : ''}${outcome ? `  ${outcome}` : ''}`,
    `${done}/${ledger.total} done: ${c.succeeded} succeeded, ${c.failed} failed, ${c.running} running ` +
      `(limit ${ledger.parallelism}), ${c.pending} pending · ${rows.written} rows loaded, ${rows.rejected} rejected` +
      (ledger.runs > 1 ? ` · ${ledger.runs} runs (continue-as-new)` : ''),
  ].join('\n');
}

function pickRows(entries: readonly EtlLedgerEntry[], options: LedgerViewOptions): EtlLedgerEntry[] {
  const max = options.maxRows ?? 40;
  if (options.all || entries.length <= max) return [...entries];
  const important = entries.filter((e) => e.status === 'running' || e.status === 'failed');
  const finished = entries.filter((e) => e.status === 'succeeded');
  const room = Math.max(0, max - important.length);
  const chosen = new Set([...important, ...finished.slice(-room)]);
  return entries.filter((e) => chosen.has(e));
}

export function renderLedger(ledger: EtlLedger, options: LedgerViewOptions = {}, outcome?: string): string {
  const shown = pickRows(ledger.entries, options);
  const rows: Cell[][] = shown.map((e) => [
    e.index,
    e.name,
    GLYPH[e.status],
    e.attempts || null,
    e.status === 'pending' ? null : e.rowsRead,
    e.status === 'pending' ? null : e.rowsWritten,
    e.status === 'pending' ? null : e.rowsRejected,
    e.durationMs ? formatDuration(e.durationMs) : null,
    clip(
      e.error
        ? `${e.error.type}: ${e.error.message}`
        : e.retries?.length
          ? `ok after: ${e.retries[e.retries.length - 1]}`
          : e.rejectReasons
            ? Object.entries(e.rejectReasons)
                .map(([reason, n]) => `${n}× ${reason}`)
                .join('; ')
            : '',
      options.all ? 400 : 100,
    ),
  ]);
  const hidden = ledger.entries.length - shown.length;
  const body = table(['#', 'source', 'status', 'tries', 'read', 'written', 'rejected', 'took', 'notes'], rows);
  return `${summariseLedger(ledger, outcome)}\n\n${body}${hidden > 0 ? `\n… ${hidden} more finished sources (--all shows every one)` : ''}`;
}
