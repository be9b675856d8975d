import { emptyBridgeStats, type BridgeObservable, type BridgeStats } from '../../../src/bridge/stats';
import { createBridgeMetrics } from '../../../src/bridge/metrics';

type Writable = { -readonly [K in keyof BridgeObservable]: BridgeObservable[K] };

function observable(): Writable & {
  stats: BridgeStats;
  deadLetteredByType: Map<string, number>;
  outagesByReason: Map<string, number>;
} {
  return {
    stats: emptyBridgeStats(),
    deadLetteredByType: new Map(),
    outagesByReason: new Map(),
    temporalReachable: true,
  };
}

describe('bridge metrics', () => {
  it('read the bridge at each scrape: counters follow its stats, the gauge its reachability', async () => {
    const bridge = observable();
    const registry = createBridgeMetrics(bridge);
    const first = await registry.metrics();
    expect(first).toMatch(/^ebbflow_bridge_messages_received_total 0$/m);
    expect(first).toMatch(/^ebbflow_bridge_temporal_reachable 1$/m);
    expect(first).toMatch(/^# TYPE ebbflow_bridge_workflows_started_total counter$/m);

    Object.assign(bridge.stats, {
      received: 12,
      started: 9,
      eagerlyStarted: 7,
      duplicates: 2,
      deleted: 11,
      failed: 1,
      outages: 1,
    });
    bridge.deadLetteredByType.set('UnparseableMessage', 1);
    bridge.outagesByReason.set('UNAUTHENTICATED', 1);
    bridge.temporalReachable = false;
    const second = await registry.metrics();
    expect(second).toMatch(/^ebbflow_bridge_messages_received_total 12$/m);
    expect(second).toMatch(/^ebbflow_bridge_temporal_outages_by_reason_total\{reason="UNAUTHENTICATED"\} 1$/m);
    expect(second).toMatch(/^ebbflow_bridge_workflows_started_total 9$/m);
    expect(second).toMatch(/^ebbflow_bridge_workflows_eagerly_started_total 7$/m);
    expect(second).toMatch(/^ebbflow_bridge_duplicates_total 2$/m);
    expect(second).toMatch(/^ebbflow_bridge_messages_deleted_total 11$/m);
    expect(second).toMatch(/^ebbflow_bridge_messages_failed_total 1$/m);
    expect(second).toMatch(/^ebbflow_bridge_temporal_outages_total 1$/m);
    expect(second).toMatch(/^ebbflow_bridge_dead_lettered_total\{error_type="UnparseableMessage"\} 1$/m);
    expect(second).toMatch(/^ebbflow_bridge_temporal_reachable 0$/m);

    // A scrape repeats values, it does not add them up.
    expect(await registry.metrics()).toMatch(/^ebbflow_bridge_messages_received_total 12$/m);
  });
});
