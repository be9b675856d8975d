/**
 * The local driver: workers are `ebbflow worker` processes on this machine, so scaling can be watched on a laptop
 * (`ebbflow dev` uses it). Each worker serves its metrics on a port of its own, from which the driver reads how many
 * activities it runs. Scale-in sends SIGTERM to idle workers first (then the least busy, newest first among equals); a
 * worker stops polling, lets its running activities finish within its shutdown grace and exits. A worker still alive
 * after `drainGrace` is killed: both graces must cover the activity timeout (see grace.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../dev/processes';
import type { Logger } from '../logger';
import { cliCommand } from '../paths';
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
}

export interface LocalDriver extends CapacityDriver {
  /** Live worker processes, draining ones included. */
  readonly workers: { id: number; pid: number | undefined; draining: boolean; metricsUrl: string }[];
}

export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  const logger = options.logger.child({ driver: 'local' });
  const command = options.command ?? cliCommand('worker');
  const workers = new Map<number, LocalWorker>();
  let nextId = 1;
  let desired = 0;

  const start = async (): Promise<void> => {
    const id = nextId++;
    const [file, ...args] = command;
    // Several workers on one machine cannot share the worker's metrics port: each gets its own.
    const port = await freePort();
    const child = spawn(file!, args, {
      env: { ...(options.env ?? process.env), EBBFLOW_METRICS_PORT: String(port) },
      stdio: ['ignore', options.output ?? 'inherit', options.output ?? 'inherit'],
    });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const worker = workers.get(id);
        workers.delete(id);
        // A worker stopped by SIGTERM itself had not yet installed its handler: it was still starting, with no work.
        const clean = code === 0 || signal === 'SIGTERM';
        const outcome: WorkerExit = worker?.killed ? 'killed' : worker?.draining && clean ? 'drained' : 'crashed';
        logger[outcome === 'drained' ? 'info' : 'warn']('worker exited', {
          worker: id,
          pid: child.pid,
          code,
          signal,
          outcome,
        });
        options.onExit?.(outcome);
        resolve();
      });
      child.once('error', (error) => {
        workers.delete(id);
        logger.error('worker could not start', { worker: id, error });
        options.onExit?.('crashed');
        resolve();
      });
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    workers.set(id, { id, process: child, metricsUrl, draining: false, killed: false, exited });
    logger.info('worker started', { worker: id, pid: child.pid, metrics: metricsUrl });
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
    get workers() {
      return [...workers.values()].map((w) => ({
        id: w.id,
        pid: w.process.pid,
        draining: w.draining,
        metricsUrl: w.metricsUrl,
      }));
    },
    async describe(): Promise<Capacity> {
      // A worker that died on its own is replaced, as ECS or a Deployment would do.
      while (active().length < desired) await start();
      const running = active();
      return { desired, running: running.length, ...fleetLoad((await loads(running)).map((w) => w.load)) };
    },
    async setDesired(count: number): Promise<void> {
      desired = count;
      const current = active();
      for (let i = current.length; i < count; i++) await start();
      if (current.length <= count) return;
      // Idle workers first: a busy one would have to finish its activities within the grace.
      const victims = removalOrder(await loads(current)).slice(0, current.length - count);
      for (const victim of victims) {
        const worker = workers.get(victim.id);
        if (worker) void drain(worker);
      }
    },
    async close(): Promise<void> {
      desired = 0;
      await Promise.all([...workers.values()].map(drain));
    },
  };
}
