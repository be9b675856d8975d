/**
 * The daily sales report as a PDF, set in DejaVu Sans Condensed (embedded, subset to the glyphs used), so product
 * names in any Latin, Greek or Cyrillic script print as they are; pdfkit's built-in Helvetica covers Latin-1 alone.
 * Page 1 has the title and period, the KPI block, the comparison with the previous day and the same weekday a week
 * earlier, and a vector bar chart of revenue by hour; page 2 has the top-10 products table. Every page carries a footer
 * with the generation time and "Page x of y". Output is deterministic for the same metrics and generation time.
 */
import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import {
  formatChange,
  formatCount,
  formatHour,
  formatMoney,
  type Change,
  type DailySalesMetrics,
  type DaySummary,
} from './metrics';

const PAGE = { width: 595.28, height: 841.89, margin: 50 };
const INK = '#1f2933';
const MUTED = '#616e7c';
const RULE = '#cbd2d9';
const ACCENT = '#2f6fde';
const UP = '#1d7a46';
const DOWN = '#b42318';

/** The report's two faces, as registered in each document. */
const REGULAR = 'regular';
const BOLD = 'bold';

/** The font files, read once per process: every report embeds the glyphs it uses from them. */
let fontFiles: { regular: Buffer; bold: Buffer } | undefined;
function reportFonts(): { regular: Buffer; bold: Buffer } {
  fontFiles ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed-Bold.ttf')),
  };
  return fontFiles;
}

export interface RenderOptions {
  /** Shown in the footer and stored as the PDF's creation date. */
  generatedAt: Date;
}

interface RenderedReport {
  pdf: Buffer;
  pages: number;
}

function longDate(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** Short money for axis labels: $950, $12.5k, $1.2M. */
function axisMoney(cents: number): string {
  const dollars = cents / 100;
  if (dollars >= 1_000_000) return `$${(dollars / 1_000_000).toFixed(1)}M`;
  if (dollars >= 1000) return `$${(dollars / 1000).toFixed(dollars >= 10_000 ? 0 : 1)}k`;
  return `$${Math.round(dollars)}`;
}

/** A round step so that about `ticks` gridlines cover `max`. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function changeColour(change: Change): string {
  if (change === null || change === 0) return MUTED;
  return change > 0 ? UP : DOWN;
}

type Doc = PDFKit.PDFDocument;

function kpiBlock(doc: Doc, m: DailySalesMetrics, top: number): number {
  const boxes: { label: string; value: string; notes: [string, Change][] }[] = [
    {
      label: 'Orders',
      value: formatCount(m.orders),
      notes: [
        [`${formatChange(m.change.ordersVsPreviousDay)} vs previous day`, m.change.ordersVsPreviousDay],
        [`${formatChange(m.change.ordersVsWeekEarlier)} vs week earlier`, m.change.ordersVsWeekEarlier],
      ],
    },
    {
      label: 'Revenue',
      value: formatMoney(m.revenueCents),
      notes: [
        [`${formatChange(m.change.revenueVsPreviousDay)} vs previous day`, m.change.revenueVsPreviousDay],
        [`${formatChange(m.change.revenueVsWeekEarlier)} vs week earlier`, m.change.revenueVsWeekEarlier],
      ],
    },
    { label: 'Average order value', value: formatMoney(m.averageOrderValueCents), notes: [] },
    { label: 'Units sold', value: formatCount(m.units), notes: [] },
  ];
  const gap = 10;
  const width = (PAGE.width - 2 * PAGE.margin - gap * (boxes.length - 1)) / boxes.length;
  const height = 86;
  boxes.forEach((box, i) => {
    const x = PAGE.margin + i * (width + gap);
    doc.roundedRect(x, top, width, height, 4).lineWidth(0.8).strokeColor(RULE).stroke();
    doc
      .font(REGULAR)
      .fontSize(9)
      .fillColor(MUTED)
      .text(box.label, x + 10, top + 10, { width: width - 20 });
    doc
      .font(BOLD)
      .fontSize(15)
      .fillColor(INK)
      .text(box.value, x + 10, top + 25, { width: width - 20 });
    box.notes.forEach(([note, change], n) => {
      doc
        .font(REGULAR)
        .fontSize(8)
        .fillColor(changeColour(change))
        .text(note, x + 10, top + 50 + n * 13, { width: width - 20 });
    });
  });
  return top + height;
}

function comparison(doc: Doc, top: number, label: string, day: DaySummary): void {
  doc
    .font(REGULAR)
    .fontSize(9)
    .fillColor(MUTED)
    .text(
      `${label} (${day.date}): ${formatCount(day.orders)} orders, ${formatMoney(day.revenueCents)}`,
      PAGE.margin,
      top,
    );
}

function revenueChart(doc: Doc, m: DailySalesMetrics, top: number): void {
  const left = PAGE.margin + 45;
  const right = PAGE.width - PAGE.margin;
  const height = 260;
  const bottom = top + 30 + height;
  doc.font(BOLD).fontSize(12).fillColor(INK).text(`Revenue by hour (${m.timezone})`, PAGE.margin, top);

  const max = Math.max(0, ...m.revenueByHour.map((h) => h.revenueCents));
  const step = max > 0 ? niceStep(max, 5) : 10_000;
  const ceiling = Math.max(step, Math.ceil(max / step) * step);
  const y = (cents: number): number => bottom - (cents / ceiling) * height;

  for (let v = 0; v <= ceiling + 1e-9; v += step) {
    doc
      .moveTo(left, y(v))
      .lineTo(right, y(v))
      .lineWidth(0.5)
      .strokeColor(v === 0 ? MUTED : RULE)
      .stroke();
    doc
      .font(REGULAR)
      .fontSize(7)
      .fillColor(MUTED)
      .text(axisMoney(v), PAGE.margin, y(v) - 3.5, { width: 40, align: 'right' });
  }

  const slot = (right - left) / Math.max(1, m.revenueByHour.length);
  m.revenueByHour.forEach((h, i) => {
    const x = left + i * slot;
    if (h.revenueCents > 0) {
      doc
        .rect(x + slot * 0.15, y(h.revenueCents), slot * 0.7, bottom - y(h.revenueCents))
        .fillColor(ACCENT)
        .fill();
    }
    if (i % 3 === 0) {
      doc
        .font(REGULAR)
        .fontSize(7)
        .fillColor(MUTED)
        .text(formatHour(h.hour), x - 6, bottom + 4, { width: slot + 12, align: 'center' });
    }
  });

  const captionTop = bottom + 20;
  doc.font(REGULAR).fontSize(9).fillColor(INK);
  if (m.orders === 0) {
    doc.text('No orders on this day.', PAGE.margin, captionTop);
    return;
  }
  const peak = m.revenueByHour.reduce((best, h) => (h.revenueCents > best.revenueCents ? h : best));
  doc.text(
    `Peak hour: ${formatHour(peak.hour)} with ${formatMoney(peak.revenueCents)} from ${formatCount(peak.orders)} orders.`,
    PAGE.margin,
    captionTop,
  );
}

function productsTable(doc: Doc, m: DailySalesMetrics, top: number): void {
  doc.font(BOLD).fontSize(12).fillColor(INK).text('Top 10 products by revenue', PAGE.margin, top);
  const columns = [
    { title: '#', width: 25, align: 'left' as const },
    { title: 'SKU', width: 65, align: 'left' as const },
    { title: 'Product', width: 190, align: 'left' as const },
    { title: 'Units', width: 60, align: 'right' as const },
    { title: 'Revenue', width: 90, align: 'right' as const },
    { title: 'Share', width: 65, align: 'right' as const },
  ];
  const rowHeight = 20;
  let y = top + 25;
  const row = (cells: string[], bold: boolean, shade: boolean): void => {
    if (shade) {
      doc
        .rect(PAGE.margin, y - 5, PAGE.width - 2 * PAGE.margin, rowHeight)
        .fillColor('#f0f4f8')
        .fill();
    }
    let x = PAGE.margin + 4;
    doc
      .font(bold ? BOLD : REGULAR)
      .fontSize(9)
      .fillColor(INK);
    cells.forEach((cell, i) => {
      const col = columns[i]!;
      // One line per cell: a longer name ends in an ellipsis instead of running into the next row.
      doc.text(cell, x, y, { width: col.width - 8, height: rowHeight - 8, align: col.align, ellipsis: true });
      x += col.width;
    });
    y += rowHeight;
  };
  row(
    columns.map((c) => c.title),
    true,
    false,
  );
  horizontalRule(doc, y - 6, 0.8, MUTED);
  if (m.topProducts.length === 0) {
    doc
      .font(REGULAR)
      .fontSize(9)
      .fillColor(MUTED)
      .text('No products sold on this day.', PAGE.margin + 4, y);
    return;
  }
  m.topProducts.forEach((p, i) => {
    const share = m.revenueCents > 0 ? `${((p.revenueCents / m.revenueCents) * 100).toFixed(1)}%` : '';
    row([String(p.rank), p.sku, p.name, formatCount(p.units), formatMoney(p.revenueCents), share], false, i % 2 === 0);
  });
}

/** A line across the page between the margins, at height `y`. */
function horizontalRule(doc: Doc, y: number, width: number, color: string): void {
  doc
    .moveTo(PAGE.margin, y)
    .lineTo(PAGE.width - PAGE.margin, y)
    .lineWidth(width)
    .strokeColor(color)
    .stroke();
}

function footers(doc: Doc, generatedAt: Date): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing inside the bottom margin would otherwise make pdfkit start a new page.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = PAGE.height - 35;
    horizontalRule(doc, y - 8, 0.5, RULE);
    doc.font(REGULAR).fontSize(8).fillColor(MUTED);
    doc.text(`Generated ${generatedAt.toISOString()} by ebbflow`, PAGE.margin, y, { lineBreak: false });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, PAGE.width - PAGE.margin - 100, y, {
      width: 100,
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottomMargin;
  }
}

/** Renders the report; resolves with the PDF bytes and the page count. */
export function renderSalesReportPdf(m: DailySalesMetrics, options: RenderOptions): Promise<RenderedReport> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    info: {
      Title: `Daily sales report ${m.date}`,
      Author: 'ebbflow',
      Subject: `Sales on ${m.date} (${m.timezone})`,
      CreationDate: options.generatedAt,
    },
  });
  const fonts = reportFonts();
  doc.registerFont(REGULAR, fonts.regular);
  doc.registerFont(BOLD, fonts.bold);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font(BOLD).fontSize(22).fillColor(INK).text('Daily sales report', PAGE.margin, PAGE.margin);
  doc
    .font(REGULAR)
    .fontSize(11)
    .fillColor(MUTED)
    .text(`${longDate(m.date)} (${m.date}), time zone ${m.timezone}`, PAGE.margin, PAGE.margin + 30);
  doc.fontSize(8).text(`Period ${m.periodStart} to ${m.periodEnd}`, PAGE.margin, PAGE.margin + 46);
  const kpiBottom = kpiBlock(doc, m, PAGE.margin + 70);
  comparison(doc, kpiBottom + 14, 'Previous day', m.previousDay);
  comparison(doc, kpiBottom + 28, 'Same weekday a week earlier', m.weekEarlier);
  revenueChart(doc, m, kpiBottom + 60);

  doc.addPage();
  productsTable(doc, m, PAGE.margin);

  footers(doc, options.generatedAt);
  const pages = doc.bufferedPageRange().count;
  doc.end();
  return done.then((pdf) => ({ pdf, pages }));
}

/** Pages every report has: the summary page and the products page. */
export const REPORT_PAGES = 2;
