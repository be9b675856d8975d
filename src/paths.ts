/**
 * Locations inside the installed project, the same whether running from the sources (tests), from dist/ in a
 * checkout, or from the container image, which holds only package.json, bin/, dist/ and node_modules/.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from './node-flags';

const PACKAGE_NAME = 'ebbflow';

/**
 * True for the folder holding ebbflow's package.json next to the executable it declares. The executable tells the
 * root apart from dist/, where the TypeScript build also writes a copy of package.json (the CLI imports its version).
 */
function isProjectRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; bin?: Record<string, unknown> };
    const executable = pkg.bin?.[PACKAGE_NAME];
    return pkg.name === PACKAGE_NAME && typeof executable === 'string' && existsSync(path.join(dir, executable));
  } catch {
    return false;
  }
}

/** The nearest folder at or above `start` holding ebbflow's package.json and executable (not a dependency's). */
export function findProjectRoot(start: string): string {
  let dir = start;
  while (!isProjectRoot(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ebbflow project root (a package.json named "${PACKAGE_NAME}") above ${start}`);
    }
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
/** The `ebbflow` executable, for starting child processes (bridge, workers, scaler). */
export const CLI_PATH = path.join(PROJECT_ROOT, 'bin', 'ebbflow.js');
/** The command line (program first) that runs `ebbflow <args…>` in a child process. */
export function cliCommand(...args: string[]): [string, ...string[]] {
  return [process.execPath, ...NODE_FLAGS, CLI_PATH, ...args];
}
/** Where `npm run build` writes the pre-built workflow bundle. */
export const BUILT_WORKFLOW_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
