import {
  addDays,
  assertTimeZone,
  datesBetween,
  isIsoDate,
  localDayBounds,
  localHour,
  reportDateFor,
} from '../../../src/common/report-dates';

describe('report dates', () => {
  it('reports on the local day before the scheduled time', () => {
    expect(reportDateFor(new Date('2026-11-26T06:00:00Z'), 'UTC')).toBe('2026-11-25');
    // 23:30 UTC on the 25th is already the 26th in Berlin.
    expect(reportDateFor(new Date('2026-11-25T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11-25');
    expect(reportDateFor(new Date('2026-11-25T23:30:00Z'), 'UTC')).toBe('2026-11-24');
    // Crossing a month and a year.
    expect(reportDateFor(new Date('2027-01-01T06:00:00Z'), 'UTC')).toBe('2026-12-31');
  });

  it('finds the UTC bounds of local days, including DST change days', () => {
    expect(localDayBounds('2026-11-25', 'UTC')).toEqual({
      start: Date.parse('2026-11-25T00:00:00Z'),
      end: Date.parse('2026-11-26T00:00:00Z'),
    });
    const winter = localDayBounds('2026-01-15', 'Europe/Berlin');
    expect(new Date(winter.start).toISOString()).toBe('2026-01-14T23:00:00.000Z');
    const springForward = localDayBounds('2026-03-29', 'Europe/Berlin');
    expect((springForward.end - springForward.start) / 3_600_000).toBe(23);
    const fallBack = localDayBounds('2026-10-25', 'America/New_York');
    expect((fallBack.end - fallBack.start) / 3_600_000).toBe(24);
    const nyFallBack = localDayBounds('2026-11-01', 'America/New_York');
    expect((nyFallBack.end - nyFallBack.start) / 3_600_000).toBe(25);
    expect(localHour(nyFallBack.start, 'America/New_York')).toBe(0);
  });

  it('does calendar arithmetic on dates', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -7)).toBe('2026-02-22');
    expect(datesBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(datesBetween('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('rejects malformed dates and unknown time zones', () => {
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('26-1-1')).toBe(false);
    expect(() => addDays('yesterday', 1)).toThrow(/YYYY-MM-DD/);
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(() => assertTimeZone('Asia/Kolkata')).not.toThrow();
  });
});
