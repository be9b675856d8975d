import { HOUR_PROFILE, generateDay, PRODUCTS } from '../../../src/reports/seed';
import { localDayBounds, localHour } from '../../../src/common/report-dates';

describe('sales seed data', () => {
  it('is reproducible for the same seed and differs for another', () => {
    const a = generateDay('2026-03-04', { seed: 7 });
    const b = generateDay('2026-03-04', { seed: 7 });
    const c = generateDay('2026-03-04', { seed: 8 });
    expect(a).toEqual(b);
    expect(c.orders).not.toEqual(a.orders);
  });

  it('keeps every order inside the local day and totals equal to its lines', () => {
    const day = generateDay('2026-03-29', { timezone: 'Europe/Berlin', orders: 2000 });
    const { start, end } = localDayBounds('2026-03-29', 'Europe/Berlin');
    expect(day.orders).toHaveLength(2000);
    const lines = new Map<string, number>();
    for (const item of day.items) {
      lines.set(item.order_id, (lines.get(item.order_id) ?? 0) + item.quantity * item.unit_price_cents);
      expect(PRODUCTS.some((p) => p.id === item.product_id)).toBe(true);
    }
    for (const order of day.orders) {
      expect(order.placed_at).toBeGreaterThanOrEqual(start);
      expect(order.placed_at).toBeLessThan(end);
      expect(lines.get(order.id)).toBe(order.total_cents);
    }
  });

  it('follows the hour-of-day and weekday seasonality', () => {
    const day = generateDay('2026-03-04', { orders: 20_000 });
    const perHour = new Array<number>(24).fill(0);
    for (const o of day.orders) perHour[localHour(o.placed_at, 'UTC')]! += 1;
    const evening = perHour[19]!;
    const night = perHour[3]!;
    expect(evening / night).toBeGreaterThan(10);
    expect(HOUR_PROFILE[19]! / HOUR_PROFILE[3]!).toBeGreaterThan(10);

    // Averaged over several weeks, Saturdays are busier than Mondays.
    const count = (dates: string[]): number => dates.reduce((n, d) => n + generateDay(d).orders.length, 0);
    const saturdays = ['2026-03-07', '2026-03-14', '2026-03-21', '2026-03-28'];
    const mondays = ['2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30'];
    expect(count(saturdays)).toBeGreaterThan(count(mondays) * 1.2);
  });
});
