/**
 * AWS Application Auto Scaling target tracking on "backlog per task", as the article configures it on ECS, pure and
 * deterministic: CloudWatch metric math divides the waiting messages by the running task count once a minute; the
 * scale-out alarm needs 3 consecutive datapoints above the target and the scale-in alarm 15 below 90 % of it. With no
 * running task the division has no value, the alarms get no data, and nothing scales: a fleet at 0 stays at 0.
 *
 * The simulator evaluates it once a minute; the live scaler (`EBBFLOW_SCALER_POLICY=aws-target-tracking`) calls it at
 * every poll and it takes a new datapoint only when a minute has passed since the last one, so both run the same
 * rules. Its best case is modelled: no CloudWatch publication delay.
 */
import type { PolicySettings, ScalingDirection } from './policy';

/** CloudWatch period of the metric, ms. */
export const AWS_DATAPOINT_PERIOD = 60_000;
/** Consecutive datapoints above the target before the scale-out alarm fires. */
export const AWS_SCALE_OUT_DATAPOINTS = 3;
/** Consecutive datapoints below 90 % of the target before the scale-in alarm fires. */
export const AWS_SCALE_IN_DATAPOINTS = 15;

/** What AWS target tracking sees at an evaluation. */
export interface AwsObservation {
  now: number;
  /** Messages waiting for a task. */
  backlog: number;
  desired: number;
  running: number;
}

/** Datapoints and cooldowns carried between evaluations. Start with {@link initialAwsState}. */
export interface AwsTargetTrackingState {
  /** The latest datapoints, oldest first; undefined is "no data" (0 running tasks). */
  points: (number | undefined)[];
  lastPointAt?: number;
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
}

export const initialAwsState = (): AwsTargetTrackingState => ({ points: [] });

export interface AwsDecision {
  desired: number;
  direction: ScalingDirection;
  reason: string;
}

const since = (now: number, at: number | undefined): number => (at === undefined ? Infinity : now - at);

/** Evaluates the alarms for one moment; a moment less than a period after the last datapoint changes nothing. */
export function decideAwsTargetTracking(
  o: AwsObservation,
  settings: PolicySettings,
  state: AwsTargetTrackingState,
): { decision: AwsDecision; state: AwsTargetTrackingState } {
  const hold = (reason: string, next: AwsTargetTrackingState) => ({
    decision: { desired: o.desired, direction: 'none' as const, reason },
    state: next,
  });
  // The scalable target's bounds apply at once, outside the alarms: registering min 1 starts a task at 0.
  if (o.desired < settings.minTasks || o.desired > settings.maxTasks) {
    const desired = Math.min(settings.maxTasks, Math.max(settings.minTasks, o.desired));
    return {
      decision: {
        desired,
        direction: desired > o.desired ? 'out' : 'in',
        reason: `desired ${o.desired} outside the scalable target's ${settings.minTasks}–${settings.maxTasks} → ${desired}`,
      },
      state,
    };
  }
  const sinceLastPoint = since(o.now, state.lastPointAt);
  if (sinceLastPoint < AWS_DATAPOINT_PERIOD) {
    return hold(`next datapoint in ${Math.ceil((AWS_DATAPOINT_PERIOD - sinceLastPoint) / 1000)}s`, state);
  }
  const target = settings.targetBacklogPerTask;
  const metric = o.running > 0 ? o.backlog / o.running : undefined;
  const points = [...state.points, metric].slice(-AWS_SCALE_IN_DATAPOINTS);
  const next: AwsTargetTrackingState = { ...state, points, lastPointAt: o.now };
  const last = (n: number) => (points.length >= n ? points.slice(-n) : undefined);
  const high = last(AWS_SCALE_OUT_DATAPOINTS)?.every((p) => p !== undefined && p > target);
  const low = last(AWS_SCALE_IN_DATAPOINTS)?.every((p) => p !== undefined && p < 0.9 * target);
  const shown = metric === undefined ? 'no data (0 running tasks)' : metric.toFixed(1);
  const bound = (n: number) => Math.min(settings.maxTasks, Math.max(settings.minTasks, n));
  const sinceOut = since(o.now, state.lastScaleOutAt);
  if (high && metric !== undefined && sinceOut >= settings.scaleOutCooldown) {
    const desired = bound(Math.ceil((o.running * metric) / target));
    if (desired > o.desired) {
      return {
        decision: {
          desired,
          direction: 'out',
          reason: `${AWS_SCALE_OUT_DATAPOINTS} datapoints above ${target} (now ${shown}) → ${desired}`,
        },
        state: { ...next, lastScaleOutAt: o.now },
      };
    }
  }
  if (
    low &&
    metric !== undefined &&
    since(o.now, state.lastScaleInAt) >= settings.scaleInCooldown &&
    sinceOut >= settings.scaleOutCooldown
  ) {
    const desired = bound(Math.ceil((o.running * metric) / target));
    if (desired < o.desired) {
      return {
        decision: {
          desired,
          direction: 'in',
          reason: `${AWS_SCALE_IN_DATAPOINTS} datapoints below ${0.9 * target} → ${desired}`,
        },
        state: { ...next, lastScaleInAt: o.now },
      };
    }
  }
  return hold(`metric ${shown}, no alarm`, next);
}
