/**
 * What the bridge shows while it runs: Prometheus counters of what it did with each message (read from its stats when
 * scraped, so the hot path has nothing extra to do) and whether Temporal answers.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { BridgeObservable, BridgeStats } from './stats';

const COUNTERS: { stat: keyof BridgeStats; name: string; help: string }[] = [
  { stat: 'received', name: 'messages_received', help: 'Messages received from the ingress queue.' },
  { stat: 'started', name: 'workflows_started', help: 'Workflows started.' },
  {
    stat: 'eagerlyStarted',
    name: 'workflows_eagerly_started',
    help: 'Workflows started with their first task handed straight to the worker in this process.',
  },
  {
    stat: 'duplicates',
    name: 'duplicates',
    help: 'Starts refused because the workflow id already ran or runs: duplicates absorbed.',
  },
  { stat: 'ignored', name: 'messages_ignored', help: 'Messages acknowledged without a workflow (s3:TestEvent, …).' },
  { stat: 'deleted', name: 'messages_deleted', help: 'Messages deleted from the ingress queue.' },
  {
    stat: 'deleteRequests',
    name: 'delete_requests',
    help: 'DeleteMessageBatch requests sent to the ingress queue (up to ten messages each).',
  },
  { stat: 'failed', name: 'messages_failed', help: 'Messages left on the queue for redelivery after an error.' },
  {
    stat: 'released',
    name: 'messages_released',
    help: 'Messages made visible again because the bridge stopped while Temporal was unreachable.',
  },
  { stat: 'outages', name: 'temporal_outages', help: 'Times Temporal became unreachable.' },
];

export function createBridgeMetrics(bridge: BridgeObservable): Registry {
  const registry = new Registry();
  for (const { stat, name, help } of COUNTERS) {
    new Counter({
      name: `ebbflow_bridge_${name}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(bridge.stats[stat]);
      },
    });
  }
  new Counter({
    name: 'ebbflow_bridge_dead_lettered_total',
    help: 'Messages the bridge sent to the DLQ because it could not start them, by error type.',
    labelNames: ['error_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [errorType, count] of bridge.deadLetteredByType) this.inc({ error_type: errorType }, count);
    },
  });
  new Counter({
    name: 'ebbflow_bridge_temporal_outages_by_reason_total',
    help: 'Times the bridge paused receives for Temporal, by reason (UNAUTHENTICATED, RESOURCE_EXHAUSTED, unreachable, …).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of bridge.outagesByReason) this.inc({ reason }, count);
    },
  });
  new Gauge({
    name: 'ebbflow_bridge_temporal_reachable',
    help: '1 while Temporal answers; 0 during an outage, when the bridge receives nothing.',
    registers: [registry],
    collect() {
      this.set(bridge.temporalReachable ? 1 : 0);
    },
  });
  return registry;
}
