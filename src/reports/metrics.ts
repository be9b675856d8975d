/**
 * The figures of a daily sales report, computed from what the queries return. Pure: no database, no clock, so the
 * arithmetic (averages, changes, the hourly series) is tested on its own.
 */

/** Orders and revenue of one day, the unit of comparison between days. */
export interface DaySummary {
  date: string;
  orders: number;
  revenueCents: number;
}

interface ProductSales {
  rank: number;
  sku: string;
  name: string;
  units: number;
  revenueCents: number;
}

interface HourSales {
  /** Local hour of day (0–23) the bucket starts at. */
  hour: number;
  orders: number;
  revenueCents: number;
}

/** Relative change against a baseline (0.1 = +10 %); null when the baseline is zero. */
export type Change = number | null;

export interface DailySalesMetrics {
  date: string;
  timezone: string;
  /** ISO instants of the half-open interval the report covers. */
  periodStart: string;
  periodEnd: string;
  orders: number;
  revenueCents: number;
  /** Revenue divided by orders, rounded to the cent; 0 without orders. */
  averageOrderValueCents: number;
  units: number;
  /** At most 10, by revenue descending, then SKU. */
  topProducts: ProductSales[];
  /** One entry per hour of the local day (23 or 25 on DST change days). */
  revenueByHour: HourSales[];
  previousDay: DaySummary;
  weekEarlier: DaySummary;
  change: {
    revenueVsPreviousDay: Change;
    revenueVsWeekEarlier: Change;
    ordersVsPreviousDay: Change;
    ordersVsWeekEarlier: Change;
  };
}

/** What the queries hand over; everything else is derived. */
export interface SalesDayRows {
  date: string;
  timezone: string;
  start: number;
  end: number;
  orders: number;
  revenueCents: number;
  units: number;
  topProducts: Omit<ProductSales, 'rank'>[];
  /** Sparse buckets: hours elapsed since the start of the local day. */
  hourly: { bucket: number; orders: number; revenueCents: number }[];
  /** Local hour of each bucket start, one per hour of the day. */
  bucketHours: number[];
  previousDay: DaySummary;
  weekEarlier: DaySummary;
}

export function relativeChange(current: number, baseline: number): Change {
  if (baseline === 0) return null;
  return (current - baseline) / baseline;
}

export function computeDailySalesMetrics(rows: SalesDayRows): DailySalesMetrics {
  const byBucket = new Map(rows.hourly.map((h) => [h.bucket, h]));
  return {
    date: rows.date,
    timezone: rows.timezone,
    periodStart: new Date(rows.start).toISOString(),
    periodEnd: new Date(rows.end).toISOString(),
    orders: rows.orders,
    revenueCents: rows.revenueCents,
    averageOrderValueCents: rows.orders === 0 ? 0 : Math.round(rows.revenueCents / rows.orders),
    units: rows.units,
    topProducts: rows.topProducts.slice(0, 10).map((p, i) => ({ rank: i + 1, ...p })),
    revenueByHour: rows.bucketHours.map((hour, bucket) => ({
      hour,
      orders: byBucket.get(bucket)?.orders ?? 0,
      revenueCents: byBucket.get(bucket)?.revenueCents ?? 0,
    })),
    previousDay: rows.previousDay,
    weekEarlier: rows.weekEarlier,
    change: {
      revenueVsPreviousDay: relativeChange(rows.revenueCents, rows.previousDay.revenueCents),
      revenueVsWeekEarlier: relativeChange(rows.revenueCents, rows.weekEarlier.revenueCents),
      ordersVsPreviousDay: relativeChange(rows.orders, rows.previousDay.orders),
      ordersVsWeekEarlier: relativeChange(rows.orders, rows.weekEarlier.orders),
    },
  };
}

/** `$12,345.67` */
export function formatMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}$${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** `12,345` */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `+4.2%`, `-10.0%`, or `n/a` without a baseline. */
export function formatChange(change: Change): string {
  if (change === null) return 'n/a';
  const pct = change * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** `06:00` */
export function formatHour(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}
