/**
 * The policies the simulator can run: ebbflow's own scaler (the same module the live scaler uses), AWS Application
 * Auto Scaling target tracking as it behaves on ECS, and a fixed fleet.
 */
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
 * AWS target tracking on "backlog per task" as the article configures it: CloudWatch metric math divides the queue's
 * visible messages by the running task count once a minute; the scale-out alarm needs 3 consecutive datapoints above
 * the target and the scale-in alarm 15 below 90 % of it. With no running task the division has no value, the
 * alarms get no data, and nothing scales: a fleet at 0 stays at 0.
 */
export function awsTargetTrackingPolicy(options: PolicyOptions): SimPolicy {
  const { settings } = options;
  const minute = 60_000;
  const points: (number | undefined)[] = [];
  let lastOut = -Infinity;
  let lastIn = -Infinity;
  const initial = settings.minTasks;
  return {
    name: 'aws-target-tracking',
    interval: minute,
    initialTasks: initial,
    floor: settings.minTasks,
    evaluate(o) {
      const metric = o.running > 0 ? o.waiting / o.running : undefined;
      points.push(metric);
      const last = (n: number) => (points.length >= n ? points.slice(-n) : undefined);
      const high = last(3)?.every((p) => p !== undefined && p > settings.targetBacklogPerTask);
      const low = last(15)?.every((p) => p !== undefined && p < 0.9 * settings.targetBacklogPerTask);
      const shown = metric === undefined ? 'no data (0 running tasks)' : metric.toFixed(1);
      const bound = (n: number) => Math.min(settings.maxTasks, Math.max(settings.minTasks, n));
      if (high && metric !== undefined && o.now - lastOut >= settings.scaleOutCooldown) {
        const desired = bound(Math.ceil((o.running * metric) / settings.targetBacklogPerTask));
        if (desired > o.desired) {
          lastOut = o.now;
          return { desired, reason: `3 datapoints above ${settings.targetBacklogPerTask} (now ${shown}) → ${desired}` };
        }
      }
      if (
        low &&
        metric !== undefined &&
        o.now - lastIn >= settings.scaleInCooldown &&
        o.now - lastOut >= settings.scaleOutCooldown
      ) {
        const desired = bound(Math.ceil((o.running * metric) / settings.targetBacklogPerTask));
        if (desired < o.desired) {
          lastIn = o.now;
          return { desired, reason: `15 datapoints below ${0.9 * settings.targetBacklogPerTask} → ${desired}` };
        }
      }
      return { desired: o.desired, reason: `metric ${shown}, no alarm` };
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
