/**
 * Daily report time for a day of 10 000 and of 100 000 orders on SQLite, split into the query (aggregation in the
 * database) and the PDF (pdfkit rendering). Baseline: the 10 000-order day measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/connection';
import { renderSalesReportPdf } from '../src/reports/pdf';
import { querySalesMetrics } from '../src/reports/queries';
import { migrateSalesDatabase, type SalesDatabase } from '../src/reports/schema';
import { generateDay, writeDays } from '../src/reports/seed';
import { median } from './stats';
import type { BenchSection } from './types';

const REPEATS = 5;

export async function run(): Promise<BenchSection> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-reports-'));
  const database = openDatabase<SalesDatabase>(`sqlite:${path.join(dir, 'sales.db')}`);
  try {
    await migrateSalesDatabase(database.db);
    const days = [
      { date: '2026-03-10', orders: 10_000 },
      { date: '2026-03-12', orders: 100_000 },
    ];
    // The days around each measured day exist too, so the comparison queries read real rows.
    for (const { date, orders } of days) {
      await writeDays(database.db, [generateDay(date, { orders })]);
    }
    const measured: { orders: number; queryMs: number; pdfMs: number; bytes: number }[] = [];
    for (const { date, orders } of days) {
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
    const [small, large] = measured as [(typeof measured)[0], (typeof measured)[0]];
    const figures = {
      query_ms_10k: Math.round(small.queryMs * 10) / 10,
      pdf_ms_10k: Math.round(small.pdfMs * 10) / 10,
      query_ms_100k: Math.round(large.queryMs * 10) / 10,
      pdf_ms_100k: Math.round(large.pdfMs * 10) / 10,
      query_ratio_100k_vs_10k: large.queryMs / small.queryMs,
      pdf_ratio_100k_vs_10k: large.pdfMs / small.pdfMs,
      pdf_vs_query_10k: small.pdfMs / small.queryMs,
      pdf_vs_query_100k: large.pdfMs / large.queryMs,
    };
    const row = (m: (typeof measured)[0]) =>
      `| ${m.orders.toLocaleString('en-US')} | ${m.queryMs.toFixed(1)} | ${m.pdfMs.toFixed(1)} | ${(m.queryMs + m.pdfMs).toFixed(1)} | ${(m.bytes / 1024).toFixed(0)} KiB |`;
    const markdown = [
      `Median of ${REPEATS} runs per day size on SQLite (better-sqlite3, one file, indexed on \`placed_at\`), same`,
      'process; the query step is every aggregate the report prints (totals, units, top 10, hourly buckets, the',
      'previous day and the week-earlier day), the PDF step is pdfkit rendering both pages.',
      '',
      '| Orders in the day | Query (ms) | PDF (ms) | Total (ms) | PDF size |',
      '| ---: | ---: | ---: | ---: | ---: |',
      row(small),
      row(large),
      '',
      `- 100k vs 10k orders: query ×${figures.query_ratio_100k_vs_10k.toFixed(1)}, PDF ×${figures.pdf_ratio_100k_vs_10k.toFixed(2)}`,
      '  (the PDF has the same content whatever the volume; the query grows with the rows scanned).',
      `- PDF vs query: ×${figures.pdf_vs_query_10k.toFixed(2)} at 10k orders, ×${figures.pdf_vs_query_100k.toFixed(2)} at 100k.`,
    ].join('\n');
    return { title: 'Daily sales report: query and PDF', markdown, figures };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
