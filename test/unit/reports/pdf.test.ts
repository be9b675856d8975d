import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeDailySalesMetrics } from '../../../src/reports/metrics';
import { REPORT_PAGES, renderSalesReportPdf } from '../../../src/reports/pdf';

const metrics = (orders: number, names: (i: number) => string = (i) => `Product ${i}`) =>
  computeDailySalesMetrics({
    date: '2026-03-08',
    timezone: 'UTC',
    start: Date.parse('2026-03-08T00:00:00Z'),
    end: Date.parse('2026-03-09T00:00:00Z'),
    orders,
    revenueCents: orders * 2500,
    units: orders * 2,
    topProducts: orders
      ? Array.from({ length: 10 }, (_, i) => ({
          sku: `SKU-${i}`,
          name: names(i),
          units: 10 - i,
          revenueCents: (10 - i) * 1000,
        }))
      : [],
    hourly: orders ? [{ bucket: 19, orders, revenueCents: orders * 2500 }] : [],
    bucketHours: Array.from({ length: 24 }, (_, i) => i),
    previousDay: { date: '2026-03-07', orders: 10, revenueCents: 20_000 },
    weekEarlier: { date: '2026-03-01', orders: 0, revenueCents: 0 },
  });

function text(pdf: Buffer): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-pdf-')), 'r.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-raw', file, '-']).toString();
}

describe('the sales report PDF', () => {
  const generatedAt = new Date('2026-03-09T06:00:02Z');

  it('prints the figures, the peak hour and a numbered footer on every page', async () => {
    const { pdf, pages } = await renderSalesReportPdf(metrics(12), { generatedAt });
    expect(pages).toBe(REPORT_PAGES);
    const out = text(pdf);
    expect(out).toMatch(/Orders\s+12\s/);
    expect(out).toMatch(/Revenue\s+\$300\.00\s/);
    expect(out).toMatch(/Peak hour: 19:00 with \$300\.00 from 12 orders/);
    expect(out).toContain('+20.0% vs previous day');
    expect(out).toContain('n/a vs week earlier');
    expect(out).toContain('Page 1 of 2');
    expect(out).toContain('Page 2 of 2');
    expect(out.match(/Generated 2026-03-09T06:00:02\.000Z/g)).toHaveLength(2);
  });

  it('prints product names outside Latin-1 as they are', async () => {
    const names = ['Łódź pierogi', 'Ελληνικός καφές', 'Пельмени', 'Čevapčići', 'Crème brûlée', 'Zürich Ölkanne'];
    const { pdf } = await renderSalesReportPdf(
      metrics(12, (i) => names[i] ?? `Product ${i}`),
      { generatedAt },
    );
    const out = text(pdf);
    for (const name of names) expect(out).toContain(name);
  });

  it('keeps a long product name to its row, ending it with an ellipsis', async () => {
    const long = `Hand-thrown stoneware serving bowl ${'with a description that goes on '.repeat(4)}`;
    const { pdf } = await renderSalesReportPdf(
      metrics(12, (i) => (i === 0 ? long : `Product ${i}`)),
      { generatedAt },
    );
    const lines = text(pdf).split('\n');
    const first = lines.findIndex((l) => l.startsWith('1 SKU-0 '));
    expect(lines[first]).toMatch(/^1 SKU-0 Hand-thrown stoneware serving bowl .*… 10 \$100\.00 33\.3%$/);
    expect(lines[first + 1]).toMatch(/^2 SKU-1 Product 1 9 /);
  });

  it('is byte-identical for the same metrics and generation time', async () => {
    const a = await renderSalesReportPdf(metrics(3), { generatedAt });
    const b = await renderSalesReportPdf(metrics(3), { generatedAt });
    expect(a.pdf.equals(b.pdf)).toBe(true);
  });

  it('says so on a day without orders', async () => {
    const { pdf, pages } = await renderSalesReportPdf(metrics(0), { generatedAt });
    expect(pages).toBe(2);
    const out = text(pdf);
    expect(out).toContain('No orders on this day.');
    expect(out).toContain('No products sold on this day.');
  });
});
