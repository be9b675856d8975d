/**
 * The sales queries behind the daily report, written once in Kysely for SQLite and PostgreSQL. The database does the
 * aggregation (counts, sums, top products, hourly buckets); `computeDailySalesMetrics` derives the rest.
 */
import { sql, type Kysely } from 'kysely';
import { addDays, localDayBounds, localHour } from '../common/report-dates';
import { computeDailySalesMetrics, type DailySalesMetrics, type DaySummary, type SalesDayRows } from './metrics';
import { toNumber, type SalesDatabase } from './schema';

const HOUR_MS = 3_600_000;

async function queryDaySummary(db: Kysely<SalesDatabase>, date: string, timezone: string): Promise<DaySummary> {
  const { start, end } = localDayBounds(date, timezone);
  const row = await db
    .selectFrom('sales_orders')
    .select((eb) => [eb.fn.countAll().as('orders'), eb.fn.sum('total_cents').as('revenue')])
    .where('placed_at', '>=', start)
    .where('placed_at', '<', end)
    .executeTakeFirstOrThrow();
  return { date, orders: toNumber(row.orders), revenueCents: toNumber(row.revenue) };
}

/** Everything the report needs about one local day, in one read-only pass. */
async function querySalesDayRows(db: Kysely<SalesDatabase>, date: string, timezone: string): Promise<SalesDayRows> {
  const { start, end } = localDayBounds(date, timezone);
  // Literals, not parameters: PostgreSQL matches the GROUP BY expression to the selected one by its text.
  const bucket = sql<number>`(placed_at - ${sql.lit(start)}) / ${sql.lit(HOUR_MS)}`;
  // 64-bit before multiplying: PostgreSQL multiplies two integers as 32 bits, and one line may be worth more cents.
  const lineRevenue = sql<number>`sum(cast(i.quantity as bigint) * i.unit_price_cents)`;
  const dayUnits = sql<number>`sum(sum(i.quantity)) over ()`;
  const [summary, top, hourly, previousDay, weekEarlier] = await Promise.all([
    queryDaySummary(db, date, timezone),
    // Per product, one index range of the day's lines; the window adds up the units of every product, not only of
    // the ten returned.
    db
      .selectFrom('sales_products as p')
      .innerJoin('sales_order_items as i', 'i.product_id', 'p.id')
      .where('i.placed_at', '>=', start)
      .where('i.placed_at', '<', end)
      .select((eb) => [
        'p.sku',
        'p.name',
        eb.fn.sum('i.quantity').as('units'),
        lineRevenue.as('revenue'),
        dayUnits.as('day_units'),
      ])
      .groupBy(['p.id', 'p.sku', 'p.name'])
      .orderBy('revenue', 'desc')
      .orderBy('p.sku', 'asc')
      .limit(10)
      .execute(),
    db
      .selectFrom('sales_orders')
      .select((eb) => [bucket.as('bucket'), eb.fn.countAll().as('orders'), eb.fn.sum('total_cents').as('revenue')])
      .where('placed_at', '>=', start)
      .where('placed_at', '<', end)
      .groupBy(bucket)
      .execute(),
    queryDaySummary(db, addDays(date, -1), timezone),
    queryDaySummary(db, addDays(date, -7), timezone),
  ]);

  const hours = Math.round((end - start) / HOUR_MS);
  return {
    date,
    timezone,
    start,
    end,
    orders: summary.orders,
    revenueCents: summary.revenueCents,
    units: toNumber(top[0]?.day_units),
    topProducts: top.map((p) => ({
      sku: p.sku,
      name: p.name,
      units: toNumber(p.units),
      revenueCents: toNumber(p.revenue),
    })),
    hourly: hourly.map((h) => ({
      bucket: Math.floor(toNumber(h.bucket)),
      orders: toNumber(h.orders),
      revenueCents: toNumber(h.revenue),
    })),
    bucketHours: Array.from({ length: hours }, (_, i) => localHour(start + i * HOUR_MS, timezone)),
    previousDay,
    weekEarlier,
  };
}

/** The report's figures for one local day. */
export async function querySalesMetrics(
  db: Kysely<SalesDatabase>,
  date: string,
  timezone = 'UTC',
): Promise<DailySalesMetrics> {
  return computeDailySalesMetrics(await querySalesDayRows(db, date, timezone));
}
