import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/logger';
import { createLocalDriver, restartDelay, type WorkerExit } from '../../../src/scaler/local';

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
/**
 * A stand-in for `ebbflow worker`, standby or not: it serves an idle slot gauge on EBBFLOW_METRICS_PORT. Started with
 * `--standby` it waits `bootMs`, tells its parent it is ready and leaves `<pid>.run` in `ready` when promoted.
 */
const standbyWorker = (ready: string, bootMs: number): string[] => [
  process.execPath,
  '-e',
  `const fs = require('fs'); const mark = (suffix) => fs.writeFileSync(require('path').join(${JSON.stringify(ready)}, process.pid + suffix), '');` +
    " process.on('SIGTERM', () => process.exit(0));" +
    " require('http').createServer((req, res) => res.end('temporal_worker_task_slots_used{worker_type=\"ActivityWorker\"} 0\\n'))" +
    "   .listen(Number(process.env.EBBFLOW_METRICS_PORT), '127.0.0.1');" +
    " if (process.argv.includes('--standby')) setTimeout(() => {" +
    "   process.on('message', (m) => { if (m.ebbflow === 'run') { mark('.run'); process.disconnect(); } });" +
    "   process.send({ ebbflow: 'standby-ready' });" +
    ` }, ${bootMs});` +
    ' setInterval(() => {}, 1000);',
  '--',
];

const readyDir = () => mkdtempSync(path.join(os.tmpdir(), 'ebbflow-local-driver-'));

/** A driver that keeps a standby of stand-in workers booting in `bootMs`, at most `maxWorkers` of them running. */
function standbyFleet(bootMs: number, maxWorkers: number) {
  const ready = readyDir();
  const driver = createLocalDriver({
    logger: silentLogger,
    drainGrace: 10_000,
    output: 'ignore',
    command: standbyWorker(ready, bootMs),
    standby: true,
    maxWorkers,
  });
  return { ready, driver };
}

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
  test('restarts after crashes in a row wait longer each time, up to the most', () => {
    const backoff = { initialMs: 1000, maxMs: 5000, windowMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => restartDelay(n, backoff))).toEqual([
      0, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });

  /** Exits of a fleet of one worker that dies `afterMs` after it starts, polled every 50 ms for `forMs`. */
  async function crashLoop(afterMs: number, windowMs: number, forMs: number): Promise<WorkerExit[]> {
    const exits: WorkerExit[] = [];
    const driver = createLocalDriver({
      logger: silentLogger,
      drainGrace: 1000,
      output: 'ignore',
      command: [process.execPath, '-e', `setTimeout(() => process.exit(3), ${afterMs})`],
      onExit: (o) => exits.push(o),
      crashBackoff: { initialMs: 400, maxMs: 1000, windowMs },
    });
    try {
      await driver.setDesired(1);
      const deadline = Date.now() + forMs;
      while (Date.now() < deadline) {
        // The scaler polls on: the fleet is still asked for one worker, started again once the wait is over.
        expect((await driver.describe()).desired).toBe(1);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await driver.setDesired(0);
      await driver.close();
    }
    return exits;
  }

  test('workers that keep crashing as they start are restarted less and less often', async () => {
    // Started again at once, then after 0.4, 0.8 and 1 s: four or five starts in 3 s.
    const held = (await crashLoop(50, 60_000, 3000)).filter((o) => o === 'crashed').length;
    expect(held).toBeGreaterThanOrEqual(3);
    expect(held).toBeLessThanOrEqual(5);
    // The same workers, each counted as having run long enough (a window of 0): every crash is a first one, replaced
    // at the next poll, as a worker that ran a while before it crashed is.
    const replaced = (await crashLoop(50, 0, 3000)).filter((o) => o === 'crashed').length;
    expect(replaced).toBeGreaterThanOrEqual(held + 3);
  });

  test('keeps a standby booted, promotes it on a scale-out and boots the next, up to the most workers', async () => {
    const { ready, driver } = standbyFleet(0, 2);
    try {
      expect(await driver.describe()).toMatchObject({ desired: 0, running: 0, standbyReady: false });
      await until(() => driver.standby?.ready === true);
      expect(await driver.describe()).toMatchObject({ running: 0, standbyReady: true });
      const first = driver.standby!.pid;

      // The standby becomes the first worker: told to run, not started.
      await driver.setDesired(1);
      expect(driver.workers.map((w) => w.pid)).toEqual([first]);
      await until(() => readdirSync(ready).includes(`${first}.run`));
      // Below the most workers, another standby boots behind it.
      await until(() => driver.standby?.ready === true);
      const second = driver.standby!.pid;
      expect(second).not.toBe(first);

      await driver.setDesired(2);
      expect(driver.workers.map((w) => w.pid)).toEqual([first, second]);
      await until(() => readdirSync(ready).includes(`${second}.run`));
      // At the ceiling no standby is kept.
      expect(driver.standby).toBeUndefined();
      expect(await driver.describe()).toMatchObject({ desired: 2, running: 2, standbyReady: false });
    } finally {
      await driver.close();
    }
    expect(driver.workers).toEqual([]);
    expect(driver.standby).toBeUndefined();
  });

  test('a worker that drains at the ceiling is replaced by a standby at once, not at the next poll', async () => {
    const { driver } = standbyFleet(0, 1);
    try {
      await driver.setDesired(1); // no standby yet: a worker is started
      expect(driver.workers).toHaveLength(1);
      expect(driver.standby).toBeUndefined();
      await driver.setDesired(0);
      // No describe() in between: the worker's exit boots the standby.
      await until(() => driver.workers.length === 0 && driver.standby?.ready === true);
    } finally {
      await driver.close();
    }
  });

  test('a standby promoted while it still boots runs as soon as it is ready', async () => {
    const { ready, driver } = standbyFleet(700, 1);
    try {
      await driver.describe(); // boots the standby
      const pid = driver.standby!.pid;
      expect(driver.standby!.ready).toBe(false);
      await driver.setDesired(1);
      expect(driver.workers.map((w) => w.pid)).toEqual([pid]);
      await until(() => readdirSync(ready).includes(`${pid}.run`));
    } finally {
      await driver.close();
    }
  });

  test('a standby that keeps dying is not replaced for ever, and the fleet still starts workers', async () => {
    const exits: WorkerExit[] = [];
    const driver = createLocalDriver({
      logger: silentLogger,
      drainGrace: 1000,
      output: 'ignore',
      // Dies at once as a standby; runs as a plain worker.
      command: [
        process.execPath,
        '-e',
        "if (process.argv.includes('--standby')) process.exit(3); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);",
        '--',
      ],
      standby: true,
      onExit: (o) => exits.push(o),
    });
    try {
      let booted = 0;
      for (let i = 0; i < 10; i++) {
        await driver.describe();
        if (!driver.standby) continue;
        booted++;
        await until(() => driver.standby === undefined);
      }
      expect(booted).toBe(3);
      await driver.describe();
      expect(driver.standby).toBeUndefined();
      await driver.setDesired(1);
      expect(driver.workers).toHaveLength(1);
    } finally {
      await driver.close();
    }
    // Standbys that died are not fleet workers: only the started worker's exit is reported.
    expect(exits).toEqual(['drained']);
  });
});
