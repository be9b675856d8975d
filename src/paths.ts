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
/**
 * Node flags every `ebbflow` process runs with: the first line of bin/ebbflow.js and the image's entrypoint carry the
 * same, and child processes are started with them.
 *
 * `--no-memory-reducer`: V8's memory reducer takes a worker whose main thread waits on libvips threads for an idle
 * process and starts a full garbage collection every second image or so, to shrink a heap that is about to grow
 * again. Without it the worker does about five full collections per 60 photographs instead of thirty, a second of
 * CPU less (measured with --trace-gc in the pipeline benchmark); allocation still triggers every collection the heap
 * needs.
 */
export const NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
/** The command line (program first) that runs `ebbflow <args…>` in a child process. */
export function cliCommand(...args: string[]): [string, ...string[]] {
  return [process.execPath, ...NODE_FLAGS, CLI_PATH, ...args];
}
/** Where `npm run build` writes the pre-built workflow bundle. */
export const BUILT_WORKFLOW_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
