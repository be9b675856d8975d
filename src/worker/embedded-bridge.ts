/**
 * The SQS bridge inside the worker (EBBFLOW_WORKER_BRIDGE): its client shares the worker's connection, so Temporal can
 * answer a start with the workflow's first task for this worker (eager start) instead of dispatching it through the
 * task queue; with no free workflow slot here, the task goes through the task queue to any worker as usual.
 */
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { startBridge, type SqsBridge } from '../bridge/bridge';
import { closeEndpoints, serveBridge } from '../bridge/endpoints';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';

/** A bridge running inside the worker process, and its endpoints. */
export interface EmbeddedBridge {
  readonly bridge: SqsBridge;
  /** Stops receiving, lets the starts in flight finish (they use the worker's connection) and closes the endpoints. */
  stop(): Promise<void>;
}

export async function startEmbeddedBridge(
  config: EbbflowConfig,
  logger: Logger,
  connection: NativeConnection,
): Promise<EmbeddedBridge> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const bridge = startBridge({ config, logger, client, eagerStart: true });
  const endpoints: Server | undefined = await serveBridge(bridge, config, logger);
  return {
    bridge,
    async stop() {
      await bridge.stop();
      await closeEndpoints(endpoints);
    },
  };
}
