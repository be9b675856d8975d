/**
 * How long a worker removed by a scale-in may take to stop. An activity can run until its start-to-close timeout, so a
 * worker must be given at least that long after SIGTERM before it cancels what it runs (its shutdown grace), and the
 * platform a little longer before it kills the process (the local driver's drain grace, a pod's
 * terminationGracePeriodSeconds). Shorter graces turn a scale-in into a lost attempt, so the worker raises its own
 * and the local driver its drain grace, and the Kubernetes driver warns about a pod's.
 */
import type { EbbflowConfig } from '../config';

/** Time after the activity timeout for the last heartbeat, the result's report and the worker's own shutdown. */
export const SHUTDOWN_MARGIN = 5_000;
/** Time after the worker's shutdown grace for the process to exit before it is killed. */
export const EXIT_MARGIN = 15_000;

export interface Graces {
  /** The worker's shutdown grace: what it waits for running activities before cancelling them, ms. */
  workerShutdownGrace: number;
  /** From SIGTERM to SIGKILL, ms. */
  drainGrace: number;
}

/** The configured graces, raised where they would not cover the activity timeout. */
export function gracesFor(config: Pick<EbbflowConfig, 'image' | 'worker' | 'scaler'>): Graces {
  const workerShutdownGrace = Math.max(config.worker.shutdownGrace, config.image.activityTimeout + SHUTDOWN_MARGIN);
  return {
    workerShutdownGrace,
    drainGrace: Math.max(config.scaler.drainGrace, workerShutdownGrace + EXIT_MARGIN),
  };
}
