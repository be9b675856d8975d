/**
 * One way to run any scaling policy: {@link createScalingPolicy} gives an object that decides for the signals of one
 * moment and remembers its state only when told the decision was applied. The live scaler and the simulator both
 * drive policies through it.
 */
import { AWS_DATAPOINT_PERIOD, decideAwsTargetTracking, initialAwsState } from './aws-target-tracking';
import { HPA_SYNC_PERIOD, decideKeda, initialKedaState } from './keda';
import type { ScalingPolicyName } from './names';
import {
  backlogOf,
  decide,
  initialPolicyState,
  type PolicySettings,
  type ScalingDecision,
  type ScalingSignals,
} from './policy';

export interface ScalingPolicy {
  readonly name: ScalingPolicyName;
  /** How often the policy's own rules evaluate, ms; undefined when it decides at every poll. */
  readonly interval?: number;
  /** One decision; `commit()` keeps the state it leads to (call it once the decision has been applied). */
  decide(signals: ScalingSignals): { decision: ScalingDecision; commit(): void };
}

export interface ScalingPolicyOptions {
  /** When the policy starts watching: ebbflow's policy waits a scale-in cooldown from here before removing tasks. */
  startedAt?: number;
}

/**
 * Wraps a pure `(signals, state) → { decision, state }` function with its state. Whatever the policy, a scale-in is
 * held while the task queue's statistics are missing: a backlog that is not known must not empty the fleet.
 */
function stateful<S>(
  name: ScalingPolicyName,
  interval: number | undefined,
  initial: S,
  step: (signals: ScalingSignals, state: S) => { decision: ScalingDecision; state: S },
): ScalingPolicy {
  let state = initial;
  return {
    name,
    interval,
    decide(signals) {
      const out = step(signals, state);
      if (signals.taskQueueStatsMissing && out.decision.desired < signals.desired) {
        const reason = `${out.decision.reason}; scale-in held: the task queue's statistics are missing, keeping ${signals.desired}`;
        return {
          decision: { ...out.decision, desired: signals.desired, direction: 'none', reason },
          commit: () => undefined,
        };
      }
      return {
        decision: out.decision,
        commit: () => {
          state = out.state;
        },
      };
    },
  };
}

export function createScalingPolicy(
  name: ScalingPolicyName,
  settings: PolicySettings,
  options: ScalingPolicyOptions = {},
): ScalingPolicy {
  switch (name) {
    case 'ebbflow':
      return stateful(name, undefined, initialPolicyState(options.startedAt), (signals, state) =>
        decide(signals, settings, state),
      );
    case 'aws-target-tracking':
      return stateful(name, AWS_DATAPOINT_PERIOD, initialAwsState(), (signals, state) => {
        const backlog = backlogOf(signals);
        const out = decideAwsTargetTracking(
          { now: signals.now, backlog, desired: signals.desired, running: signals.running },
          settings,
          state,
        );
        return {
          decision: {
            ...out.decision,
            at: signals.now,
            previous: signals.desired,
            backlog,
            backlogPerTask: signals.running > 0 ? backlog / signals.running : backlog,
          },
          state: out.state,
        };
      });
    case 'keda':
    case 'keda-sqs': {
      const trigger = name === 'keda' ? 'temporal' : 'aws-sqs-queue';
      return stateful(name, HPA_SYNC_PERIOD, initialKedaState(options.startedAt), (signals, state) =>
        decideKeda(signals, settings, state, trigger),
      );
    }
  }
}
