import path from 'node:path';
import { roleOf } from '../../../bench/processes';
import { PROJECT_ROOT } from '../../../src/paths';

describe('roleOf', () => {
  const venvPython = path.join(PROJECT_ROOT, '.ebbflow', 'venv', 'bin', 'python');

  it('names each process of a local stack from its command line, as the benchmarks charge their CPU', () => {
    const cli = path.join(PROJECT_ROOT, 'bin', 'ebbflow.js');
    expect(roleOf(['node', '--no-memory-reducer', cli, 'worker', '--max-activities', '4'])).toBe('ebbflow worker');
    expect(roleOf(['node', cli, 'dev', '--headless'])).toBe('ebbflow dev');
    expect(roleOf(['/usr/bin/temporal', 'server', 'start-dev', '--port', '7233'])).toBe('Temporal dev server');
    const emulator = [venvPython, path.join(PROJECT_ROOT, 'scripts', 'emulator.py'), '-H', '127.0.0.1', '-p', '5000'];
    expect(roleOf(emulator)).toBe('AWS emulator (moto)');
  });

  it('falls back to the program name for anything else', () => {
    expect(roleOf([venvPython, 'bench/reference/pillow_resize.py'])).toBe('python');
    expect(roleOf([])).toBe('unknown');
  });
});
