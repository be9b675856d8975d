/**
 * The live scaler: every poll it reads the queues and the fleet, asks the policy, applies the decision through the
 * driver, and records it (log line, decision log, Prometheus gauges, optionally CloudWatch). A failed poll is logged
 * and counted; the next one tries again.
 */
import { sleep } from '../async';
import type { Logger } from '../logger';
import type { ScalingPolicyName } from '../scaling/names';
import { createScalingPolicy } from '../scaling/policies';
import type { PolicySettings, ScalingDecision, ScalingSignals } from '../scaling/policy';
import type { CostMeter, Spent, TaskPrice } from './cost-meter';
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
  /** Adds up what the running tasks cost, poll by poll. */
  meter?: CostMeter;
  /**
   * The price of a task when the driver says its size may have changed (a new task definition deployed); a failure
   * keeps the old price and is tried again at the next poll.
   */
  priceTasks?: () => Promise<TaskPrice>;
  /** Called after each decision, e.g. to publish to CloudWatch; failures are logged. */
  publish?: (decision: ScalingDecision, signals: ScalingSignals, spent?: Spent) => Promise<void>;
  /**
   * Poll interval, in ms, while no worker is wanted (at zero, or draining to it): a short one lets the first message
   * of a burst start a worker without waiting out a whole poll. Meant for drivers whose reads are free (the local one).
   * @defaultValue the poll interval given to `run`
   */
  idleInterval?: number;
  /**
   * How long, in ms, the scaler keeps to `idleInterval` once the fleet is at zero, counted from the moment it got there
   * or from the last wake: a stack at rest for longer polls at the regular interval and relies on wakes for a quick
   * first start. Watching an empty queue twice a second costs the local stack's processes more CPU than all else it
   * does at rest. @defaultValue no limit
   */
  restAfter?: number;
  /**
   * Least time, in ms, between two polls that wakes brought: the first comes at once, a wake within this of it waits
   * for the rest, so a client that POSTs /wake in a loop costs at most one poll per spacing, not a poll after another.
   * @defaultValue 500
   */
  wakeSpacing?: number;
  /** Decisions kept for /decisions. @defaultValue 500 */
  historySize?: number;
  clock?: () => number;
}

export interface Scaler {
  /** One poll: read, decide, apply. */
  tick(): Promise<LoggedDecision>;
  /** Polls every `interval` ms (`idleInterval` while the fleet is at zero) until the signal aborts. */
  run(interval: number, signal: AbortSignal): Promise<void>;
  /**
   * Work has arrived (the bridge says so as it starts workflows): if the fleet was at zero at the last poll, polls
   * now instead of at the next idle poll, and returns true. A fleet that runs is left to its poll interval.
   */
  wake(): boolean;
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
  /** The driver's size source the meter's price was read from; undefined until the first poll. */
  let pricedSource: string | undefined;
  /** Whether the last poll left the fleet at zero: no worker wanted. */
  let idle = false;
  /** When the fleet got to zero, or the last wake came: the start of the quick polls. */
  let idleSince = 0;
  /** Work arrived since the current poll began reading: a poll that finds the fleet at zero is followed at once. */
  let woken = false;
  /** When the last poll a wake brought began. */
  let lastWokenPoll = -Infinity;
  const wakeSpacing = options.wakeSpacing ?? 500;
  /** Ends the current wait early; set only while the loop waits with the fleet at zero. */
  let cutIdleWait: (() => void) | undefined;

  /** A size source whose price could not be read, warned about once; read again at every poll until it is. */
  let unpricedSource: string | undefined;

  /** A new size source (another task definition): the tasks are priced again from this poll on. */
  const repriceIfResized = async (meter: CostMeter, source: string | undefined): Promise<void> => {
    if (source === undefined || source === pricedSource) return;
    if (pricedSource === undefined || !options.priceTasks) {
      pricedSource = source;
      return;
    }
    try {
      const price = await options.priceTasks();
      pricedSource = source;
      meter.reprice(price);
      options.metrics?.priced(price);
      logger.info('worker task changed: the cost estimate prices it again', { ...price });
    } catch (error) {
      if (unpricedSource === source) return;
      unpricedSource = source;
      logger.warn('worker task changed, its price not read: the estimate keeps the old one until it is', { error });
    }
  };

  const tick = async (): Promise<LoggedDecision> => {
    const fleet = options.driver.describe();
    const [capacity, queues] = await Promise.all([fleet, options.readSignals(fleet)]);
    const { sizeSource, ...counts } = capacity;
    const signals: LoggedDecision['signals'] = { now: clock(), ...queues, ...counts };
    const out = policy.decide(signals);
    const decision = out.decision;
    const changed = decision.desired !== capacity.desired;
    if (changed) await options.driver.setDesired(decision.desired);
    // Only a decision that was applied starts a cooldown: a failed call is retried at the next poll.
    out.commit();
    let runningAfter: number | undefined;
    let increment: Spent | undefined;
    if (options.meter) {
      increment = options.meter.record(signals.now, capacity.running);
      await repriceIfResized(options.meter, sizeSource);
      if (changed) {
        // What the change left running is what runs until the next poll: a local worker at once, an ECS task once
        // it has started. A failed read leaves the count the poll saw.
        runningAfter = (await options.driver.describe().catch(() => undefined))?.running;
        if (runningAfter !== undefined) {
          // Tasks the change stopped within their first minute are charged the rest of it now.
          const stopped = options.meter.record(signals.now, runningAfter);
          increment = {
            taskSeconds: increment.taskSeconds + stopped.taskSeconds,
            dollars: increment.dollars + stopped.dollars,
          };
        }
      }
    }
    const total = options.meter?.reading(signals.now);
    const logged: LoggedDecision = {
      ...decision,
      time: new Date(decision.at).toISOString(),
      signals,
      ...(runningAfter !== undefined ? { runningAfter } : {}),
      ...(total ? { spent: { taskSeconds: total.taskSeconds, dollars: total.dollars } } : {}),
    };
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
    options.metrics?.observe(logged, increment);
    if (options.publish) {
      await options
        .publish(decision, signals, increment)
        .catch((error: unknown) => logger.warn('publishing metrics failed', { error }));
    }
    return logged;
  };

  return {
    tick,
    get decisions() {
      return history;
    },
    wake() {
      woken = true;
      idleSince = clock();
      cutIdleWait?.();
      return idle;
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
        let period = interval;
        woken = false;
        try {
          const logged = await tick();
          // A scale-in to zero counts too: its workers are draining, and new work must not wait a whole interval.
          const wasIdle = idle;
          idle = logged.desired === 0;
          if (idle && !wasIdle) idleSince = clock();
          const resting = options.restAfter !== undefined && clock() - idleSince >= options.restAfter;
          if (idle && !resting) period = Math.min(interval, options.idleInterval ?? interval);
        } catch (error) {
          idle = false;
          options.metrics?.errors.inc();
          logger.error('scaling poll failed', { error });
        }
        if (!(idle && woken)) {
          const wait = Math.max(0, period - (clock() - started));
          const nap = new AbortController();
          if (idle) cutIdleWait = () => nap.abort();
          await sleep(wait, AbortSignal.any([signal, nap.signal]));
          cutIdleWait = undefined;
          if (!nap.signal.aborted) continue;
        }
        // A wake brings the next poll forward, but not closer than the spacing to the last one a wake brought.
        const early = lastWokenPoll + wakeSpacing - clock();
        if (early > 0) await sleep(early, signal);
        lastWokenPoll = clock();
      }
      const spent = options.meter?.reading();
      logger.info(
        'scaler stopped',
        spent
          ? {
              taskHours: Number((spent.taskSeconds / 3600).toFixed(4)),
              estimatedDollars: Number(spent.dollars.toFixed(6)),
              price: spent.price,
            }
          : {},
      );
    },
  };
}
