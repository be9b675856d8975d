/**
 * Every way ebbflow starts runs node with the same flags: the executable's first line, child processes, and the
 * benchmark (so that its in-process baseline runs under the same runtime as the worker it is compared with).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../../src/node-flags';
import { CLI_PATH, cliCommand, PROJECT_ROOT } from '../../src/paths';

describe('node flags', () => {
  it('are on the first line of the ebbflow executable', () => {
    const first = readFileSync(CLI_PATH, 'utf8').split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('come before the script in a child process command line', () => {
    expect(cliCommand('worker', '--help')).toEqual([process.execPath, ...NODE_FLAGS, CLI_PATH, 'worker', '--help']);
  });

  it('run the benchmarks', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.bench).toContain(`node ${NODE_FLAGS.join(' ')} dist/bench/run.js`);
  });
});
