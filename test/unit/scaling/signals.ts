/** The signals of one moment for policy tests: an empty queue and one running task unless told otherwise. */
import type { ScalingSignals } from '../../../src/scaling/policy';

export function signals(over: Partial<ScalingSignals>): ScalingSignals {
  return {
    now: 0,
    queueVisible: 0,
    queueInFlight: 0,
    taskQueueBacklog: 0,
    taskQueueBacklogAge: 0,
    taskQueueAddRate: 0,
    desired: 1,
    running: 1,
    ...over,
  };
}
