import {
  computeDailySalesMetrics,
  formatChange,
  formatMoney,
  relativeChange,
  type SalesDayRows,
} from '../../../src/reports/metrics';

const rows = (over: Partial<SalesDayRows> = {}): SalesDayRows => ({
  date: '2026-03-08',
  timezone: 'UTC',
  start: Date.parse('2026-03-08T00:00:00Z'),
  end: Date.parse('2026-03-09T00:00:00Z'),
  orders: 3,
  revenueCents: 1000,
  units: 7,
  topProducts: [{ sku: 'SKU-001', name: 'A', units: 7, revenueCents: 1000 }],
  hourly: [
    { bucket: 2, orders: 1, revenueCents: 400 },
    { bucket: 23, orders: 2, revenueCents: 600 },
  ],
  bucketHours: Array.from({ length: 24 }, (_, i) => i),
  previousDay: { date: '2026-03-07', orders: 4, revenueCents: 800 },
  weekEarlier: { date: '2026-03-01', orders: 0, revenueCents: 0 },
  ...over,
});

describe('daily sales metrics', () => {
  it('derives averages, changes and a dense hourly series', () => {
    const m = computeDailySalesMetrics(rows());
    expect(m.averageOrderValueCents).toBe(333);
    expect(m.change.revenueVsPreviousDay).toBeCloseTo(0.25);
    expect(m.change.ordersVsPreviousDay).toBeCloseTo(-0.25);
    expect(m.change.revenueVsWeekEarlier).toBeNull();
    expect(m.revenueByHour).toHaveLength(24);
    expect(m.revenueByHour[2]).toEqual({ hour: 2, orders: 1, revenueCents: 400 });
    expect(m.revenueByHour[0]).toEqual({ hour: 0, orders: 0, revenueCents: 0 });
    expect(m.topProducts[0]?.rank).toBe(1);
    expect(m.periodStart).toBe('2026-03-08T00:00:00.000Z');
  });

  it('has an average of zero on a day without orders', () => {
    const m = computeDailySalesMetrics(rows({ orders: 0, revenueCents: 0, units: 0, hourly: [], topProducts: [] }));
    expect(m.averageOrderValueCents).toBe(0);
    expect(m.change.revenueVsPreviousDay).toBe(-1);
  });

  it('formats money and changes the way the PDF prints them', () => {
    expect(formatMoney(1234567)).toBe('$12,345.67');
    expect(formatMoney(5)).toBe('$0.05');
    expect(formatChange(0.0423)).toBe('+4.2%');
    expect(formatChange(-0.1)).toBe('-10.0%');
    expect(formatChange(null)).toBe('n/a');
    expect(relativeChange(5, 0)).toBeNull();
  });
});
