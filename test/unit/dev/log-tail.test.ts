import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logTail } from '../../../src/dev/processes';

describe('the end of a log', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-log-tail-'));

  it('gives the last lines, skipping empty ones', () => {
    const file = path.join(dir, 'short.log');
    writeFileSync(file, 'one\ntwo\n\nthree\nfour\n');
    expect(logTail(file, 3)).toEqual(['two', 'three', 'four']);
    expect(logTail(file, 10)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('reads only the end of a long log, never half a line, and clips a very long line', () => {
    const file = path.join(dir, 'long.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`);
    writeFileSync(file, `${lines.join('\n')}\n${'y'.repeat(2000)}\n`);
    const tail = logTail(file, 3);
    expect(tail.slice(0, 2)).toEqual(lines.slice(-2));
    expect(tail[2]).toBe(`${'y'.repeat(500)}…`);
    // With more lines asked than the window holds, the first one shown is whole.
    expect(logTail(file, 100_000)[0]).toMatch(/^line \d+ x*$/);
  });

  it('gives nothing for a log that does not exist', () => {
    expect(logTail(path.join(dir, 'missing.log'), 5)).toEqual([]);
  });
});
