/**
 * Realistic, reproducible sales data for local use, tests and benchmarks: a fixed catalogue, orders whose volume
 * follows the hour of day (night trough, lunch bump, evening peak) and the weekday (busier weekends), a slow upward
 * trend and day-to-day noise. The same seed always gives the same rows, and seeding a range twice replaces it.
 */
import type { Kysely } from 'kysely';
import { addDays, datesBetween, localDayBounds, weekday } from '../common/report-dates';
import type { SalesDatabase, SalesOrderItemTable, SalesOrderTable, SalesProductTable } from './schema';
import { seededRandom } from '../common/random';

/** Relative order volume by local hour, 0–23. */
export const HOUR_PROFILE = [
  0.25, 0.15, 0.1, 0.08, 0.08, 0.15, 0.35, 0.6, 0.85, 1.0, 1.1, 1.2, 1.45, 1.35, 1.15, 1.1, 1.15, 1.3, 1.6, 1.85, 1.9,
  1.6, 1.0, 0.5,
];

/** Relative order volume by weekday, Sunday first. */
const WEEKDAY_PROFILE = [1.25, 0.85, 0.9, 0.95, 1.0, 1.15, 1.35];

const CATALOGUE: [string, string, number][] = [
  ['Espresso beans 1 kg', 'Coffee', 2490],
  ['Filter coffee 500 g', 'Coffee', 1290],
  ['Decaf beans 500 g', 'Coffee', 1390],
  ['Cold brew concentrate', 'Coffee', 990],
  ['Green tea sencha', 'Tea', 890],
  ['Earl Grey loose leaf', 'Tea', 790],
  ['Chai spice blend', 'Tea', 690],
  ['Matcha ceremonial 30 g', 'Tea', 2190],
  ['Burr grinder', 'Equipment', 14900],
  ['Pour-over kettle', 'Equipment', 5900],
  ['French press 1 l', 'Equipment', 3490],
  ['Espresso machine', 'Equipment', 44900],
  ['Milk frother', 'Equipment', 2990],
  ['Digital scale', 'Equipment', 2490],
  ['Paper filters (100)', 'Supplies', 490],
  ['Descaler', 'Supplies', 890],
  ['Cleaning tablets', 'Supplies', 1190],
  ['Ceramic mug', 'Cups', 1490],
  ['Travel tumbler', 'Cups', 2490],
  ['Double-wall glass set', 'Cups', 2990],
  ['Oat milk 1 l', 'Pantry', 290],
  ['Almond biscotti', 'Pantry', 590],
  ['Dark chocolate bar', 'Pantry', 390],
  ['Vanilla syrup', 'Pantry', 790],
  ['Caramel syrup', 'Pantry', 790],
  ['Gift card 25', 'Gifts', 2500],
  ['Gift card 50', 'Gifts', 5000],
  ['Tasting box', 'Gifts', 3990],
  ['Barista course', 'Services', 8900],
  ['Subscription month', 'Services', 1990],
];

/** Popularity weights: cheap consumables sell most, machines rarely. */
function popularity(priceCents: number): number {
  return 1 / Math.sqrt(priceCents / 500);
}

export const PRODUCTS: SalesProductTable[] = CATALOGUE.map(([name, category, price], i) => ({
  id: i + 1,
  sku: `SKU-${String(i + 1).padStart(3, '0')}`,
  name,
  category,
  unit_price_cents: price,
}));

function hashDate(date: string, seed: number): number {
  let h = seed ^ 0x9e3779b9;
  for (const ch of date) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

function pickWeighted(weights: number[], total: number, r: number): number {
  let x = r * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

const PRODUCT_WEIGHTS = PRODUCTS.map((p) => popularity(p.unit_price_cents));
const PRODUCT_WEIGHT_TOTAL = PRODUCT_WEIGHTS.reduce((a, b) => a + b, 0);
const HOUR_TOTAL = HOUR_PROFILE.reduce((a, b) => a + b, 0);

export interface GeneratedDay {
  date: string;
  orders: SalesOrderTable[];
  items: SalesOrderItemTable[];
}

/** Expected orders on a date: base volume × weekday factor × a trend of +0.2 % a day from 2020-01-01. */
function expectedOrders(date: string, baseOrdersPerDay: number): number {
  const days = (Date.parse(`${date}T00:00:00Z`) - Date.parse('2020-01-01T00:00:00Z')) / 86_400_000;
  return baseOrdersPerDay * WEEKDAY_PROFILE[weekday(date)]! * (1 + 0.002 * Math.max(0, days % 730));
}

/**
 * One local day of orders. `orders` fixes the count (benchmarks); otherwise it is drawn around `expectedOrders` with
 * ±15 % noise. Times follow HOUR_PROFILE within the local day of `timezone`.
 */
export function generateDay(
  date: string,
  options: { baseOrdersPerDay?: number; orders?: number; seed?: number; timezone?: string } = {},
): GeneratedDay {
  const seed = options.seed ?? 1;
  const random = seededRandom(hashDate(date, seed));
  const count =
    options.orders ??
    Math.max(0, Math.round(expectedOrders(date, options.baseOrdersPerDay ?? 400) * (0.85 + 0.3 * random())));
  const { start, end } = localDayBounds(date, options.timezone ?? 'UTC');
  const hours = Math.round((end - start) / 3_600_000);
  const orders: SalesOrderTable[] = [];
  const items: SalesOrderItemTable[] = [];
  const compact = date.replaceAll('-', '');
  for (let n = 0; n < count; n++) {
    const hour = Math.min(pickWeighted(HOUR_PROFILE, HOUR_TOTAL, random()), hours - 1);
    const placedAt = start + hour * 3_600_000 + Math.floor(random() * 3_600_000);
    const id = `o-${compact}-${String(n + 1).padStart(6, '0')}`;
    const lines = 1 + Math.floor(random() * random() * 4);
    let total = 0;
    for (let line = 1; line <= lines; line++) {
      const product = PRODUCTS[pickWeighted(PRODUCT_WEIGHTS, PRODUCT_WEIGHT_TOTAL, random())]!;
      const quantity = 1 + Math.floor(random() * random() * 3);
      items.push({
        order_id: id,
        line,
        placed_at: placedAt,
        product_id: product.id,
        quantity,
        unit_price_cents: product.unit_price_cents,
      });
      total += quantity * product.unit_price_cents;
    }
    orders.push({ id, placed_at: placedAt, customer_id: 1 + Math.floor(random() * 5000), total_cents: total });
  }
  return { date, orders, items };
}

async function insertChunked<T extends keyof SalesDatabase>(
  db: Kysely<SalesDatabase>,
  table: T,
  rows: SalesDatabase[T][],
  columns: number,
): Promise<void> {
  // SQLite allows 32 766 bound parameters per statement and PostgreSQL 65 535.
  const size = Math.floor(30_000 / columns);
  for (let i = 0; i < rows.length; i += size) {
    // Kysely cannot relate a generic table name to its row type; the signature above keeps callers typed.
    await (db as unknown as Kysely<Record<string, object>>)
      .insertInto(table)
      .values(rows.slice(i, i + size))
      .execute();
  }
}

async function ensureProducts(db: Kysely<SalesDatabase>): Promise<void> {
  await db
    .insertInto('sales_products')
    .values(PRODUCTS)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Deletes the orders (and their lines) of the local days `from`–`to` in `timezone`. */
async function deleteOrders(db: Kysely<SalesDatabase>, from: string, to: string, timezone = 'UTC'): Promise<void> {
  const start = localDayBounds(from, timezone).start;
  const end = localDayBounds(to, timezone).end;
  const ids = db.selectFrom('sales_orders').select('id').where('placed_at', '>=', start).where('placed_at', '<', end);
  await db.deleteFrom('sales_order_items').where('order_id', 'in', ids).execute();
  await db.deleteFrom('sales_orders').where('placed_at', '>=', start).where('placed_at', '<', end).execute();
}

/** Writes generated days, replacing whatever those days held. */
export async function writeDays(db: Kysely<SalesDatabase>, days: GeneratedDay[], timezone = 'UTC'): Promise<void> {
  if (days.length === 0) return;
  const dates = days.map((d) => d.date).sort();
  await ensureProducts(db);
  await db.transaction().execute(async (trx) => {
    await deleteOrders(trx, dates[0]!, dates[dates.length - 1]!, timezone);
    await insertChunked(
      trx,
      'sales_orders',
      days.flatMap((d) => d.orders),
      4,
    );
    await insertChunked(
      trx,
      'sales_order_items',
      days.flatMap((d) => d.items),
      6,
    );
  });
}

export interface SeedOptions {
  /** Days of data ending with `endDate`. */
  days: number;
  /** Last seeded day, YYYY-MM-DD. */
  endDate: string;
  baseOrdersPerDay?: number;
  seed?: number;
  timezone?: string;
  /** Called after each written day, for progress output. */
  onDay?: (date: string, orders: number) => void;
}

export interface SeedResult {
  from: string;
  to: string;
  orders: number;
  items: number;
}

/** Seeds `days` days ending with `endDate`, a week at a time so memory stays flat. */
export async function seedSalesData(db: Kysely<SalesDatabase>, options: SeedOptions): Promise<SeedResult> {
  const from = addDays(options.endDate, -(options.days - 1));
  const dates = datesBetween(from, options.endDate);
  let orders = 0;
  let items = 0;
  for (let i = 0; i < dates.length; i += 7) {
    const week = dates.slice(i, i + 7).map((date) =>
      generateDay(date, {
        baseOrdersPerDay: options.baseOrdersPerDay,
        seed: options.seed,
        timezone: options.timezone,
      }),
    );
    await writeDays(db, week, options.timezone);
    for (const day of week) {
      orders += day.orders.length;
      items += day.items.length;
      options.onDay?.(day.date, day.orders.length);
    }
  }
  return { from, to: options.endDate, orders, items };
}
