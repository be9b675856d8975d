/**
 * CPU time and memory of processes, and pinning them to cores, for benchmarks that compare processes on the same
 * cores or follow a process tree.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  return pid ? ticks(pid).own / 100 : 0;
}

/** Clock ticks of /proc/<pid>/stat: its own (utime, stime) and its waited-for children's (cutime, cstime). */
function ticks(pid: number): { own: number; children: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return { own: 0, children: 0 };
  }
}

/**
 * CPU seconds a process and every process below it have used so far: the live ones' own time, and the time of those
 * that exited and were waited for (a server's finished connections). A difference of two readings is the tree's CPU
 * in between, also when children came and went.
 */
export function treeCpuSeconds(root: number): number {
  return [root, ...descendants(root)].map(ticks).reduce((sum, t) => sum + t.own + t.children, 0) / 100;
}

/** CPU seconds every core of the machine has spent busy (not idle, not waiting for I/O) so far, from /proc/stat. */
export function machineBusySeconds(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: all but idle and iowait are busy.
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return busy / 100;
}

/** Sends a signal to a child process that must still be running. */
export function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode !== null || !child.kill(name))
    throw new Error(`a benchmark process exited (code ${child.exitCode})`);
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Restricts a process, every thread it has and every thread it will start, to the given cores (`taskset -a`). */
export function pinProcess(pid: number, cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** Every process below `root` (not `root` itself), from the parent pids in /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone since the listing
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resident set size now and at its peak (VmRSS, VmHWM), in bytes; undefined once the process is gone. */
export function residentBytes(pid: number): { now: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { now: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** A process's command line, arguments split; empty once it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** What a process of an `ebbflow dev` stack is, from its command line. */
export function roleOf(argv: string[]): string {
  const cli = argv.findIndex((a) => a.endsWith(path.join('bin', 'ebbflow.js')));
  if (cli >= 0) return `ebbflow ${argv[cli + 1] ?? ''}`.trim();
  if (argv.includes('start-dev')) return 'Temporal dev server';
  if (argv.some((a) => a.endsWith(path.join('scripts', 'emulator.py')))) return 'AWS emulator (moto)';
  return path.basename(argv[0] ?? 'unknown');
}

/** CPU seconds used so far by `root` and every process below it, by pid, with each one's role. */
export function treeCpu(root: number): Map<number, { role: string; cpu: number }> {
  const tree = new Map<number, { role: string; cpu: number }>();
  for (const pid of [root, ...descendants(root)])
    tree.set(pid, { role: roleOf(commandLine(pid)), cpu: cpuSeconds(pid) });
  return tree;
}

/** CPU seconds each role used between two readings of `treeCpu`; a process new in `after` counts from zero. */
export function cpuByRole(
  before: Map<number, { role: string; cpu: number }>,
  after: Map<number, { role: string; cpu: number }>,
): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, { role, cpu }] of after) used.set(role, (used.get(role) ?? 0) + cpu - (before.get(pid)?.cpu ?? 0));
  return used;
}
