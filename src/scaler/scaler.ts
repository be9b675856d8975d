/**
 * The live scaler: every poll it reads the queues and the fleet, asks the policy, applies the decision through the
 * driver, and records it (log line, decision log, Prometheus gauges, optionally CloudWatch). A failed poll is logged
 * and counted; the next one tries again.
 */
import type { Logger } from '../logger';
import type { ScalingPolicyName } from '../scaling/names';
import { createScalingPolicy } from '../scaling/policies';
import type { PolicySettings, ScalingDecision, ScalingSignals } from '../scaling/policy';
import type { CapacityDriver } from './driver';
import type { ScalerMetrics } from './metrics';
import type { SignalReader } from './signals';
import type { LoggedDecision } from './types';

export interface ScalerOptions {
  policy: PolicySettings;
  /** @defaultValue 'ebbflow' */
  policyName?: ScalingPolicyName;
  driver: CapacityDriver;
  readSignals: SignalReader;
  logger: Logger;
  metrics?: ScalerMetrics;
  /** Called after each decision, e.g. to publish to CloudWatch; failures are logged. */
  publish?: (decision: ScalingDecision, signals: ScalingSignals) => Promise<void>;
  /** Decisions kept for /decisions. @defaultValue 500 */
  historySize?: number;
  clock?: () => number;
}

export interface Scaler {
  /** One poll: read, decide, apply. */
  tick(): Promise<LoggedDecision>;
  /** Polls every `interval` ms until the signal aborts. */
  run(interval: number, signal: AbortSignal): Promise<void>;
  /** Recent decisions, newest last. */
  readonly decisions: readonly LoggedDecision[];
}

export function createScaler(options: ScalerOptions): Scaler {
  const clock = options.clock ?? Date.now;
  const logger = options.logger.child({ component: 'scaler' });
  const history: LoggedDecision[] = [];
  const historySize = options.historySize ?? 500;
  const policyName = options.policyName ?? 'ebbflow';
  const policy = createScalingPolicy(policyName, options.policy, { startedAt: clock() });
  let lastReason = '';

  const tick = async (): Promise<LoggedDecision> => {
    const [capacity, queues] = await Promise.all([options.driver.describe(), options.readSignals()]);
    const signals: ScalingSignals = { now: clock(), ...queues, ...capacity };
    const out = policy.decide(signals);
    const decision = out.decision;
    if (decision.desired !== capacity.desired) await options.driver.setDesired(decision.desired);
    // Only a decision that was applied starts a cooldown: a failed call is retried at the next poll.
    out.commit();
    const logged: LoggedDecision = { ...decision, time: new Date(decision.at).toISOString(), signals };
    history.push(logged);
    if (history.length > historySize) history.shift();
    const fields = {
      desired: decision.desired,
      running: capacity.running,
      backlog: decision.backlog,
      reason: decision.reason,
    };
    if (decision.direction !== 'none') logger.info(`scale ${decision.direction}`, fields);
    else if (decision.reason !== lastReason) logger.debug('no scaling', fields);
    lastReason = decision.reason;
    options.metrics?.observe(logged);
    if (options.publish) {
      await options
        .publish(decision, signals)
        .catch((error: unknown) => logger.warn('publishing metrics failed', { error }));
    }
    return logged;
  };

  return {
    tick,
    get decisions() {
      return history;
    },
    async run(interval, signal) {
      logger.info('scaler started', {
        driver: options.driver.name,
        intervalMs: interval,
        policyName,
        policy: options.policy,
      });
      while (!signal.aborted) {
        const started = clock();
        try {
          await tick();
        } catch (error) {
          options.metrics?.errors.inc();
          logger.error('scaling poll failed', { error });
        }
        const wait = Math.max(0, interval - (clock() - started));
        await new Promise<void>((resolve) => {
          const onAbort = (): void => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, wait);
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      logger.info('scaler stopped');
    },
  };
}
