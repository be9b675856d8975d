/**
 * The sales query layer on both databases it supports: the same seeded data gives the same figures on SQLite and on
 * PostgreSQL, and those figures equal hand-written SQL run on the same database.
 */
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type Database } from '../../../src/db/connection';
import type { DailySalesMetrics } from '../../../src/reports/metrics';
import { querySalesMetrics } from '../../../src/reports/queries';
import { migrateSalesDatabase, type SalesDatabase } from '../../../src/reports/schema';
import { seedSalesData } from '../../../src/reports/seed';
import { startScratchPostgres, type ScratchPostgres } from '../../../src/db/scratch-postgres';

const DATES = ['2026-03-08', '2026-03-04', '2026-02-01'];
const DAY_MS = 86_400_000;

/** Hand-written SQL over the raw tables, UTC bounds computed here. */
async function independent(db: Kysely<SalesDatabase>, date: string) {
  const start = Date.parse(`${date}T00:00:00Z`);
  const end = start + DAY_MS;
  const totals = await sql<{ n: string | number; r: string | number | null }>`
    SELECT count(*) AS n, sum(total_cents) AS r FROM sales_orders WHERE placed_at >= ${start} AND placed_at < ${end}`.execute(
    db,
  );
  const hours = await sql<{ h: string | number; r: string | number }>`
    SELECT (placed_at - ${sql.lit(start)}) / 3600000 AS h, sum(total_cents) AS r FROM sales_orders
    WHERE placed_at >= ${start} AND placed_at < ${end} GROUP BY 1 ORDER BY 1`.execute(db);
  const top = await sql<{ sku: string }>`
    SELECT p.sku AS sku, sum(i.quantity * i.unit_price_cents) AS revenue FROM sales_order_items i
    JOIN sales_orders o ON o.id = i.order_id JOIN sales_products p ON p.id = i.product_id
    WHERE o.placed_at >= ${start} AND o.placed_at < ${end} GROUP BY p.sku ORDER BY 2 DESC, 1 LIMIT 10`.execute(db);
  const row = totals.rows[0]!;
  return {
    orders: Number(row.n),
    revenueCents: Number(row.r ?? 0),
    hours: Object.fromEntries(hours.rows.map((h) => [Number(h.h), Number(h.r)])),
    topSkus: top.rows.map((t) => t.sku),
  };
}

describe.each(['sqlite', 'postgres'])('sales queries on %s', (kind) => {
  let pg: ScratchPostgres | undefined;
  let database: Database<SalesDatabase>;
  const results: Record<string, DailySalesMetrics> = {};

  beforeAll(async () => {
    let url = `sqlite:${path.join(os.tmpdir(), `ebbflow-sales-${process.pid}-${Date.now()}.db`)}`;
    if (kind === 'postgres') {
      pg = await startScratchPostgres();
      url = pg.url;
    }
    database = openDatabase<SalesDatabase>(url);
    expect(await migrateSalesDatabase(database.db)).toEqual(['0001-sales-tables', '0002-report-day-indexes']);
    expect(await migrateSalesDatabase(database.db)).toEqual([]);
    await seedSalesData(database.db, { days: 14, endDate: '2026-03-10', baseOrdersPerDay: 150, seed: 3 });
  });

  afterAll(async () => {
    await database?.close();
    await pg?.stop();
  });

  it.each(DATES)('computes %s as the hand-written SQL does', async (date) => {
    const m = await querySalesMetrics(database.db, date, 'UTC');
    const sqlFigures = await independent(database.db, date);
    expect(m.orders).toBe(sqlFigures.orders);
    expect(m.revenueCents).toBe(sqlFigures.revenueCents);
    expect(m.topProducts.map((p) => p.sku)).toEqual(sqlFigures.topSkus);
    expect(m.revenueByHour).toHaveLength(24);
    m.revenueByHour.forEach((h, i) => expect(h.revenueCents).toBe(sqlFigures.hours[i] ?? 0));
    if (date === '2026-02-01') expect(m.orders).toBe(0);
    results[date] = m;
  });

  it('adds up an order line worth more than a 32-bit integer of cents', async () => {
    const placedAt = Date.parse('2026-04-01T12:00:00Z');
    await database.db
      .insertInto('sales_products')
      .values({ id: 9001, sku: 'BULK-1', name: 'Pallet', category: 'bulk', unit_price_cents: 250_000 })
      .execute();
    await database.db
      .insertInto('sales_orders')
      .values({ id: 'bulk-order', placed_at: placedAt, customer_id: 1, total_cents: 2_500_000_000 })
      .execute();
    await database.db
      .insertInto('sales_order_items')
      .values({
        order_id: 'bulk-order',
        line: 1,
        placed_at: placedAt,
        product_id: 9001,
        quantity: 10_000,
        unit_price_cents: 250_000,
      })
      .execute();
    const m = await querySalesMetrics(database.db, '2026-04-01', 'UTC');
    expect(m.revenueCents).toBe(2_500_000_000);
    expect(m.topProducts[0]).toMatchObject({ sku: 'BULK-1', units: 10_000, revenueCents: 2_500_000_000 });
  });

  it('gives the same figures on both databases', () => {
    // Seeding is deterministic, so both runs of this suite must agree with one another exactly.
    const shared = globalThis as unknown as { __salesFigures?: Record<string, DailySalesMetrics> };
    if (!shared.__salesFigures) {
      shared.__salesFigures = results;
      expect(Object.keys(results)).toHaveLength(3);
    } else {
      expect(results).toEqual(shared.__salesFigures);
    }
  });

  it('re-seeding a range replaces it instead of adding to it', async () => {
    const before = await querySalesMetrics(database.db, '2026-03-08', 'UTC');
    await seedSalesData(database.db, { days: 3, endDate: '2026-03-09', baseOrdersPerDay: 150, seed: 3 });
    expect(await querySalesMetrics(database.db, '2026-03-08', 'UTC')).toEqual(before);
  });

  it('buckets hours in the report time zone', async () => {
    const m = await querySalesMetrics(database.db, '2026-03-08', 'Europe/Berlin');
    expect(m.periodStart).toBe('2026-03-07T23:00:00.000Z');
    expect(m.revenueByHour[0]?.hour).toBe(0);
    expect(m.revenueByHour.reduce((s, h) => s + h.revenueCents, 0)).toBe(m.revenueCents);
  });
});
