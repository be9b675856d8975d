/**
 * A small SVG renderer for the simulator's chart: one panel per policy, queue depth as a shaded area on the left axis,
 * desired and running tasks as step lines on the right axis. No dependencies; the output opens in any browser and
 * renders on GitHub.
 */
import type { SimulationResult } from './engine';

const WIDTH = 960;
const PANEL = 230;
const MARGIN = { top: 34, right: 64, bottom: 36, left: 64 };
const COLORS = {
  queue: '#9ecae1',
  queueLine: '#3182bd',
  desired: '#e6550d',
  running: '#31a354',
  grid: '#e5e5e5',
  text: '#333',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A "nice" axis maximum and step for values up to `max`. */
function niceScale(max: number, ticks = 5): { max: number; step: number } {
  if (max <= 0) return { max: 1, step: 1 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return { max: Math.ceil(max / step) * step, step };
}

function timeAxis(spanMs: number): { unit: string; divisor: number } {
  if (spanMs > 6 * 3_600_000) return { unit: 'h', divisor: 3_600_000 };
  if (spanMs > 3 * 60_000) return { unit: 'min', divisor: 60_000 };
  return { unit: 's', divisor: 1000 };
}

/** Path of a step line through (x, y) points. */
function stepPath(points: [number, number][]): string {
  return points
    .map(([x, y], i) => (i === 0 ? `M${x.toFixed(1)},${y.toFixed(1)}` : `H${x.toFixed(1)}V${y.toFixed(1)}`))
    .join('');
}

export function renderChart(results: SimulationResult[], title: string): string {
  const span = Math.max(...results.map((r) => r.span), 1);
  const { unit, divisor } = timeAxis(span);
  const xScale = niceScale(span / divisor, 8);
  const queueMax = niceScale(Math.max(1, ...results.flatMap((r) => r.timeline.map((p) => p.waiting))));
  const taskMax = niceScale(
    Math.max(1, ...results.flatMap((r) => r.timeline.map((p) => Math.max(p.desired, p.running)))),
  );
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL - MARGIN.top - MARGIN.bottom;
  const height = results.length * PANEL + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600" fill="${COLORS.text}">${esc(title)}</text>`,
  ];
  results.forEach((result, index) => {
    const top = 30 + index * PANEL;
    const x = (t: number) => MARGIN.left + (t / divisor / xScale.max) * plotW;
    const yq = (v: number) => top + MARGIN.top + plotH - (v / queueMax.max) * plotH;
    const yt = (v: number) => top + MARGIN.top + plotH - (v / taskMax.max) * plotH;
    const bottom = top + MARGIN.top + plotH;
    out.push(`<g>`);
    out.push(
      `<text x="${MARGIN.left}" y="${top + 20}" font-size="13" font-weight="600" fill="${COLORS.text}">${esc(result.policy)}</text>`,
    );
    // Grid and axes.
    for (let v = 0; v <= queueMax.max + 1e-9; v += queueMax.step) {
      out.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yq(v).toFixed(1)}" y2="${yq(v).toFixed(1)}" stroke="${COLORS.grid}"/>`,
      );
      out.push(
        `<text x="${MARGIN.left - 6}" y="${(yq(v) + 4).toFixed(1)}" text-anchor="end" fill="${COLORS.queueLine}">${fmt(v)}</text>`,
      );
    }
    for (let v = 0; v <= taskMax.max + 1e-9; v += taskMax.step) {
      out.push(
        `<text x="${MARGIN.left + plotW + 6}" y="${(yt(v) + 4).toFixed(1)}" fill="${COLORS.desired}">${fmt(v)}</text>`,
      );
    }
    for (let v = 0; v <= xScale.max + 1e-9; v += xScale.step) {
      const px = MARGIN.left + (v / xScale.max) * plotW;
      out.push(
        `<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${bottom}" y2="${bottom + 4}" stroke="${COLORS.text}"/>`,
      );
      out.push(
        `<text x="${px.toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${fmt(v)}</text>`,
      );
    }
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.text}"/>`,
    );
    out.push(
      `<text x="${MARGIN.left + plotW / 2}" y="${bottom + 30}" text-anchor="middle" fill="${COLORS.text}">time (${unit})</text>`,
    );
    out.push(
      `<text transform="translate(16 ${top + MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="${COLORS.queueLine}">queue depth</text>`,
    );
    out.push(
      `<text transform="translate(${WIDTH - 14} ${top + MARGIN.top + plotH / 2}) rotate(90)" text-anchor="middle" fill="${COLORS.desired}">tasks</text>`,
    );
    // Series.
    const q = result.timeline.map((p) => [x(p.t), yq(p.waiting)] as [number, number]);
    if (q.length > 0) {
      const area = `${stepPath(q)}V${bottom}H${q[0]![0].toFixed(1)}Z`;
      out.push(
        `<path d="${area}" fill="${COLORS.queue}" fill-opacity="0.6" stroke="${COLORS.queueLine}" stroke-width="1"/>`,
      );
    }
    out.push(
      `<path d="${stepPath(result.timeline.map((p) => [x(p.t), yt(p.desired)]))}" fill="none" stroke="${COLORS.desired}" stroke-width="2" stroke-dasharray="6 3"/>`,
    );
    out.push(
      `<path d="${stepPath(result.timeline.map((p) => [x(p.t), yt(p.running)]))}" fill="none" stroke="${COLORS.running}" stroke-width="2"/>`,
    );
    // Legend.
    const lx = MARGIN.left + plotW - 330;
    const ly = top + 16;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="${COLORS.queue}" stroke="${COLORS.queueLine}"/><text x="${lx + 18}" y="${ly}">queue depth</text>`,
    );
    out.push(
      `<line x1="${lx + 110}" x2="${lx + 134}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS.desired}" stroke-width="2" stroke-dasharray="6 3"/><text x="${lx + 138}" y="${ly}">desired tasks</text>`,
    );
    out.push(
      `<line x1="${lx + 230}" x2="${lx + 254}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS.running}" stroke-width="2"/><text x="${lx + 258}" y="${ly}">running tasks</text>`,
    );
    out.push(`</g>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
