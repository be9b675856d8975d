import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/logger';
import { createLocalDriver, type WorkerExit } from '../../../src/scaler/local';

/**
 * A stand-in worker: on SIGTERM it leaves a file named `<pid>.term` in `ready`, finishes its "activity"
 * (`finishMs`) and exits 0; `stubborn` ignores SIGTERM. Once its handler is installed it leaves a file named by its
 * pid in `ready`.
 */
const worker = (ready: string, finishMs: number, stubborn = false): string[] => [
  process.execPath,
  '-e',
  `const mark = (suffix) => require('fs').writeFileSync(require('path').join(${JSON.stringify(ready)}, process.pid + suffix), '');` +
    (stubborn
      ? " process.on('SIGTERM', () => {});"
      : ` process.on('SIGTERM', () => { mark('.term'); setTimeout(() => process.exit(0), ${finishMs}); });`) +
    " mark('');" +
    ' setInterval(() => {}, 1000);',
];

const readyDir = () => mkdtempSync(path.join(os.tmpdir(), 'ebbflow-local-driver-'));

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local driver', () => {
  test('starts workers up to the desired count and drains the newest with SIGTERM', async () => {
    const ready = readyDir();
    const exits: WorkerExit[] = [];
    const driver = createLocalDriver({
      logger: silentLogger,
      drainGrace: 10_000,
      output: 'ignore',
      command: worker(ready, 300),
      onExit: (o) => exits.push(o),
    });
    await driver.setDesired(3);
    expect(await driver.describe()).toEqual({ desired: 3, running: 3 });
    const ids = driver.workers.map((w) => w.id);
    await until(() => readdirSync(ready).length === 3); // their SIGTERM handlers are installed
    await driver.setDesired(1);
    // Draining workers no longer count as running, but stay alive until their work is done.
    expect(await driver.describe()).toEqual({ desired: 1, running: 1 });
    expect(driver.workers.filter((w) => w.draining).map((w) => w.id)).toEqual([ids[1], ids[2]]);
    await until(() => readdirSync(ready).filter((f) => f.endsWith('.term')).length === 2);
    expect(driver.workers).toHaveLength(3); // signalled, and still finishing their work
    await until(() => exits.length === 2);
    expect(exits).toEqual(['drained', 'drained']);
    expect(driver.workers.map((w) => w.id)).toEqual([ids[0]]);
    await driver.close();
    expect(exits).toEqual(['drained', 'drained', 'drained']);
  });

  test('a worker that ignores SIGTERM is killed after the grace', async () => {
    const ready = readyDir();
    const exits: WorkerExit[] = [];
    const driver = createLocalDriver({
      logger: silentLogger,
      drainGrace: 500,
      output: 'ignore',
      command: worker(ready, 0, true),
      onExit: (o) => exits.push(o),
    });
    await driver.setDesired(1);
    await until(() => readdirSync(ready).length === 1); // its SIGTERM handler is installed
    await driver.close();
    expect(exits).toEqual(['killed']);
  });

  test('a worker that dies on its own is replaced', async () => {
    const exits: WorkerExit[] = [];
    const driver = createLocalDriver({
      logger: silentLogger,
      drainGrace: 1000,
      output: 'ignore',
      command: [process.execPath, '-e', 'setTimeout(() => process.exit(3), 100)'],
      onExit: (o) => exits.push(o),
    });
    await driver.setDesired(1);
    await until(() => exits.length === 1);
    expect(exits).toEqual(['crashed']);
    expect(await driver.describe()).toEqual({ desired: 1, running: 1 });
    await driver.setDesired(0);
    await driver.close();
  });
});
