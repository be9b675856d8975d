/** Locations inside the installed project, the same whether running from the sources (tests) or from dist/. */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'scripts', 'bootstrap.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ebbflow project root above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(__dirname);
/** The `ebbflow` executable, for starting child processes (bridge, workers, scaler). */
export const CLI_PATH = path.join(PROJECT_ROOT, 'bin', 'ebbflow.js');
/** Where `npm run build` writes the pre-built workflow bundle. */
export const BUILT_WORKFLOW_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
