/** Output a person reads: aligned tables, a progress bar that redraws in place on a terminal, durations. */

export type Cell = string | number | undefined | null;

/** Renders rows as a table whose columns line up; numbers are right-aligned. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = (c: Cell): string => (c === undefined || c === null ? '—' : String(c));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => text(r[i]).length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] == null));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map((r) => line(r.map(text)))].join('\n');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI, pipes) it prints a line at most every
 * 10 % so logs stay readable.
 */
export class ProgressBar {
  private done = 0;
  private lastPrintedDecile = -1;
  private readonly started = Date.now();
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  tick(n = 1, note = ''): void {
    this.update(this.done + n, note);
  }

  update(done: number, note = ''): void {
    this.done = Math.min(done, this.total);
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const text = `${this.label} ${this.bar(ratio)} ${this.done}/${this.total} ${(ratio * 100).toFixed(0)}%  ${rate.toFixed(1)}/s${note ? `  ${note}` : ''}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${text}`);
    } else {
      const decile = Math.floor(ratio * 10);
      if (decile > this.lastPrintedDecile) {
        this.lastPrintedDecile = decile;
        this.stream.write(`${text}\n`);
      }
    }
  }

  finish(note = ''): void {
    this.update(this.done, note);
    if (this.tty) this.stream.write('\n');
  }

  private bar(ratio: number): string {
    const width = 24;
    const full = Math.round(ratio * width);
    return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
  }
}
