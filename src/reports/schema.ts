/**
 * The sales database the daily report reads: products, orders and their lines. Money is integer cents and times are
 * epoch milliseconds (UTC) so that SQLite and PostgreSQL store, compare and sum them the same way; local days and
 * hours are computed from the report's time zone, never stored.
 */
import { Migrator, sql, SqliteAdapter, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export interface SalesProductTable {
  id: number;
  sku: string;
  name: string;
  category: string;
  unit_price_cents: number;
}

export interface SalesOrderTable {
  id: string;
  /** Epoch milliseconds, UTC. */
  placed_at: number;
  customer_id: number;
  total_cents: number;
}

export interface SalesOrderItemTable {
  order_id: string;
  line: number;
  /** The order's `placed_at`, repeated on each line so that a day's lines are one index range. */
  placed_at: number;
  product_id: number;
  quantity: number;
  unit_price_cents: number;
}

export interface SalesDatabase {
  sales_products: SalesProductTable;
  sales_orders: SalesOrderTable;
  sales_order_items: SalesOrderItemTable;
}

/** Migrations of the sales tables, in order. Each runs once per database, tracked in its own table. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-sales-tables': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sales_products')
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('sku', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('category', 'varchar(100)', (c) => c.notNull())
        .addColumn('unit_price_cents', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sales_orders')
        .ifNotExists()
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('placed_at', 'bigint', (c) => c.notNull())
        .addColumn('customer_id', 'integer', (c) => c.notNull())
        .addColumn('total_cents', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sales_orders_placed_at')
        .ifNotExists()
        .on('sales_orders')
        .column('placed_at')
        .execute();
      await db.schema
        .createTable('sales_order_items')
        .ifNotExists()
        .addColumn('order_id', 'varchar(40)', (c) => c.notNull().references('sales_orders.id').onDelete('cascade'))
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('product_id', 'integer', (c) => c.notNull().references('sales_products.id'))
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('unit_price_cents', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('sales_order_items_pk', ['order_id', 'line'])
        .execute();
      await db.schema
        .createIndex('sales_order_items_product')
        .ifNotExists()
        .on('sales_order_items')
        .column('product_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sales_order_items').ifExists().execute();
      await db.schema.dropTable('sales_orders').ifExists().execute();
      await db.schema.dropTable('sales_products').ifExists().execute();
    },
  },
  /**
   * A day's aggregates read indexes only, and the order lines of a day are one index range per product. Before this,
   * every order of the day cost a lookup of its lines by order id and every line a lookup of its row: random reads
   * that grew faster than the day once it outgrew the page cache (×16 from 10,000 to 100,000 orders on SQLite).
   * So each line carries its order's `placed_at`, and two covering indexes serve the report.
   */
  '0002-report-day-indexes': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('sales_order_items').addColumn('placed_at', 'bigint').execute();
      await sql`UPDATE sales_order_items SET placed_at = (SELECT o.placed_at FROM sales_orders o WHERE o.id = sales_order_items.order_id)`.execute(
        db,
      );
      // SQLite cannot add a NOT NULL column without a default; PostgreSQL can enforce it once the lines are filled.
      if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
        await sql`ALTER TABLE sales_order_items ALTER COLUMN placed_at SET NOT NULL`.execute(db);
      }
      await db.schema
        .createIndex('sales_order_items_day')
        .on('sales_order_items')
        .columns(['product_id', 'placed_at', 'quantity', 'unit_price_cents'])
        .execute();
      await db.schema
        .createIndex('sales_orders_day')
        .on('sales_orders')
        .columns(['placed_at', 'total_cents'])
        .execute();
      await db.schema.dropIndex('sales_orders_placed_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.createIndex('sales_orders_placed_at').on('sales_orders').column('placed_at').execute();
      await db.schema.dropIndex('sales_orders_day').execute();
      await db.schema.dropIndex('sales_order_items_day').execute();
      await db.schema.alterTable('sales_order_items').dropColumn('placed_at').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Brings the sales tables up to date; safe to call at every start. Returns the migrations it applied. */
export async function migrateSalesDatabase(db: Kysely<SalesDatabase>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    // Own bookkeeping tables, so other areas can migrate the same database independently.
    migrationTableName: 'sales_migrations',
    migrationLockTableName: 'sales_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** `count(*)`-style aggregates come back as strings from PostgreSQL (bigint/numeric) and numbers from SQLite. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return Number(value);
}
