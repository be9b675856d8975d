/**
 * The policies the simulator can run: every live scaling policy (the same objects the live scaler drives, see
 * ../scaling/policies) and a fixed fleet.
 */
import { SCALING_POLICY_NAMES, type ScalingPolicyName } from '../scaling/names';
import { createScalingPolicy } from '../scaling/policies';
import type { PolicySettings } from '../scaling/policy';

/** What a policy sees at an evaluation. */
export interface SimObservation {
  now: number;
  /** Items waiting for a task. */
  waiting: number;
  /** Age of the oldest waiting item, ms. */
  oldestWait: number;
  desired: number;
  /** Tasks started and able to work. */
  running: number;
  /** Items being worked on. */
  inService: number;
  /** Running tasks working on at least one item. */
  busy: number;
}

export interface SimPolicy {
  name: PolicyName;
  /** How often the policy evaluates, ms. */
  interval: number;
  /** Tasks running when the simulation starts. */
  initialTasks: number;
  /** Fewest tasks the policy settles at: the run ends once work is done and the fleet is back here. */
  floor: number;
  evaluate(observation: SimObservation): { desired: number; reason: string };
}

export type PolicyName = ScalingPolicyName | 'fixed';
export const POLICY_NAMES: PolicyName[] = [...SCALING_POLICY_NAMES, 'fixed'];

export interface PolicyOptions {
  settings: PolicySettings;
  /** ebbflow's poll interval, ms. @defaultValue 5000 */
  pollInterval: number;
  /** Tasks of the fixed fleet. @defaultValue settings.maxTasks */
  fixedTasks?: number;
}

/**
 * A live policy in the simulator, every decision applied. Waiting items are the Temporal task queue's backlog and items
 * in service are running activities, as ebbflow's workers see them; for `keda-sqs` the workers consume the SQS queue
 * themselves, so waiting items are visible messages and items in service are in flight.
 */
export function scalingPolicy(name: ScalingPolicyName, options: PolicyOptions): SimPolicy {
  const { settings } = options;
  const policy = createScalingPolicy(name, settings);
  return {
    name,
    interval: policy.interval ?? options.pollInterval,
    initialTasks: settings.minTasks,
    floor: settings.minTasks,
    evaluate(o) {
      const sqs = name === 'keda-sqs';
      const out = policy.decide({
        now: o.now,
        queueVisible: sqs ? o.waiting : 0,
        queueInFlight: sqs ? o.inService : 0,
        taskQueueBacklog: sqs ? 0 : o.waiting,
        taskQueueBacklogAge: o.oldestWait,
        taskQueueAddRate: 0,
        desired: o.desired,
        running: o.running,
        busyTasks: o.busy,
        runningActivities: o.inService,
      });
      out.commit();
      return { desired: out.decision.desired, reason: out.decision.reason };
    },
  };
}

export function fixedPolicy(options: PolicyOptions): SimPolicy {
  const tasks = options.fixedTasks ?? options.settings.maxTasks;
  return {
    name: 'fixed',
    interval: 3_600_000,
    initialTasks: tasks,
    floor: tasks,
    evaluate: () => ({ desired: tasks, reason: `fixed fleet of ${tasks}` }),
  };
}

export function createPolicy(name: PolicyName, options: PolicyOptions): SimPolicy {
  return name === 'fixed' ? fixedPolicy(options) : scalingPolicy(name, options);
}
