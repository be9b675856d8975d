/**
 * Calendar arithmetic for reports: which local day a run reports on, and where that day starts and ends in UTC.
 * Pure and deterministic (only `Intl`), so workflows may import it; the time zone is an IANA name such as `UTC` or
 * `Europe/Berlin`.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** Throws a RangeError naming the value unless it is an IANA time zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as UTC or Europe/Berlin)`);
  }
}

/** `date` plus `days` calendar days (negative to go back). */
export function addDays(date: string, days: number): string {
  if (!isIsoDate(date)) throw new RangeError(`expected a date as YYYY-MM-DD, got "${date}"`);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to`, both included; empty when `to` is before `from`. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Day of the week of a date, 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${addDays(date, 0)}T00:00:00Z`).getUTCDay();
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(instant: number, timeZone: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The local calendar date of an instant in a time zone. */
export function localDate(instant: Date | number, timeZone = 'UTC'): string {
  const p = localParts(typeof instant === 'number' ? instant : instant.getTime(), timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The local hour (0–23) of an instant in a time zone. */
export function localHour(instant: number, timeZone = 'UTC'): number {
  return localParts(instant, timeZone).hour;
}

/** Offset of the zone from UTC at an instant, in milliseconds (Berlin in winter: +3 600 000). */
function zoneOffset(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant a local calendar day starts (its first local midnight, or the first instant after a DST gap). */
export function startOfLocalDay(date: string, timeZone = 'UTC'): number {
  const [y, m, d] = addDays(date, 0).split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when it changes within the day.
  let guess = naive - zoneOffset(naive, timeZone);
  guess = naive - zoneOffset(guess, timeZone);
  if (localDate(guess, timeZone) !== date) guess += 3_600_000;
  return guess;
}

/** The half-open UTC interval `[start, end)` of a local calendar day, in epoch milliseconds. */
export function localDayBounds(date: string, timeZone = 'UTC'): { start: number; end: number } {
  return { start: startOfLocalDay(date, timeZone), end: startOfLocalDay(addDays(date, 1), timeZone) };
}

/**
 * The day a scheduled report covers: the local day before the scheduled time. A run scheduled for 06:00 on
 * 2026-11-26 in `timeZone` reports on 2026-11-25.
 */
export function reportDateFor(scheduledAt: Date | number, timeZone = 'UTC'): string {
  return addDays(localDate(scheduledAt, timeZone), -1);
}

/** Where the report of a date lives in the output bucket; the same date always maps to the same object. */
export function dailySalesReportKey(date: string): string {
  return `reports/daily-sales/${date}.pdf`;
}
