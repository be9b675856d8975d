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
