/**
 * Transform: turns CSV records or JSON Lines into typed rows checked against a source's schema. Bad rows are
 * dropped and counted by reason (the reason names the column and the problem, never the value, so reasons group).
 */
import type { ColumnSpec } from './sources';

type CellValue = string | number | null;
export type Row = Record<string, CellValue>;

export type Parsed = { ok: true; row: Row } | { ok: false; reason: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 date or date-time, `T` or a space between; the offset (`Z`, `+02:00`, `-0530`) is optional. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/i;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time; one without an offset is UTC, never the worker's
 * own time zone (which Date.parse would use). NaN for anything else, an impossible date or time included.
 */
function parseTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (!m) return NaN;
  const n = (group: number): number => Number(m[group] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const [offsetHours, offsetMinutes] = [n(10), n(11)];
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return NaN;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return NaN;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return d.getTime() - offset;
}

/** Normalises one value to its column type; returns an error text when it cannot. */
export function normalise(column: ColumnSpec, raw: unknown): { value: CellValue } | { error: string } {
  if (raw === undefined || raw === null || raw === '') {
    return column.required ? { error: `${column.name}: missing` } : { value: null };
  }
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (column.type) {
    case 'string':
      return typeof text === 'object' ? { error: `${column.name}: not a string` } : { value: String(text) };
    case 'integer': {
      const n = typeof text === 'number' ? text : /^[+-]?\d+$/.test(String(text)) ? Number(text) : NaN;
      return Number.isSafeInteger(n) ? { value: n } : { error: `${column.name}: not an integer` };
    }
    case 'number': {
      const n = typeof text === 'number' ? text : String(text) === '' ? NaN : Number(text);
      return Number.isFinite(n) ? { value: n } : { error: `${column.name}: not a number` };
    }
    case 'boolean': {
      const s = String(text).toLowerCase();
      if (['true', '1', 'yes', 't', 'y'].includes(s)) return { value: 1 };
      if (['false', '0', 'no', 'f', 'n'].includes(s)) return { value: 0 };
      return { error: `${column.name}: not a boolean` };
    }
    case 'date': {
      const s = String(text);
      const m = DATE.exec(s.slice(0, 10));
      if (!m || (s.length > 10 && !/^[T ]/.test(s[10]!))) return { error: `${column.name}: not a date` };
      const d = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s.slice(0, 10)) {
        return { error: `${column.name}: not a date` };
      }
      return { value: s.slice(0, 10) };
    }
    case 'timestamp': {
      const ms = typeof text === 'string' ? parseTimestamp(text) : NaN;
      return Number.isFinite(ms) ? { value: new Date(ms).toISOString() } : { error: `${column.name}: not a timestamp` };
    }
  }
}

function typed(columns: readonly ColumnSpec[], get: (c: ColumnSpec) => unknown): Parsed {
  const row: Row = {};
  for (const column of columns) {
    const result = normalise(column, get(column));
    if ('error' in result) return { ok: false, reason: result.error };
    row[column.name] = result.value;
  }
  return { ok: true, row };
}

/** Parses the data records of a CSV file with this header (built once per file). */
export function csvParser(
  columns: readonly ColumnSpec[],
  header: readonly string[],
): (cells: readonly string[]) => Parsed {
  const position = new Map(header.map((h, i) => [h.trim(), i]));
  return (cells) => {
    if (cells.length !== header.length) return { ok: false, reason: `expected ${header.length} fields` };
    return typed(columns, (c) => {
      const at = position.get(c.name);
      return at === undefined ? undefined : cells[at];
    });
  };
}

/** Parses one line of JSON Lines. */
export function jsonLinesParser(columns: readonly ColumnSpec[]): (line: string) => Parsed {
  return (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, reason: 'malformed JSON' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reason: 'not a JSON object' };
    }
    const record = value as Record<string, unknown>;
    return typed(columns, (c) => record[c.name]);
  };
}

/** Required schema columns a CSV header lacks. */
export function missingColumns(columns: readonly ColumnSpec[], header: readonly string[]): string[] {
  const present = new Set(header.map((h) => h.trim()));
  return columns.filter((c) => c.required && !present.has(c.name)).map((c) => c.name);
}
