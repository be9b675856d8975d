/**
 * The resident memory of every process of a running `ebbflow dev`, read from /proc as the stack runs: short-lived
 * processes (the demo's photo drawing, workers the scaler stops) end between two reports, so the tree is sampled.
 */
import { commandLine, descendants, residentBytes, roleOf } from './processes';

/** One process seen under the root, in bytes: its peak so far, its last reading, and whether it has exited. */
export interface ProcessMemory {
  pid: number;
  role: string;
  peak: number;
  now: number;
  gone: boolean;
}

/** Reads the resident memory of a process and everything below it, every `intervalMs`, keeping each one's peak. */
export class TreeSampler {
  private readonly seen = new Map<number, ProcessMemory>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly root: number) {}

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  /** Processes alive at the last sample whose role is `role`. */
  alive(role: string): ProcessMemory[] {
    return [...this.seen.values()].filter((p) => p.role === role && !p.gone);
  }

  sample(): void {
    const pids = new Set([this.root, ...descendants(this.root)]);
    for (const pid of pids) {
      const memory = residentBytes(pid);
      if (!memory) continue;
      let entry = this.seen.get(pid);
      if (!entry) {
        entry = { pid, role: roleOf(commandLine(pid)), peak: 0, now: 0, gone: false };
        this.seen.set(pid, entry);
      }
      entry.peak = Math.max(entry.peak, memory.peak);
      entry.now = memory.now;
    }
    for (const entry of this.seen.values()) if (!pids.has(entry.pid)) entry.gone = true;
  }

  /** A copy of what has been seen so far. */
  snapshot(): ProcessMemory[] {
    return [...this.seen.values()].map((p) => ({ ...p }));
  }
}
