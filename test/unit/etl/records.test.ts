import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { transformFileSync } from '@swc/core';
import { csvParser, jsonLinesParser, missingColumns, normalise } from '../../../src/etl/records';
import type { ColumnSpec } from '../../../src/etl/sources';

const columns: ColumnSpec[] = [
  { name: 'id', type: 'integer', required: true },
  { name: 'amount', type: 'number', required: true },
  { name: 'on', type: 'date', required: true },
  { name: 'vip', type: 'boolean', required: false },
  { name: 'at', type: 'timestamp', required: false },
];

describe('transform', () => {
  it('normalises types and names the column when a value does not fit', () => {
    const col = (name: string) => columns.find((c) => c.name === name)!;
    expect(normalise(col('id'), ' 42 ')).toEqual({ value: 42 });
    expect(normalise(col('id'), '4.2')).toEqual({ error: 'id: not an integer' });
    expect(normalise(col('amount'), 'n/a')).toEqual({ error: 'amount: not a number' });
    expect(normalise(col('on'), '2024-02-31')).toEqual({ error: 'on: not a date' });
    expect(normalise(col('on'), '2024-02-29T10:00:00Z')).toEqual({ value: '2024-02-29' });
    expect(normalise(col('vip'), 'YES')).toEqual({ value: 1 });
    expect(normalise(col('vip'), '')).toEqual({ value: null });
    expect(normalise(col('id'), '')).toEqual({ error: 'id: missing' });
    expect(normalise(col('at'), '2025-01-01 10:00:00Z')).toEqual({ value: '2025-01-01T10:00:00.000Z' });
  });

  it('reads a timestamp without an offset as UTC, whatever time zone the worker is in', () => {
    // Jest's process.env is a copy: a time zone only takes effect in a process started with it.
    const { code } = transformFileSync(path.resolve(__dirname, '../../../src/etl/records.ts'), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    const probe = `${code}
      const at = { name: 'at', type: 'timestamp', required: true };
      process.stdout.write(JSON.stringify(['2026-03-01 10:00:00', '2026-03-01T10:00', '2026-03-01'].map((t) => exports.normalise(at, t))));`;
    const expected = [Date.UTC(2026, 2, 1, 10), Date.UTC(2026, 2, 1, 10), Date.UTC(2026, 2, 1)].map((ms) => ({
      value: new Date(ms).toISOString(),
    }));
    for (const TZ of ['UTC', 'Europe/Berlin', 'America/Los_Angeles']) {
      const out = execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, TZ }, encoding: 'utf8' });
      expect([TZ, JSON.parse(out)]).toEqual([TZ, expected]);
    }
  });

  it('reads timestamps with an offset, and rejects what is not an ISO 8601 date or date-time', () => {
    const at = columns.find((c) => c.name === 'at')!;
    expect(normalise(at, '2026-03-01T10:00:00.25+02:00')).toEqual({ value: '2026-03-01T08:00:00.250Z' });
    expect(normalise(at, '2026-03-01 10:00:00-0530')).toEqual({ value: '2026-03-01T15:30:00.000Z' });
    expect(normalise(at, '2026-03-01t10:00z')).toEqual({ value: '2026-03-01T10:00:00.000Z' });
    for (const bad of [
      '12',
      'yesterday',
      '2026-02-30 10:00:00',
      '2026-03-01 25:00',
      '2026-03-01Z',
      'Mar 1 2026',
      1772359200000,
    ]) {
      expect(normalise(at, bad)).toEqual({ error: 'at: not a timestamp' });
    }
  });

  it('parses CSV rows by header position and counts field mismatches as bad rows', () => {
    const parse = csvParser(columns, ['on', 'id', 'amount', 'vip', 'at']);
    expect(parse(['2025-01-01', '7', '9.5', '', ''])).toEqual({
      ok: true,
      row: { id: 7, amount: 9.5, on: '2025-01-01', vip: null, at: null },
    });
    expect(parse(['2025-01-01', '7'])).toEqual({ ok: false, reason: 'expected 5 fields' });
    expect(missingColumns(columns, ['id', 'on', 'vip'])).toEqual(['amount']);
  });

  it('parses JSON Lines and rejects what is not an object', () => {
    const parse = jsonLinesParser(columns);
    expect(parse('{"id":1,"amount":2,"on":"2025-01-01"}')).toMatchObject({ ok: true, row: { id: 1, amount: 2 } });
    expect(parse('{"id":1')).toEqual({ ok: false, reason: 'malformed JSON' });
    expect(parse('[1,2]')).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(parse('{"id":1,"on":"2025-01-01"}')).toEqual({ ok: false, reason: 'amount: missing' });
  });
});
