/**
 * The article's Pillow code (bench/reference/pillow_resize.py) as a yardstick: run on the same photographs in the same
 * run as what it is compared with, in the project's Python venv.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../src/paths';

const PYTHON = path.join(PROJECT_ROOT, '.ebbflow', 'venv', 'bin', 'python');
const REFERENCE = path.join(PROJECT_ROOT, 'bench', 'reference', 'pillow_resize.py');

interface PillowRun {
  images: number;
  /** Wall seconds of each round, photos already in memory. */
  seconds: number[];
  /** Process CPU seconds of each round. */
  cpu_seconds: number[];
}

function requireVenv(): void {
  if (!existsSync(PYTHON)) throw new Error(`no Python venv at ${PYTHON}: run node scripts/bootstrap.js --bench`);
}

/** CPU seconds of one round over `files` in one process (Pillow runs on one core). */
export function pillowCpuSeconds(files: string[]): number {
  requireVenv();
  const out = execFileSync(PYTHON, [REFERENCE, '1', ...files], { encoding: 'utf8' });
  return (JSON.parse(out) as PillowRun).cpu_seconds[0]!;
}

/**
 * Images per second of the article's code spread over `processes` processes, as its workers would run on as many
 * cores: the photos dealt out in turn, each process timing its own round once its photos are in memory, the batch
 * done when the slowest is.
 */
export async function pillowImagesPerSecond(files: string[], processes: number): Promise<number> {
  requireVenv();
  const shares = Array.from({ length: processes }, (_, p) => files.filter((_, i) => i % processes === p));
  const runs = await Promise.all(
    shares
      .filter((share) => share.length > 0)
      .map(async (share) => {
        const { stdout } = await promisify(execFile)(PYTHON, [REFERENCE, '1', ...share], { encoding: 'utf8' });
        return (JSON.parse(stdout) as PillowRun).seconds[0]!;
      }),
  );
  return files.length / Math.max(...runs);
}
