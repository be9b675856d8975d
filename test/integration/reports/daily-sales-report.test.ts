/**
 * The daily sales report end to end: seeded SQLite sales, the real worker and Temporal dev server, the PDF in the
 * emulator's S3, and the SNS notification read back through SQS. The figures printed in the PDF are checked against
 * SQL written independently of the query layer.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import type { Client } from '@temporalio/client';
import { openDatabase } from '../../../src/db/connection';
import { migrateSalesDatabase, type SalesDatabase } from '../../../src/reports/schema';
import { seedSalesData } from '../../../src/reports/seed';
import type { DailySalesReportResult } from '../../../workflows';
import { createTestPipeline, eventually, type TestPipeline } from '../../support/stack';
import {
  getObject,
  listKeys,
  pdfPages,
  pdfText,
  receiveNotifications,
  startReportWorker,
  subscribeQueue,
} from './helpers';

const DAY_MS = 86_400_000;

interface Expected {
  orders: number;
  revenue: number;
  units: number;
  top: { sku: string; units: number; revenue: number }[];
  previousRevenue: number;
}

/** The day's figures straight from SQLite, UTC day bounds computed here, not by the code under test. */
function expectedFigures(file: string, date: string): Expected {
  const db = new SQLite(file, { readonly: true });
  try {
    const start = Date.parse(`${date}T00:00:00Z`);
    const day = (s: number) =>
      db
        .prepare(
          'SELECT count(*) AS n, coalesce(sum(total_cents), 0) AS r FROM sales_orders WHERE placed_at >= ? AND placed_at < ?',
        )
        .get(s, s + DAY_MS) as { n: number; r: number };
    const today = day(start);
    const units = db
      .prepare(
        `SELECT coalesce(sum(i.quantity), 0) AS u FROM sales_order_items i JOIN sales_orders o ON o.id = i.order_id
         WHERE o.placed_at >= ? AND o.placed_at < ?`,
      )
      .get(start, start + DAY_MS) as { u: number };
    const top = db
      .prepare(
        `SELECT p.sku AS sku, sum(i.quantity) AS units, sum(i.quantity * i.unit_price_cents) AS revenue
         FROM sales_order_items i JOIN sales_orders o ON o.id = i.order_id JOIN sales_products p ON p.id = i.product_id
         WHERE o.placed_at >= ? AND o.placed_at < ? GROUP BY p.sku ORDER BY revenue DESC, p.sku LIMIT 10`,
      )
      .all(start, start + DAY_MS) as { sku: string; units: number; revenue: number }[];
    return { orders: today.n, revenue: today.r, units: units.u, top, previousRevenue: day(start - DAY_MS).r };
  } finally {
    db.close();
  }
}

const cents = (money: string): number => Math.round(Number(money.replace(/[$,]/g, '')) * 100);
const count = (n: string): number => Number(n.replace(/,/g, ''));

/** The figures as printed in the PDF. */
function printedFigures(text: string) {
  const one = (re: RegExp): string => {
    const m = re.exec(text);
    if (!m?.[1]) throw new Error(`${re} not found in:\n${text}`);
    return m[1];
  };
  const rows = [...text.matchAll(/^(\d+) (SKU-\d{3}) .+ ([\d,]+) (\$[\d,]+\.\d\d) [\d.]+%$/gm)];
  return {
    orders: count(one(/^Orders\n([\d,]+)$/m)),
    revenue: cents(one(/^Revenue\n(\$[\d,]+\.\d\d)$/m)),
    aov: cents(one(/^Average order value\n(\$[\d,]+\.\d\d)$/m)),
    units: count(one(/^Units sold\n([\d,]+)$/m)),
    revenueVsPrevious: one(/^Revenue\n\$[\d,.]+\n(\S+) vs previous day$/m),
    top: rows.map((r) => ({ rank: Number(r[1]), sku: r[2]!, units: count(r[3]!), revenue: cents(r[4]!) })),
  };
}

describe('dailySalesReportWorkflow', () => {
  let pipeline: TestPipeline;
  let client: Client;
  let stop: () => Promise<void>;
  let dbFile: string;
  let notifications: string;

  beforeAll(async () => {
    dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-sales-')), 'sales.db');
    pipeline = await createTestPipeline('rep', { EBBFLOW_DATABASE_URL: `sqlite:${dbFile}` });
    const database = openDatabase<SalesDatabase>(pipeline.config.database.url);
    await migrateSalesDatabase(database.db);
    await seedSalesData(database.db, { days: 21, endDate: '2026-03-10', baseOrdersPerDay: 250 });
    await database.close();
    notifications = await subscribeQueue(pipeline.aws, pipeline.resources.notificationTopicArn);
    ({ client, stop } = await startReportWorker(pipeline.config));
  });

  afterAll(async () => {
    await stop?.();
  });

  /** Starts the workflow the way the SQS bridge does for `{"workflow","id","input"}`. */
  const runReport = (id: string, input: Record<string, unknown>) =>
    client.workflow.execute<(i: Record<string, unknown>) => Promise<DailySalesReportResult>>(
      'dailySalesReportWorkflow',
      {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId: id,
        args: [input],
      },
    );

  // A Sunday, a Tuesday, and a day before the seeded range (no orders; its previous day has none either).
  it.each(['2026-03-08', '2026-03-03', '2026-01-15'])('prints figures equal to SQL for %s', async (date) => {
    const result = await runReport(`daily-sales-${date}`, { date });
    expect(result.key).toBe(`reports/daily-sales/${date}.pdf`);
    const pdf = await getObject(pipeline.aws, result.bucket, result.key);
    const printed = printedFigures(pdfText(pdf));
    const expected = expectedFigures(dbFile, date);

    expect(printed.orders).toBe(expected.orders);
    expect(printed.revenue).toBe(expected.revenue);
    expect(printed.units).toBe(expected.units);
    expect(printed.aov).toBe(expected.orders ? Math.round(expected.revenue / expected.orders) : 0);
    expect(printed.top).toEqual(expected.top.map((t, i) => ({ rank: i + 1, ...t })));
    const change = expected.previousRevenue
      ? `${expected.revenue >= expected.previousRevenue ? '+' : ''}${(((expected.revenue - expected.previousRevenue) / expected.previousRevenue) * 100).toFixed(1)}%`
      : 'n/a';
    expect(printed.revenueVsPrevious).toBe(change);
    if (date === '2026-01-15') expect(expected.orders).toBe(0);
    else expect(expected.top).toHaveLength(10);

    const pages = await pdfPages(pdf);
    expect(pages).toHaveLength(result.pages);
    expect(pages).toHaveLength(2);
    for (const page of pages) expect(page.inked).toBeGreaterThan(0.002);
  });

  it('replaces the same object when a date is reported again, and announces each report', async () => {
    const before = await listKeys(pipeline.aws, pipeline.config.pipeline.outputBucket, 'reports/daily-sales/');
    const again = await runReport('daily-sales-2026-03-08-rerun', { date: '2026-03-08' });
    const after = await listKeys(pipeline.aws, pipeline.config.pipeline.outputBucket, 'reports/daily-sales/');
    expect(after).toEqual(before);
    expect(after).toEqual([
      'reports/daily-sales/2026-01-15.pdf',
      'reports/daily-sales/2026-03-03.pdf',
      'reports/daily-sales/2026-03-08.pdf',
    ]);

    const seen: Record<string, unknown>[] = [];
    await eventually('four success notifications', async () => {
      seen.push(...(await receiveNotifications(pipeline.aws, notifications)));
      return seen.length >= 4;
    });
    expect(seen.every((n) => n.outcome === 'succeeded')).toBe(true);
    expect(seen.map((n) => n.location)).toContain(again.location);
    expect(again.location).toBe(`s3://${pipeline.config.pipeline.outputBucket}/reports/daily-sales/2026-03-08.pdf`);
  });
});
