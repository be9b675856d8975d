/** What a person reads after a simulation: a summary table that lines up, and durations written as people say them. */
import { table } from '../terminal/format';
import { money } from './cost';
import type { SimulationResult } from './engine';

/** 4s, 2m05s, 1h02m; a dash when there is nothing to show. */
export function compactDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const SUMMARY_HEADER = [
  'policy',
  'first scale-out',
  'full capacity',
  'drain',
  'back to floor',
  'wait p50',
  'wait p95',
  'wait max',
  'peak tasks',
  'task-hours',
  'cost',
  'vs always-on',
];

export function summaryRow(r: SimulationResult): string[] {
  const drain = r.drainTime === undefined ? `${r.completed}/${r.jobs} done` : compactDuration(r.drainTime);
  return [
    r.policy,
    compactDuration(r.timeToFirstScaleOut),
    compactDuration(r.timeToFullCapacity),
    drain,
    compactDuration(r.returnToFloor),
    compactDuration(r.waitP50),
    compactDuration(r.waitP95),
    compactDuration(r.waitMax),
    String(r.peakTasks),
    r.taskHours.toFixed(2),
    money(r.cost),
    r.baselineCost > 0 ? `${Math.round((r.cost / r.baselineCost) * 100)}%` : '—',
  ];
}

export function summaryTable(results: SimulationResult[]): string {
  return table(SUMMARY_HEADER, results.map(summaryRow));
}

/** The same summary as a Markdown table, for docs and benchmarks. */
export function summaryMarkdown(results: SimulationResult[]): string {
  const rows = results.map(summaryRow);
  return [
    `| ${SUMMARY_HEADER.join(' | ')} |`,
    `| ${SUMMARY_HEADER.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
