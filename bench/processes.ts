/** CPU time of processes, and pinning them to cores, for benchmarks that compare processes on the same cores. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
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
