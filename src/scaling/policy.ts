/**
 * ebbflow's scaling policy: target tracking on backlog per task, pure and deterministic.
 *
 * The live scaler and the simulator both call {@link decide} with the signals of one moment and the state returned by
 * the previous call; nothing here reads a clock, the environment or the network, so a decision can be replayed and a
 * test can walk through time by hand.
 *
 * Why it differs from AWS target tracking: the desired count is computed from the backlog itself
 * (`ceil(backlog / target)`), not from `running × metric / target`, so it is defined when no task runs (min 0 works:
 * the first message scales 0 → 1) and it does not wait for three one-minute datapoints. Being absolute, it cannot pile
 * up on capacity that is still starting, so a scale-out that follows the count goes through at once even right after
 * another (AWS lets a larger scale-out through its cooldown for the same reason); steps that are relative to the
 * current size (the backlog-age objective's one more task, a step cut by `maxStep`) wait the scale-out cooldown.
 * Flapping is prevented the way Kubernetes' HPA does it: a scale-in goes only down to the highest recommendation seen
 * during the scale-in cooldown, and no change of direction happens inside a cooldown. Nor does a scale-in go below one
 * task per waiting item: removing a task that would still find work saves no task-hours, it only lengthens the tail.
 * Nor below the tasks that are running activities, where the driver can tell: the backlog counts only work that waits,
 * so short items that drain between polls would otherwise read as an idle fleet while every task is busy.
 */

/** How the policy behaves. Durations in milliseconds. */
export interface PolicySettings {
  /** Backlog one task should carry. @defaultValue 5 */
  targetBacklogPerTask: number;
  /** Fewest tasks; 0 lets the fleet scale to zero. @defaultValue 0 */
  minTasks: number;
  /** Most tasks. @defaultValue 10 */
  maxTasks: number;
  /**
   * Least time after a scale-in before a scale-out, and between two scale-outs when the second is a relative step (the
   * backlog-age objective, or a step after one cut by `maxStep`). @defaultValue 60 000
   */
  scaleOutCooldown: number;
  /** Least time after any change before a scale-in; also the window of recommendations a scale-in respects. @defaultValue 300 000 */
  scaleInCooldown: number;
  /** Largest change of desired tasks in one decision; undefined means no cap. */
  maxStep?: number;
  /** When the oldest waiting work is older than this, scale out by at least one task. */
  maxBacklogAge?: number;
}

export const DEFAULT_POLICY: PolicySettings = {
  targetBacklogPerTask: 5,
  minTasks: 0,
  maxTasks: 10,
  scaleOutCooldown: 60_000,
  scaleInCooldown: 300_000,
};

/** What the scaler observes at one moment. */
export interface ScalingSignals {
  /** Epoch milliseconds (or simulated milliseconds): the policy only compares and subtracts them. */
  now: number;
  /** Ingress queue: messages waiting to be received. */
  queueVisible: number;
  /** Ingress queue: messages received but not yet deleted (being turned into workflows). */
  queueInFlight: number;
  /** Temporal task queue: tasks waiting for a worker (workflow + activity). */
  taskQueueBacklog: number;
  /** Temporal task queue: age of the oldest waiting task, in milliseconds. */
  taskQueueBacklogAge: number;
  /** Temporal task queue: tasks added per second (informational; reported with the decision). */
  taskQueueAddRate: number;
  /** Tasks the capacity provider is asked to run. */
  desired: number;
  /** Tasks actually running. */
  running: number;
  /** Tasks running at least one activity; undefined when the driver cannot tell (ECS: task protection covers it). */
  busyTasks?: number;
  /** Activities running on the tasks, local ones included; undefined when the driver cannot tell. */
  runningActivities?: number;
  /**
   * The Temporal task queue's statistics were missing from the server's answer: its backlog then reads 0 without being
   * known, and no policy may scale in on it.
   */
  taskQueueStatsMissing?: boolean;
  /**
   * Workflows started on the task queue within the last minute and still open; undefined when not read. While no task
   * runs, each of them waits for a worker, before the task queue's statistics (refreshed every few seconds by the
   * server) count it.
   */
  recentStarts?: number;
}

/** What the policy remembers between decisions. Start with {@link initialPolicyState}. */
export interface PolicyState {
  lastScaleOutAt?: number;
  /** Whether the last scale-out was cut by `maxStep`: the next step then waits the scale-out cooldown. */
  lastScaleOutCapped?: boolean;
  lastScaleInAt?: number;
  /** When the policy started watching: a scaler that just started waits a scale-in cooldown before removing tasks. */
  since?: number;
  /** Raw recommendations inside the scale-in window, oldest first. */
  recommendations: { at: number; desired: number }[];
}

export const initialPolicyState = (since?: number): PolicyState => ({ since, recommendations: [] });

export type ScalingDirection = 'out' | 'in' | 'none';

export interface ScalingDecision {
  at: number;
  previous: number;
  desired: number;
  direction: ScalingDirection;
  /** Total waiting work the decision was based on. */
  backlog: number;
  /** Backlog divided by running tasks (backlog itself when none runs). */
  backlogPerTask: number;
  /** One sentence a person can read, e.g. "backlog 100 over 1 task, target 5 → 20, capped at max 10". */
  reason: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number): string => `${Math.round(ms / 1000)}s`;

/** Total waiting work: messages not yet turned into workflows plus tasks waiting in Temporal. */
export function backlogOf(signals: ScalingSignals): number {
  return Math.max(0, signals.queueVisible) + Math.max(0, signals.queueInFlight) + Math.max(0, signals.taskQueueBacklog);
}

/** Rejects settings that cannot work, with a message naming the setting. */
export function validatePolicy(settings: PolicySettings): void {
  if (!(settings.targetBacklogPerTask > 0)) throw new Error('targetBacklogPerTask must be above 0');
  if (settings.minTasks < 0 || settings.maxTasks < 1) throw new Error('minTasks must be ≥ 0 and maxTasks ≥ 1');
  if (settings.minTasks > settings.maxTasks) throw new Error('minTasks must not exceed maxTasks');
  if (settings.maxStep !== undefined && settings.maxStep < 1) throw new Error('maxStep must be ≥ 1');
}

/**
 * Decides the desired task count for one moment. Returns the decision and the state to pass to the next call.
 */
export function decide(
  signals: ScalingSignals,
  settings: PolicySettings,
  state: PolicyState,
): { decision: ScalingDecision; state: PolicyState } {
  const { now, desired: current, running } = signals;
  const queued = backlogOf(signals);
  const waitingForFirst = running === 0 ? Math.max(0, signals.recentStarts ?? 0) : 0;
  const backlog = Math.max(queued, waitingForFirst);
  const backlogPerTask = running > 0 ? backlog / running : backlog;
  const parts: string[] = [];
  if (waitingForFirst > queued) parts.push(`${plural(waitingForFirst, 'workflow')} just started, no task runs`);

  // 1. Target tracking on the backlog itself.
  const raw = Math.max(0, Math.ceil(backlog / settings.targetBacklogPerTask - 1e-9));
  parts.push(`backlog ${backlog} over ${plural(running, 'task')}, target ${settings.targetBacklogPerTask} → ${raw}`);
  let wanted = raw;

  // 2. Backlog-age objective: old work means the fleet is too small whatever the count says.
  const ageBreached =
    settings.maxBacklogAge !== undefined && backlog > 0 && signals.taskQueueBacklogAge > settings.maxBacklogAge;
  const ageStep = ageBreached && wanted <= current;
  if (ageStep) {
    wanted = current + 1;
    parts.push(
      `oldest work waited ${seconds(signals.taskQueueBacklogAge)} > ${seconds(settings.maxBacklogAge ?? 0)} → ${wanted}`,
    );
  }

  // 3. Bounds.
  if (wanted > settings.maxTasks) {
    wanted = settings.maxTasks;
    parts.push(`capped at max ${settings.maxTasks}`);
  } else if (wanted < settings.minTasks) {
    wanted = settings.minTasks;
    parts.push(`raised to min ${settings.minTasks}`);
  }

  // The scale-in window remembers every bounded recommendation made during the last scale-in cooldown.
  const windowStart = now - settings.scaleInCooldown;
  const recommendations = [...state.recommendations.filter((r) => r.at > windowStart), { at: now, desired: wanted }];
  const next: PolicyState = { ...state, recommendations };

  let target = current;
  let direction: ScalingDirection = 'none';

  if (wanted > current) {
    const fromZero = current === 0 && running === 0;
    const since = (at: number | undefined) => (at === undefined ? Infinity : now - at);
    // A relative step right after a scale-out would add a task per poll while the last ones are still starting.
    const paced = ageStep || state.lastScaleOutCapped === true;
    const waitIn = settings.scaleOutCooldown - since(state.lastScaleInAt);
    const waitOut = paced ? settings.scaleOutCooldown - since(state.lastScaleOutAt) : 0;
    if (!fromZero && waitIn > 0) {
      parts.push(`scale-out held: cooldown ${seconds(waitIn)} left after the scale-in`);
    } else if (!fromZero && waitOut > 0) {
      parts.push(`scale-out held: cooldown ${seconds(waitOut)} left after the last step`);
    } else {
      target = wanted;
      direction = 'out';
    }
  } else if (current > settings.maxTasks) {
    // Above the bound (lowered since, or the fleet resized by hand): back to it at once, as AWS clamps to its
    // capacity bounds; the waiting work and the cooldown decide only below it.
    parts.push(`above max ${settings.maxTasks}`);
    target = settings.maxTasks;
    direction = 'in';
  } else if (wanted < current) {
    const lastChange = Math.max(
      state.lastScaleOutAt ?? -Infinity,
      state.lastScaleInAt ?? -Infinity,
      state.since ?? -Infinity,
    );
    const wait = settings.scaleInCooldown - (now - lastChange);
    if (wait > 0) {
      parts.push(`scale-in held: cooldown ${seconds(wait)} left`);
    } else if (backlog >= current) {
      // Every task still has work waiting for it: removing one saves no task-hours, it only delays the tail.
      parts.push(`scale-in held: ${backlog} waiting keep all ${current} tasks busy`);
    } else {
      const stable = Math.max(...recommendations.map((r) => r.desired));
      const busy = signals.busyTasks ?? 0;
      const floor = Math.max(stable, backlog, busy);
      if (floor >= current) {
        parts.push(
          busy >= current && busy > stable
            ? `scale-in held: all ${current} tasks are running activities`
            : `scale-in held: ${stable} wanted within the last ${seconds(settings.scaleInCooldown)}`,
        );
      } else {
        if (floor > wanted) {
          parts.push(
            busy === floor && busy > stable && busy > backlog
              ? `kept at ${floor}, the tasks running activities`
              : stable >= backlog
                ? `kept at ${floor}, the highest of the last ${seconds(settings.scaleInCooldown)}`
                : `kept at ${floor}, one per waiting item`,
          );
        }
        target = floor;
        direction = 'in';
      }
    }
  }

  let capped = false;
  if (direction !== 'none' && settings.maxStep !== undefined && Math.abs(target - current) > settings.maxStep) {
    target = direction === 'out' ? current + settings.maxStep : current - settings.maxStep;
    capped = true;
    parts.push(`step capped at ${settings.maxStep}`);
  }

  if (direction === 'out') {
    next.lastScaleOutAt = now;
    next.lastScaleOutCapped = capped;
  }
  if (direction === 'in') next.lastScaleInAt = now;
  if (direction === 'none' && wanted === current) parts.push('no change');
  else if (direction !== 'none') parts.push(`scale ${direction} ${current} → ${target}`);

  return {
    decision: {
      at: now,
      previous: current,
      desired: target,
      direction,
      backlog,
      backlogPerTask,
      reason: parts.join(', '),
    },
    state: next,
  };
}

/** Builds policy settings from the scaler section of the configuration, which holds more than the policy's keys. */
export function policyFromConfig(scaler: PolicySettings): PolicySettings {
  const settings: PolicySettings = {
    targetBacklogPerTask: scaler.targetBacklogPerTask,
    minTasks: scaler.minTasks,
    maxTasks: scaler.maxTasks,
    scaleOutCooldown: scaler.scaleOutCooldown,
    scaleInCooldown: scaler.scaleInCooldown,
    maxStep: scaler.maxStep,
    maxBacklogAge: scaler.maxBacklogAge,
  };
  validatePolicy(settings);
  return settings;
}
