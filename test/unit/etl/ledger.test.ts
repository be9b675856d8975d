import { countStatuses, toleranceVerdict, topReasons } from '../../../src/common/etl-ledger';
import { compactEntry, expandEntry } from '../../../src/common/etl-ledger-codec';
import type { EtlLedger, EtlLedgerEntry } from '../../../src/common/etl-types';
import { renderLedger } from '../../../src/etl/ledger-view';

const entry = (index: number, over: Partial<EtlLedgerEntry> = {}): EtlLedgerEntry => ({
  index,
  name: `src-${index}`,
  status: 'succeeded',
  attempts: 1,
  rowsRead: 100,
  rowsWritten: 98,
  rowsRejected: 2,
  durationMs: 1200,
  ...over,
});

describe('ledger', () => {
  it('round-trips entries through the compact form, small enough for thousands of sources', () => {
    const entries = [
      entry(0),
      entry(1, { status: 'failed', error: { type: 'EtlMissingSourceError', message: 'no files' } }),
      entry(2, { retries: ['attempt 1: reset'], rejectReasons: { 'id: missing': 2 } }),
      entry(3, { status: 'pending', attempts: 0, rowsRead: 0, rowsWritten: 0, rowsRejected: 0, durationMs: 0 }),
    ];
    expect(entries.map(compactEntry).map(expandEntry)).toEqual(entries);
    const thousands = Array.from({ length: 5000 }, (_, i) => compactEntry(entry(i)));
    expect(JSON.stringify(thousands).length).toBeLessThan(400_000);
  });

  it('fails only above the tolerated percentage', () => {
    expect(toleranceVerdict(3, 50, 10)).toEqual({ failedPercent: 6, exceeded: false });
    expect(toleranceVerdict(3, 50, 0).exceeded).toBe(true);
    expect(toleranceVerdict(5, 50, 10).exceeded).toBe(false);
    expect(toleranceVerdict(6, 50, 10).exceeded).toBe(true);
    expect(toleranceVerdict(0, 0, 0).exceeded).toBe(false);
  });

  it('keeps the most frequent reject reasons', () => {
    expect(topReasons({ a: 1, b: 5, c: 3 }, 2)).toEqual({ b: 5, c: 3 });
  });

  it('renders a table with the failures and running sources of a large run', () => {
    const entries = Array.from({ length: 100 }, (_, i) =>
      i === 50
        ? entry(i, { status: 'failed', error: { type: 'EtlCorruptInputError', message: 'not valid gzip' } })
        : i > 95
          ? entry(i, { status: 'running' })
          : entry(i),
    );
    const ledger: EtlLedger = {
      workflowId: 'etl-1',
      date: '2025-01-01',
      total: 100,
      counts: countStatuses(entries),
      inFlight: 4,
      parallelism: 10,
      startedAt: 0,
      runs: 2,
      settings: {},
      entries,
    };
    const text = renderLedger(ledger, { maxRows: 10 });
    expect(text).toContain('96/100 done: 95 succeeded, 1 failed, 4 running (limit 10), 0 pending');
    expect(text).toContain('2 runs (continue-as-new)');
    expect(text).toContain('EtlCorruptInputError: not valid gzip');
    expect(text.split('\n').filter((l) => l.includes('▶ running'))).toHaveLength(4);
    expect(text).toContain('… 90 more finished sources');
  });
});
