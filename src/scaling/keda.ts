/**
 * KEDA with the Kubernetes Horizontal Pod Autoscaler, as a ScaledObject with default settings behaves, pure and
 * deterministic (sources of every number: docs/scaling.md, "KEDA and the HPA").
 *
 * Two loops. KEDA's operator checks its trigger every `pollingInterval` (30 s): at 0 replicas an active trigger (metric
 * above the activation threshold, 0) scales to 1 (or `minReplicaCount`); an inactive one raises a fleet below
 * `minReplicaCount` to it; once the trigger has been inactive for `cooldownPeriod` (300 s) it scales to 0. Between 1
 * and the maximum the HPA decides every 15 s (its sync period) on KEDA's metric with an AverageValue target:
 * `ceil(metric / target)` unless the ratio is within the 10 % tolerance; scale-up by at most the larger of 4 pods or
 * 100 % per 15 s; scale-down only to the highest recommendation of the last 300 s (stabilisation).
 *
 * The metric depends on the trigger: the `temporal` scaler reads the task queue's backlog only, so work in progress is
 * invisible to it; the `aws-sqs-queue` scaler reads visible plus in-flight messages (its default, `scaleOnInFlight`).
 * The target is `targetBacklogPerTask` (KEDA's `targetQueueSize` / `queueLength`, both 5 by default).
 */
import type { PolicySettings, ScalingDecision, ScalingSignals } from './policy';

type KedaTrigger = 'temporal' | 'aws-sqs-queue';

/** ScaledObject `pollingInterval` default, ms. */
const KEDA_POLLING_INTERVAL = 30_000;
/** ScaledObject `cooldownPeriod` default: inactive this long before scaling to zero, ms. */
const KEDA_COOLDOWN_PERIOD = 300_000;
/** Trigger activation threshold default (`activationTargetQueueSize`, `activationQueueLength`). */
const KEDA_ACTIVATION_THRESHOLD = 0;
/** HPA sync period (kube-controller-manager `--horizontal-pod-autoscaler-sync-period`), ms. */
export const HPA_SYNC_PERIOD = 15_000;
/** HPA tolerance: no change while the metric is within 10 % of the target. */
const HPA_TOLERANCE = 0.1;
/** HPA default scale-up policies, per 15 s: 4 pods or 100 %, whichever is larger. */
const HPA_SCALE_UP_PODS = 4;
const HPA_SCALE_UP_PERCENT = 100;
/** HPA default scale-down stabilisation window, ms. */
const HPA_SCALE_DOWN_STABILIZATION = 300_000;

export interface KedaState {
  startedAt?: number;
  lastPollAt?: number;
  lastActiveAt?: number;
  lastSyncAt?: number;
  /** HPA recommendations inside the stabilisation window, oldest first. */
  recommendations: { at: number; desired: number }[];
}

export const initialKedaState = (startedAt?: number): KedaState => ({ startedAt, recommendations: [] });

/** The trigger's metric: what KEDA hands the HPA. */
function kedaMetric(signals: ScalingSignals, trigger: KedaTrigger): number {
  return trigger === 'temporal'
    ? Math.max(0, signals.taskQueueBacklog)
    : Math.max(0, signals.queueVisible) + Math.max(0, signals.queueInFlight);
}

const since = (now: number, at: number | undefined): number => (at === undefined ? Infinity : now - at);

export function decideKeda(
  signals: ScalingSignals,
  settings: PolicySettings,
  state: KedaState,
  trigger: KedaTrigger,
): { decision: ScalingDecision; state: KedaState } {
  const { now, desired: current, running } = signals;
  const metric = kedaMetric(signals, trigger);
  const target = settings.targetBacklogPerTask;
  const next: KedaState = { ...state, startedAt: state.startedAt ?? now };
  const decision = (desired: number, reason: string): { decision: ScalingDecision; state: KedaState } => ({
    decision: {
      at: now,
      previous: current,
      desired,
      direction: desired > current ? 'out' : desired < current ? 'in' : 'none',
      backlog: metric,
      backlogPerTask: running > 0 ? metric / running : metric,
      reason: `${trigger} metric ${metric}, ${reason}`,
    },
    state: next,
  });

  // KEDA's operator: activation and scale to zero.
  if (since(now, state.lastPollAt) >= KEDA_POLLING_INTERVAL) {
    next.lastPollAt = now;
    const active = metric > KEDA_ACTIVATION_THRESHOLD;
    if (active) next.lastActiveAt = now;
    if (current === 0 && active) {
      return decision(Math.min(settings.maxTasks, Math.max(1, settings.minTasks)), 'trigger active at 0 → activate');
    }
    // The operator also raises a fleet below minReplicaCount while the trigger is inactive (a new deployment at 0).
    if (current < settings.minTasks && !active) {
      return decision(settings.minTasks, 'trigger inactive below minReplicaCount → minReplicaCount');
    }
    const inactiveFor = now - (next.lastActiveAt ?? next.startedAt ?? now);
    if (current > 0 && !active && settings.minTasks === 0 && inactiveFor >= KEDA_COOLDOWN_PERIOD) {
      next.recommendations = [];
      return decision(0, `inactive for ${Math.round(inactiveFor / 1000)}s ≥ cooldownPeriod → 0`);
    }
  }
  if (current === 0) return decision(0, 'inactive at 0');

  // The HPA, between max(1, min) and max.
  if (since(now, state.lastSyncAt) < HPA_SYNC_PERIOD) return decision(current, 'between HPA syncs');
  next.lastSyncAt = now;
  const floor = Math.max(1, settings.minTasks);
  const ratio = metric / (target * current);
  const raw = Math.abs(ratio - 1) <= HPA_TOLERANCE ? current : Math.ceil(metric / target - 1e-9);
  const wanted = Math.min(settings.maxTasks, Math.max(floor, raw));
  const windowStart = now - HPA_SCALE_DOWN_STABILIZATION;
  next.recommendations = [...state.recommendations.filter((r) => r.at > windowStart), { at: now, desired: wanted }];
  if (wanted > current) {
    const limit = Math.max(current + HPA_SCALE_UP_PODS, Math.ceil(current * (1 + HPA_SCALE_UP_PERCENT / 100)));
    const desired = Math.min(wanted, limit);
    return decision(desired, `HPA wants ${wanted}${desired < wanted ? `, limited to ${desired} per 15s` : ''}`);
  }
  if (wanted < current) {
    const stable = Math.min(current, Math.max(...next.recommendations.map((r) => r.desired)));
    return decision(
      stable,
      stable > wanted ? `HPA wants ${wanted}, stabilised at ${stable} (highest of 300s)` : `HPA wants ${wanted}`,
    );
  }
  return decision(current, `HPA at ${current}`);
}
