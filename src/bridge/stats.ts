/** What a running bridge counts, shared by its core (which counts) and its metrics and endpoints (which read). */

/** Counters since the bridge started. */
export interface BridgeStats {
  /** Messages received from the ingress queue. */
  received: number;
  /** Workflows started. */
  started: number;
  /** Of those, started with their first task handed straight to this process's worker (eager start). */
  eagerlyStarted: number;
  /** Starts refused because the workflow id already ran or runs: duplicates absorbed. */
  duplicates: number;
  /** Messages sent to the DLQ by the bridge. */
  deadLettered: number;
  /** Messages acknowledged without starting anything (s3:TestEvent, non-create events). */
  ignored: number;
  /** Messages deleted from the ingress queue. */
  deleted: number;
  /** DeleteMessageBatch requests those deletes took (up to ten messages each). */
  deleteRequests: number;
  /** Messages left for redelivery after an error. */
  failed: number;
  /** Messages made visible again because the bridge stopped while Temporal was unreachable. */
  released: number;
  /** Times Temporal became unreachable. */
  outages: number;
}

/** Stats of a bridge that has done nothing yet. */
export function emptyBridgeStats(): BridgeStats {
  return {
    received: 0,
    started: 0,
    eagerlyStarted: 0,
    duplicates: 0,
    deadLettered: 0,
    ignored: 0,
    deleted: 0,
    deleteRequests: 0,
    failed: 0,
    released: 0,
    outages: 0,
  };
}

/** What the metrics and the health endpoint read from a running bridge. */
export interface BridgeObservable {
  readonly stats: BridgeStats;
  /** Messages the bridge sent to the DLQ itself, by error type (UnparseableMessage, UnknownWorkflow, …). */
  readonly deadLetteredByType: ReadonlyMap<string, number>;
  /** Temporal outages by reason: the gRPC code name of the start that failed, or `unreachable`. */
  readonly outagesByReason: ReadonlyMap<string, number>;
  readonly temporalReachable: boolean;
}
