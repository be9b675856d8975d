/**
 * How busy one worker is, read from its Prometheus endpoint: the Temporal SDK's `worker_task_slots_used` gauge for
 * activities and local activities. The local and Kubernetes drivers use it to remove idle workers first; no change to
 * the worker is needed beyond serving its metrics.
 */

/** Worker types whose slots hold work that a scale-in could cut. Workflow tasks replay elsewhere at no cost. */
const ACTIVITY_WORKERS = new Set(['ActivityWorker', 'LocalActivityWorker']);

/** What the scaler knows of one worker's load; `activities` is undefined when its endpoint did not answer. */
export interface WorkerLoad {
  activities?: number;
}

/**
 * Activities running, summed from Prometheus text. A worker whose gauges are not there yet (still starting) runs none.
 */
export function runningActivitiesFromMetrics(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^(?:\w+_)?worker_task_slots_used\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const type = /(?:^|,)worker_type="([^"]*)"/.exec(match[1]!)?.[1];
    if (type && ACTIVITY_WORKERS.has(type)) total += Number(match[2]) || 0;
  }
  return total;
}

/** Reads one worker's running activities; undefined when its endpoint does not answer in time. */
export async function readWorkerLoad(metricsUrl: string, timeoutMs = 2000): Promise<WorkerLoad> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return {};
    return { activities: runningActivitiesFromMetrics(await response.text()) };
  } catch {
    return {};
  }
}

/** Busy workers and running activities over a fleet; a worker whose load is unknown counts as busy. */
export function fleetLoad(loads: WorkerLoad[]): { busyTasks: number; runningActivities: number } {
  let busyTasks = 0;
  let runningActivities = 0;
  for (const load of loads) {
    if (load.activities === undefined || load.activities > 0) busyTasks++;
    runningActivities += load.activities ?? 0;
  }
  return { busyTasks, runningActivities };
}

/**
 * Order in which to remove workers: idle ones first, then those whose load is unknown, then the busy ones with the
 * fewest running activities; among equals, the newest first (the oldest have the warmest caches).
 */
export function removalOrder<T extends { id: number; load: WorkerLoad }>(workers: T[]): T[] {
  const rank = (load: WorkerLoad): number =>
    load.activities === 0 ? 0 : load.activities === undefined ? 1 : 1 + load.activities;
  return [...workers].sort((a, b) => rank(a.load) - rank(b.load) || b.id - a.id);
}
