import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/logger';
import { createLocalDriver, type WorkerExit } from '../../../src/scaler/local';

/**
 * A stand-in worker: on SIGTERM it leaves a file named `<pid>.term` in `ready`, finishes its "activity"
 * (`finishMs`) and exits 0; `stubborn` ignores SIGTERM. It serves the SDK's slot gauge on EBBFLOW_METRICS_PORT, with
 * the count of running activities read from `<pid>.load` (0 without one). Once its handler is installed and its
 * endpoint listens it leaves a file named by its pid in `ready`.
 */
const worker = (ready: string, finishMs: number, stubborn = false): string[] => [
  process.execPath,
  '-e',
  `const fs = require('fs'); const file = (suffix) => require('path').join(${JSON.stringify(ready)}, process.pid + suffix);` +
    " const mark = (suffix) => fs.writeFileSync(file(suffix), '');" +
    (stubborn
      ? " process.on('SIGTERM', () => {});"
      : ` process.on('SIGTERM', () => { mark('.term'); setTimeout(() => process.exit(0), ${finishMs}); });`) +
    " require('http').createServer((req, res) => {" +
    "   const load = fs.existsSync(file('.load')) ? fs.readFileSync(file('.load'), 'utf8') : '0';" +
    '   res.end(`temporal_worker_task_slots_used{namespace="default",worker_type="WorkflowWorker"} 7\n` +' +
    '     `temporal_worker_task_slots_used{namespace="default",worker_type="ActivityWorker"} ${load}\n`);' +
    " }).listen(Number(process.env.EBBFLOW_METRICS_PORT), '127.0.0.1', () => mark(''));" +
    ' setInterval(() => {}, 1000);',
];

const isPid = (f: string) => /^\d+$/.test(f);

const readyDir = () => mkdtempSync(path.join(os.tmpdir(), 'ebbflow-local-driver-'));

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `count` stand-in workers, each serving its metrics, all idle. */
async function idleFleet(count: number) {
  const ready = readyDir();
  const driver = createLocalDriver({
    logger: silentLogger,
    drainGrace: 10_000,
    output: 'ignore',
    command: worker(ready, 0),
  });
  await driver.setDesired(count);
  await until(() => readdirSync(ready).filter(isPid).length === count);
  return { ready, driver };
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
    const ids = driver.workers.map((w) => w.id);
    await until(() => readdirSync(ready).length === 3); // their SIGTERM handlers are installed
    expect(await driver.describe()).toEqual({ desired: 3, running: 3, busyTasks: 0, runningActivities: 0 });
    await driver.setDesired(1);
    // Draining workers no longer count as running, but stay alive until their work is done.
    expect(await driver.describe()).toEqual({ desired: 1, running: 1, busyTasks: 0, runningActivities: 0 });
    expect(driver.workers.filter((w) => w.draining).map((w) => w.id)).toEqual([ids[1], ids[2]]);
    await until(() => readdirSync(ready).filter((f) => f.endsWith('.term')).length === 2);
    expect(driver.workers).toHaveLength(3); // signalled, and still finishing their work
    await until(() => exits.length === 2);
    expect(exits).toEqual(['drained', 'drained']);
    expect(driver.workers.map((w) => w.id)).toEqual([ids[0]]);
    await driver.close();
    expect(exits).toEqual(['drained', 'drained', 'drained']);
  });

  test('a scale-in drains idle workers first and keeps the busiest, whatever their age', async () => {
    const { ready, driver } = await idleFleet(3);
    const [oldest, middle, newest] = driver.workers;
    writeFileSync(path.join(ready, `${oldest!.pid}.load`), '1');
    writeFileSync(path.join(ready, `${newest!.pid}.load`), '2');
    expect(await driver.describe()).toEqual({ desired: 3, running: 3, busyTasks: 2, runningActivities: 3 });
    await driver.setDesired(1);
    // The idle middle one goes, then the less busy; the newest, running two activities, stays.
    expect(driver.workers.filter((w) => !w.draining).map((w) => w.id)).toEqual([newest!.id]);
    expect(
      driver.workers
        .filter((w) => w.draining)
        .map((w) => w.id)
        .sort(),
    ).toEqual([oldest!.id, middle!.id].sort());
    await driver.close();
  });

  test('a worker whose load cannot be read counts as busy and goes after the idle ones', async () => {
    const { driver } = await idleFleet(2);
    const [older, newer] = driver.workers;
    process.kill(newer!.pid!, 'SIGSTOP'); // its endpoint stops answering
    try {
      expect(await driver.describe()).toEqual({ desired: 2, running: 2, busyTasks: 1, runningActivities: 0 });
      await driver.setDesired(1);
      // Newest first would have picked the silent one; the idle older one goes instead.
      expect(driver.workers.filter((w) => w.draining).map((w) => w.id)).toEqual([older!.id]);
    } finally {
      process.kill(newer!.pid!, 'SIGCONT');
    }
    await driver.close();
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
    expect(await driver.describe()).toMatchObject({ desired: 1, running: 1 });
    await driver.setDesired(0);
    await driver.close();
  });
});
