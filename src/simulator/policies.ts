/**
 * The policies the simulator can run: ebbflow's own scaler (the same module the live scaler uses), AWS Application
 * Auto Scaling target tracking as it behaves on ECS, and a fixed fleet.
 */
import { AWS_DATAPOINT_PERIOD, decideAwsTargetTracking, initialAwsState } from '../scaler/aws-target-tracking';
import { decide, initialPolicyState, type PolicySettings, type PolicyState } from '../scaler/policy';

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

export type PolicyName = 'ebbflow' | 'aws-target-tracking' | 'fixed';
export const POLICY_NAMES: PolicyName[] = ['ebbflow', 'aws-target-tracking', 'fixed'];

export interface PolicyOptions {
  settings: PolicySettings;
  /** ebbflow's poll interval, ms. @defaultValue 5000 */
  pollInterval: number;
  /** Tasks of the fixed fleet. @defaultValue settings.maxTasks */
  fixedTasks?: number;
}

export function ebbflowPolicy(options: PolicyOptions): SimPolicy {
  let state: PolicyState = initialPolicyState();
  const { settings } = options;
  return {
    name: 'ebbflow',
    interval: options.pollInterval,
    initialTasks: settings.minTasks,
    floor: settings.minTasks,
    evaluate(o) {
      const out = decide(
        {
          now: o.now,
          queueVisible: o.waiting,
          queueInFlight: 0,
          taskQueueBacklog: 0,
          taskQueueBacklogAge: o.oldestWait,
          taskQueueAddRate: 0,
          desired: o.desired,
          running: o.running,
        },
        settings,
        state,
      );
      state = out.state;
      return { desired: out.decision.desired, reason: out.decision.reason };
    },
  };
}

/**
 * AWS target tracking on "backlog per task" as the article configures it (see ../scaler/aws-target-tracking): one
 * datapoint a minute, 3 above the target to scale out, 15 below 90 % of it to scale in, nothing at 0 running tasks.
 */
export function awsTargetTrackingPolicy(options: PolicyOptions): SimPolicy {
  const { settings } = options;
  let state = initialAwsState();
  return {
    name: 'aws-target-tracking',
    interval: AWS_DATAPOINT_PERIOD,
    initialTasks: settings.minTasks,
    floor: settings.minTasks,
    evaluate(o) {
      const out = decideAwsTargetTracking(
        { now: o.now, backlog: o.waiting, desired: o.desired, running: o.running },
        settings,
        state,
      );
      state = out.state;
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
  switch (name) {
    case 'ebbflow':
      return ebbflowPolicy(options);
    case 'aws-target-tracking':
      return awsTargetTrackingPolicy(options);
    case 'fixed':
      return fixedPolicy(options);
  }
}
