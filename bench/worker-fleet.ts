/**
 * A fixed fleet of `ebbflow worker` processes from dist on one task queue, for benchmarks that compare a fleet with a
 * worker inside the benchmark process. Resolves once every worker polls for both workflow and activity tasks, so
 * process start and the workflow bundle stay outside the measured window.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startProcess, waitFor, type ManagedProcess } from '../src/dev/processes';
import { cliCommand } from '../src/paths';

export interface WorkerFleet {
  processes: ManagedProcess[];
  /** Process ids of the workers, to read their CPU time. */
  pids: number[];
  stop(): Promise<void>;
}

const POLLED = [
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
];

/** How many workers (distinct poller identities) poll `taskQueue` for both workflow and activity tasks. */
export async function workersPolling(client: Client, namespace: string, taskQueue: string): Promise<number> {
  const answers = await Promise.all(
    POLLED.map((taskQueueType) =>
      client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }),
    ),
  );
  return Math.min(...answers.map((a) => new Set((a.pollers ?? []).map((p) => p.identity)).size));
}

/** Starts `count` workers with `env` (which names the task queue); each logs to `<logDir>/worker-<n>.log`. */
export async function startWorkerFleet(options: {
  count: number;
  env: Record<string, string>;
  client: Client;
  namespace: string;
  taskQueue: string;
  logDir: string;
}): Promise<WorkerFleet> {
  const [program, ...argv] = cliCommand('worker');
  const processes = Array.from({ length: options.count }, (_, n) =>
    startProcess(`worker ${n + 1}`, program, argv, {
      env: { ...process.env, ...options.env },
      logFile: path.join(options.logDir, `worker-${n + 1}.log`),
    }),
  );
  const fleet: WorkerFleet = {
    processes,
    pids: processes.map((p) => p.child.pid ?? 0),
    stop: async () => {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
  try {
    await waitFor(
      `${options.count} workers polling ${options.taskQueue}`,
      async () => (await workersPolling(options.client, options.namespace, options.taskQueue)) >= options.count,
      { timeoutMs: 120_000, intervalMs: 250, abort: Promise.race(processes.map((p) => p.exited)) },
    );
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}
