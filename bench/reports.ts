/**
 * Daily report time for a day of 10 000 and of 100 000 orders, on SQLite and on PostgreSQL side by side, split into
 * the query (aggregation in the database) and the PDF (pdfkit rendering). Baseline: the 10 000-order day on the same
 * database, measured in the same run; the report should grow no faster than its day.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../src/db/connection';
import { startScratchPostgres } from '../src/db/scratch-postgres';
import { renderSalesReportPdf } from '../src/reports/pdf';
import { querySalesMetrics } from '../src/reports/queries';
import { migrateSalesDatabase, type SalesDatabase } from '../src/reports/schema';
import { generateDay, writeDays } from '../src/reports/seed';
import { median } from './stats';
import type { BenchSection } from './types';

const REPEATS = 5;
const DAYS = [
  { date: '2026-03-10', orders: 10_000 },
  { date: '2026-03-12', orders: 100_000 },
] as const;

interface DayTiming {
  orders: number;
  queryMs: number;
  pdfMs: number;
  bytes: number;
}

interface BackendTiming {
  label: string;
  small: DayTiming;
  large: DayTiming;
}

async function measureDays(database: Database<SalesDatabase>): Promise<[DayTiming, DayTiming]> {
  await migrateSalesDatabase(database.db);
  // The days around each measured day exist too, so the comparison queries read real rows.
  for (const { date, orders } of DAYS) await writeDays(database.db, [generateDay(date, { orders })]);
  // A production PostgreSQL has autovacuum; a freshly loaded one needs the statistics and the visibility map now, or
  // it plans without them and cannot answer from the indexes alone.
  if (database.kind === 'postgres') await sql`VACUUM ANALYZE`.execute(database.db);
  const measured: DayTiming[] = [];
  for (const { date, orders } of DAYS) {
    const query: number[] = [];
    const pdf: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      const metrics = await querySalesMetrics(database.db, date, 'UTC');
      const t1 = performance.now();
      const rendered = await renderSalesReportPdf(metrics, { generatedAt: new Date() });
      const t2 = performance.now();
      if (metrics.orders !== orders) throw new Error(`expected ${orders} orders, read ${metrics.orders}`);
      query.push(t1 - t0);
      pdf.push(t2 - t1);
      bytes = rendered.pdf.length;
    }
    measured.push({ orders, queryMs: median(query), pdfMs: median(pdf), bytes });
  }
  return measured as [DayTiming, DayTiming];
}

async function onSqlite(): Promise<BackendTiming> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-reports-'));
  const database = openDatabase<SalesDatabase>(`sqlite:${path.join(dir, 'sales.db')}`);
  try {
    const [small, large] = await measureDays(database);
    return { label: 'SQLite', small, large };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(): Promise<BackendTiming> {
  const server = await startScratchPostgres();
  const database = openDatabase<SalesDatabase>(server.url);
  try {
    const [small, large] = await measureDays(database);
    return { label: 'PostgreSQL', small, large };
  } finally {
    await database.close();
    await server.stop();
  }
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

function render(backends: BackendTiming[]): string {
  const row = (b: BackendTiming, m: DayTiming): string =>
    `| ${b.label} | ${m.orders.toLocaleString('en-US')} | ${m.queryMs.toFixed(1)} | ${m.pdfMs.toFixed(1)} | ` +
    `${(m.queryMs + m.pdfMs).toFixed(1)} | ${(m.bytes / 1024).toFixed(0)} KiB |`;
  const ratios = backends.map(
    (b) =>
      `- ${b.label}, 100k vs 10k orders: query ×${(b.large.queryMs / b.small.queryMs).toFixed(1)}, ` +
      `whole report ×${((b.large.queryMs + b.large.pdfMs) / (b.small.queryMs + b.small.pdfMs)).toFixed(1)}, ` +
      `PDF ×${(b.large.pdfMs / b.small.pdfMs).toFixed(2)}.`,
  );
  return [
    `Median of ${REPEATS} runs per day size, same process; SQLite is one file (better-sqlite3), PostgreSQL a local`,
    'server of the same machine (Debian 15, loaded and then `VACUUM ANALYZE`d). The query step is every aggregate the',
    'report prints (totals, units, top 10, hourly buckets, the previous day and the week-earlier day); the PDF step is',
    'pdfkit rendering both pages. The day is read from covering indexes on the orders (time, id, total) and on the',
    'order lines (order, product, quantity, price), so the work grows with the day, not with the table.',
    '',
    '| Database | Orders in the day | Query (ms) | PDF (ms) | Total (ms) | PDF size |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...backends.flatMap((b) => [row(b, b.small), row(b, b.large)]),
    '',
    ...ratios,
    '  The PDF has the same content whatever the volume; the query grows with the rows it reads.',
  ].join('\n');
}

export async function run(): Promise<BenchSection> {
  const sqlite = await onSqlite();
  const postgres = await onPostgres();
  const figures: Record<string, number> = {};
  for (const [key, b] of [
    ['sqlite', sqlite],
    ['postgres', postgres],
  ] as const) {
    figures[`${key}_query_ms_10k`] = round1(b.small.queryMs);
    figures[`${key}_query_ms_100k`] = round1(b.large.queryMs);
    figures[`${key}_pdf_ms_100k`] = round1(b.large.pdfMs);
    figures[`${key}_query_ratio_100k_vs_10k`] = b.large.queryMs / b.small.queryMs;
  }
  return { title: 'Daily sales report: query and PDF', markdown: render([sqlite, postgres]), figures };
}
