import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startMoto } from '../../../src/dev/processes';

/** Stands in for the emulator: node running `script`, which gets the emulator's -H and -p as its arguments. */
const node = (script: string) => ({ command: process.execPath, args: ['-e', script, '--'] });

describe('startMoto', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-moto-'));

  it('names the log and its last lines when the emulator exits before it is ready', async () => {
    const logFile = path.join(dir, 'exits.log');
    const start = startMoto({
      port: await freePort(),
      logFile,
      command: node('console.error("cannot import moto"); process.exit(3)'),
    });
    await expect(start).rejects.toThrow(
      `AWS emulator exited before it was ready: moto exited with code 3; its log: ${logFile}\n  cannot import moto`,
    );
  });

  it('stops an emulator that does not answer in time, and names its log', async () => {
    const logFile = path.join(dir, 'silent.log');
    const start = startMoto({
      port: await freePort(),
      logFile,
      command: node('console.error(`pid ${process.pid}`); setInterval(() => undefined, 1000)'),
      readyTimeoutMs: 1500,
    });
    await expect(start).rejects.toThrow(`AWS emulator was not ready after 2 s, and was stopped; its log: ${logFile}`);
    const pid = Number(/pid (\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});
