/**
 * What the scaler shows: Prometheus gauges of its inputs and decisions, its decision log as JSON, and the backlog
 * per task published to CloudWatch so AWS-native target tracking can scale on it where people prefer that.
 */
import type { Server } from 'node:http';
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Counter, Gauge, Registry } from 'prom-client';
import { serveEndpoints, type ListenAddress } from '../http/endpoints';
import type { ScalingDecision, ScalingSignals } from '../scaling/policy';
import type { CostReading, Spent, TaskPrice } from './cost-meter';
import type { LoggedDecision } from './types';

export interface ScalerMetrics {
  registry: Registry;
  errors: Counter;
  /** Local driver: worker processes that ended, by outcome (drained, killed, crashed). */
  workerExits: Counter<'outcome'>;
  /** POST /wake calls: a poll at once (the fleet was at zero), or left to the poll interval. */
  wakes: Counter<'result'>;
  /** Records a decision, and what the fleet spent since the one before. */
  observe(decision: LoggedDecision, spent?: Spent): void;
  /** The price the cost counters use. */
  priced(price: TaskPrice): void;
}

export function createScalerMetrics(): ScalerMetrics {
  const registry = new Registry();
  const gauge = (name: string, help: string) =>
    new Gauge({ name: `ebbflow_scaler_${name}`, help, registers: [registry] });
  const g = {
    backlog: gauge('backlog', 'Waiting work: ingress visible + in flight + Temporal backlog.'),
    perTask: gauge('backlog_per_task', 'Backlog divided by running tasks (the backlog itself when none runs).'),
    desired: gauge('desired_tasks', 'Tasks asked for after the last decision.'),
    running: gauge('running_tasks', 'Tasks running at the last poll.'),
    visible: gauge('queue_visible_messages', 'Ingress queue: visible messages.'),
    inFlight: gauge('queue_in_flight_messages', 'Ingress queue: messages in flight.'),
    tqBacklog: gauge('task_queue_backlog', 'Temporal task queue: approximate backlog count.'),
    tqAge: gauge('task_queue_backlog_age_seconds', 'Temporal task queue: age of the oldest waiting task.'),
    tqRate: gauge('task_queue_add_rate', 'Temporal task queue: tasks added per second.'),
  };
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name: `ebbflow_scaler_${name}`, help, labelNames, registers: [registry] });
  const decisions = counter('decisions_total', 'Decisions by direction.', ['direction']);
  const errors = counter('errors_total', 'Polls that failed.');
  const workerExits = counter(
    'worker_exits_total',
    'Local worker processes that ended: drained after SIGTERM, killed after the grace, or crashed.',
    ['outcome'],
  );
  const wakes = counter(
    'wakes_total',
    'Wake calls from the bridge: polled at once (fleet at zero) or ignored (the fleet runs).',
    ['result'],
  );
  const taskSeconds = counter(
    'task_seconds_total',
    'Seconds of running worker tasks, summed over the tasks: those a poll saw, or its change left, until the next poll.',
  );
  const dollars = counter(
    'estimated_cost_dollars_total',
    'Task-seconds priced at ebbflow_scaler_task_hourly_dollars (Fargate per-second billing, no one-minute minimum).',
  );
  const hourly = new Gauge({
    name: 'ebbflow_scaler_task_hourly_dollars',
    help: 'Fargate price of one worker task-hour, by the size and pricing the estimate uses.',
    labelNames: ['vcpu', 'memory_gb', 'pricing'],
    registers: [registry],
  });
  return {
    registry,
    errors,
    workerExits,
    wakes,
    priced(price) {
      hourly.reset();
      hourly.set({ vcpu: String(price.vcpu), memory_gb: String(price.memoryGb), pricing: price.pricing }, price.hourly);
    },
    observe(d, spent) {
      if (spent) {
        taskSeconds.inc(spent.taskSeconds);
        dollars.inc(spent.dollars);
      }
      g.backlog.set(d.backlog);
      g.perTask.set(d.backlogPerTask);
      g.desired.set(d.desired);
      g.running.set(d.signals.running);
      g.visible.set(d.signals.queueVisible);
      g.inFlight.set(d.signals.queueInFlight);
      g.tqBacklog.set(d.signals.taskQueueBacklog);
      g.tqAge.set(d.signals.taskQueueBacklogAge / 1000);
      g.tqRate.set(d.signals.taskQueueAddRate);
      decisions.inc({ direction: d.direction });
    },
  };
}

/**
 * Serves GET /metrics (Prometheus), /decisions (JSON, newest first; ?changes=1 for changes only), /cost (what the fleet
 * has spent since the scaler started, JSON) and /healthz, and POST /wake, which asks a scaler at zero to poll now (202
 * when it did, 200 when its fleet runs and it polls anyway).
 */
export function serveScalerEndpoints(
  port: ListenAddress,
  metrics: ScalerMetrics,
  decisions: () => readonly LoggedDecision[],
  wake: () => boolean,
  cost?: () => CostReading,
): Promise<{ server: Server; url: string }> {
  return serveEndpoints(port, {
    '/cost': () =>
      cost
        ? { status: 200, type: 'application/json', body: JSON.stringify(cost(), null, 2) }
        : { status: 404, type: 'text/plain', body: 'no cost estimate in this scaler\n' },
    '/wake': (_url, method) => {
      if (method !== 'POST') return { status: 405, type: 'text/plain', body: 'POST /wake\n' };
      return wake()
        ? { status: 202, type: 'text/plain', body: 'polling now\n' }
        : { status: 200, type: 'text/plain', body: 'not waiting at zero: the next poll reads the backlog\n' };
    },
    '/metrics': async () => ({
      status: 200,
      type: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    '/decisions': (url) => {
      const changesOnly = url.searchParams.get('changes') === '1';
      const list = [...decisions()].reverse().filter((d) => !changesOnly || d.direction !== 'none');
      return { status: 200, type: 'application/json', body: JSON.stringify(list, null, 2) };
    },
    '/healthz': () => ({ status: 200, type: 'text/plain', body: 'ok\n' }),
  });
}

/**
 * Publishes BacklogPerTask, Backlog, DesiredTasks and RunningTasks under `namespace`, dimension TaskQueue, and with a
 * cost meter TaskSeconds and EstimatedCost (dollars) spent since the poll before.
 */
export function cloudWatchPublisher(
  cloudwatch: CloudWatchClient,
  namespace: string,
  taskQueue: string,
): (decision: ScalingDecision, signals: ScalingSignals, spent?: Spent) => Promise<void> {
  return async (decision, signals, spent) => {
    const Dimensions = [{ Name: 'TaskQueue', Value: taskQueue }];
    const Timestamp = new Date(decision.at);
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          { MetricName: 'BacklogPerTask', Value: decision.backlogPerTask, Unit: 'Count', Dimensions, Timestamp },
          { MetricName: 'Backlog', Value: decision.backlog, Unit: 'Count', Dimensions, Timestamp },
          { MetricName: 'DesiredTasks', Value: decision.desired, Unit: 'Count', Dimensions, Timestamp },
          { MetricName: 'RunningTasks', Value: signals.running, Unit: 'Count', Dimensions, Timestamp },
          // What the fleet spent since the poll before: the Sum statistic over a period is that period's total.
          ...(spent
            ? [
                {
                  MetricName: 'TaskSeconds',
                  Value: spent.taskSeconds,
                  Unit: 'Seconds' as const,
                  Dimensions,
                  Timestamp,
                },
                { MetricName: 'EstimatedCost', Value: spent.dollars, Unit: 'None' as const, Dimensions, Timestamp },
              ]
            : []),
        ],
      }),
    );
  };
}
