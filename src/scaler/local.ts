/**
 * The local driver: workers are `ebbflow worker` processes on this machine, so scaling can be watched on a laptop
 * (`ebbflow dev` uses it). Each worker serves its metrics on a port of its own, from which the driver reads how many
 * activities it runs. Scale-in sends SIGTERM to idle workers first (then the least busy, newest first among equals); a
 * worker stops polling, lets its running activities finish within its shutdown grace and exits. A worker still alive
 * after `drainGrace` is killed: both graces must cover the activity timeout (see grace.ts). A worker that dies on its
 * own is replaced; workers that keep dying as they start are restarted less and less often (`crashBackoff`).
 *
 * With `standby`, the driver also keeps one worker booted and waiting (`ebbflow worker --standby`, see
 * src/worker/standby.ts) while the fleet is below `maxWorkers`: a scale-out promotes it over its IPC channel, which
 * takes milliseconds where a start takes seconds, and a new standby boots behind it. The standby polls nothing and
 * is not counted as running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../dev/processes';
import type { Logger } from '../logger';
import { cliCommand } from '../paths';
import type { StandbyMessage } from '../worker/standby';
import type { Capacity, CapacityDriver } from './driver';
import { fleetLoad, readWorkerLoad, removalOrder, type WorkerLoad } from './worker-load';

export interface LocalDriverOptions {
  logger: Logger;
  /** Environment of the workers; the scaler's own by default. */
  env?: NodeJS.ProcessEnv;
  /** Time from SIGTERM to SIGKILL, ms. */
  drainGrace: number;
  /** Where workers write their logs. @defaultValue 'inherit' */
  output?: 'inherit' | 'ignore';
  /** Command that starts one worker. @defaultValue node bin/ebbflow.js worker */
  command?: string[];
  /** Told how each worker ended: drained after SIGTERM, killed after the grace, or crashed on its own. */
  onExit?: (outcome: WorkerExit) => void;
  /** Keep one worker booted and waiting to be promoted while the fleet is below `maxWorkers`. @defaultValue false */
  standby?: boolean;
  /** Most workers the fleet will run: no standby is kept once this many run. @defaultValue no limit */
  maxWorkers?: number;
  /** How long starts wait after workers crash one after another (see {@link restartDelay}). */
  crashBackoff?: CrashBackoff;
}

/**
 * Restarts after crashes: the first crash is replaced at once, each further one in a row waits `initialMs`, doubling
 * up to `maxMs`, as Kubernetes' CrashLoopBackOff does. A worker that ran `windowMs` or longer before it crashed starts
 * a new count: it was not crashing as it started.
 */
export interface CrashBackoff {
  initialMs: number;
  maxMs: number;
  windowMs: number;
}

const CRASH_BACKOFF: CrashBackoff = { initialMs: 1_000, maxMs: 300_000, windowMs: 60_000 };

/** How long the next start waits after `crashes` crashes in a row. */
export function restartDelay(crashes: number, backoff: CrashBackoff = CRASH_BACKOFF): number {
  if (crashes <= 1) return 0;
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(crashes - 2, 30));
}

export type WorkerExit = 'drained' | 'killed' | 'crashed';

interface LocalWorker {
  id: number;
  process: ChildProcess;
  /** The worker's Prometheus endpoint. */
  metricsUrl: string;
  draining: boolean;
  killed: boolean;
  exited: Promise<void>;
  /** When it started, or was promoted: how long it ran before a crash. */
  startedAt: number;
}

interface Standby {
  id: number;
  process: ChildProcess;
  metricsUrl: string;
  /** It said it waits: a promotion is sent at once. */
  ready: boolean;
  /** Promoted before it was ready: the promotion is sent when it is. */
  promoted: boolean;
  exited: Promise<void>;
}

/** Standbys that die on their own this many times in a row are not replaced any more: something is wrong. */
const STANDBY_FAILURE_LIMIT = 3;
/** A standby asked to stop holds no work: this long after SIGTERM it is killed. */
const STANDBY_STOP_GRACE_MS = 5_000;

export interface LocalDriver extends CapacityDriver {
  /** Live worker processes, draining ones included (not the standby). */
  readonly workers: { id: number; pid: number | undefined; draining: boolean; metricsUrl: string }[];
  /** The standby worker, if one is kept: its pid and whether it is booted and waiting. */
  readonly standby: { pid: number | undefined; ready: boolean } | undefined;
}

export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  const logger = options.logger.child({ driver: 'local' });
  const command = options.command ?? cliCommand('worker');
  const ceiling = options.maxWorkers ?? Infinity;
  const workers = new Map<number, LocalWorker>();
  let nextId = 1;
  let desired = 0;

  let standby: Standby | undefined;
  /** A standby is being spawned (its port chosen): no second one meanwhile. */
  let standbyStarting = false;
  let standbyFailures = 0;
  let closing = false;
  const backoff = options.crashBackoff ?? CRASH_BACKOFF;
  /** Fleet workers that crashed in a row, and the time before which no worker starts because of them. */
  let crashes = 0;
  let holdUntil = 0;

  /** Spawns `ebbflow worker` (with `extraArgs`) on a metrics port of its own; `exited` resolves when it is gone. */
  const spawnWorker = async (
    extraArgs: string[],
    ipc: boolean,
  ): Promise<{ child: ChildProcess; metricsUrl: string; exited: Promise<void> }> => {
    const [file, ...args] = command;
    // Several workers on one machine cannot share the worker's metrics port: each gets its own.
    const port = await freePort();
    const out = options.output ?? 'inherit';
    const child = spawn(file!, [...args, ...extraArgs], {
      env: { ...(options.env ?? process.env), EBBFLOW_METRICS_PORT: String(port) },
      stdio: ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out],
    });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        logger.error('worker could not start', { pid: child.pid, standby: ipc, error });
        resolve();
      });
    });
    return { child, metricsUrl: `http://127.0.0.1:${port}/metrics`, exited };
  };

  /** Follows a worker of the fleet (started, or a promoted standby) until it exits. */
  const track = (id: number, child: ChildProcess, metricsUrl: string, exited: Promise<void>): void => {
    void exited.then(() => {
      const worker = workers.get(id);
      if (!worker) return;
      workers.delete(id);
      // A worker stopped by SIGTERM itself had not yet installed its handler: it was still starting, with no work.
      const { exitCode: code, signalCode: signal } = child;
      const clean = code === 0 || signal === 'SIGTERM';
      const outcome: WorkerExit = worker.killed ? 'killed' : worker.draining && clean ? 'drained' : 'crashed';
      logger[outcome === 'drained' ? 'info' : 'warn']('worker exited', {
        worker: id,
        pid: child.pid,
        code,
        signal,
        outcome,
      });
      options.onExit?.(outcome);
      if (outcome === 'crashed') noteCrash(Date.now() - worker.startedAt);
      else crashes = 0;
      // Below the ceiling again: the next scale-out should find a standby, not wait for the next poll to boot one.
      keepStandby().catch((error: unknown) => logger.warn('could not start a standby worker', { error }));
    });
    workers.set(id, { id, process: child, metricsUrl, draining: false, killed: false, exited, startedAt: Date.now() });
  };

  /** Counts a crash after `ranMs` of running and holds the next start back as {@link restartDelay} says. */
  const noteCrash = (ranMs: number): void => {
    crashes = ranMs >= backoff.windowMs ? 1 : crashes + 1;
    const delayMs = restartDelay(crashes, backoff);
    holdUntil = Date.now() + delayMs;
    if (delayMs > 0) {
      logger.warn('workers keep crashing as they start: the next start waits (see their log for why)', {
        crashes,
        delayMs,
      });
    }
  };

  /** Starts workers until `count` run, unless crashes hold starts back for now (a later poll starts them). */
  const startUpTo = async (count: number): Promise<void> => {
    while (active().length < count && Date.now() >= holdUntil && !closing) await start();
  };

  const startFresh = async (): Promise<void> => {
    const id = nextId++;
    const { child, metricsUrl, exited } = await spawnWorker([], false);
    track(id, child, metricsUrl, exited);
    logger.info('worker started', { worker: id, pid: child.pid, metrics: metricsUrl });
  };

  const promote = (s: Standby): void => {
    standby = undefined;
    s.promoted = true;
    if (s.ready) s.process.send({ ebbflow: 'run' } satisfies StandbyMessage);
    track(s.id, s.process, s.metricsUrl, s.exited);
    logger.info('standby worker promoted', { worker: s.id, pid: s.process.pid, ready: s.ready });
  };

  /** Boots a standby when one is wanted and none is kept. */
  const keepStandby = async (): Promise<void> => {
    const room = active().length < ceiling;
    const wanted = options.standby && !standby && !standbyStarting && !closing && room;
    if (!wanted || standbyFailures >= STANDBY_FAILURE_LIMIT) return;
    const id = nextId++;
    standbyStarting = true;
    const { child, metricsUrl, exited } = await spawnWorker(['--standby'], true).finally(
      () => (standbyStarting = false),
    );
    const s: Standby = { id, process: child, metricsUrl, ready: false, promoted: false, exited };
    child.on('message', (message: Partial<StandbyMessage> | null) => {
      if (message?.ebbflow !== 'standby-ready') return;
      s.ready = true;
      standbyFailures = 0;
      if (s.promoted) child.send({ ebbflow: 'run' } satisfies StandbyMessage);
    });
    // The channel closes once a promoted worker has its message; a send after that would throw.
    child.on('error', () => undefined);
    void exited.then(() => {
      if (standby !== s) return; // promoted: followed as a worker of the fleet
      standby = undefined;
      if (closing) return;
      standbyFailures++;
      logger.warn('standby worker exited before it was promoted', {
        worker: id,
        pid: child.pid,
        code: child.exitCode,
        signal: child.signalCode,
        failures: standbyFailures,
      });
    });
    standby = s;
    logger.info('standby worker starting', { worker: id, pid: child.pid, metrics: metricsUrl });
  };

  const start = async (): Promise<void> => {
    if (standby && standby.process.exitCode === null && standby.process.signalCode === null) promote(standby);
    else await startFresh();
  };

  const stopStandby = async (): Promise<void> => {
    const s = standby;
    if (!s) return;
    standby = undefined;
    s.process.kill('SIGTERM');
    const timer = setTimeout(() => s.process.kill('SIGKILL'), STANDBY_STOP_GRACE_MS);
    timer.unref();
    await s.exited;
    clearTimeout(timer);
  };

  const drain = (worker: LocalWorker): Promise<void> => {
    if (!worker.draining) {
      worker.draining = true;
      worker.process.kill('SIGTERM');
      logger.info('worker draining', { worker: worker.id, pid: worker.process.pid, graceMs: options.drainGrace });
      const timer = setTimeout(() => {
        if (workers.has(worker.id)) {
          logger.warn('worker did not stop within the grace; killing it', { worker: worker.id });
          worker.killed = true;
          worker.process.kill('SIGKILL');
        }
      }, options.drainGrace);
      timer.unref();
      void worker.exited.then(() => clearTimeout(timer));
    }
    return worker.exited;
  };

  const active = () => [...workers.values()].filter((w) => !w.draining);
  const loads = (list: LocalWorker[]): Promise<(LocalWorker & { load: WorkerLoad })[]> =>
    Promise.all(list.map(async (w) => ({ ...w, load: await readWorkerLoad(w.metricsUrl) })));

  return {
    name: 'local',
    get standby() {
      return standby && { pid: standby.process.pid, ready: standby.ready };
    },
    get workers() {
      return [...workers.values()].map((w) => ({
        id: w.id,
        pid: w.process.pid,
        draining: w.draining,
        metricsUrl: w.metricsUrl,
      }));
    },
    async describe(): Promise<Capacity> {
      // A worker that died on its own is replaced, as ECS or a Deployment would do, backing off if they keep dying.
      await startUpTo(desired);
      await keepStandby();
      const running = active();
      return {
        desired,
        running: running.length,
        ...fleetLoad((await loads(running)).map((w) => w.load)),
        ...(options.standby ? { standbyReady: standby?.ready ?? false } : {}),
      };
    },
    async setDesired(count: number): Promise<void> {
      desired = count;
      const current = active();
      await startUpTo(count);
      if (current.length <= count) {
        // At the ceiling, a standby would wait for a scale-out that cannot come.
        if (active().length >= ceiling) await stopStandby();
        else await keepStandby();
        return;
      }
      // Idle workers first: a busy one would have to finish its activities within the grace.
      const victims = removalOrder(await loads(current)).slice(0, current.length - count);
      for (const victim of victims) {
        const worker = workers.get(victim.id);
        if (worker) void drain(worker);
      }
    },
    async close(): Promise<void> {
      desired = 0;
      closing = true;
      await Promise.all([stopStandby(), ...[...workers.values()].map(drain)]);
    },
  };
}
