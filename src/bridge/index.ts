/** Builds and runs the SQS bridge from the configuration: `ebbflow bridge` uses this, the worker its parts. */
import { required, type EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { connectClient } from '../temporal/connection';
import { checkSearchAttributes } from '../temporal/search-attributes';
import { refuseFifoQueues, startBridge } from './bridge';
import { closeEndpoints, serveBridge } from './endpoints';
import type { BridgeStats } from './stats';

/** The queues a bridge cannot run without; a ConfigError naming the first one missing, or one that is FIFO. */
export function requireQueues(config: EbbflowConfig): void {
  refuseFifoQueues({
    EBBFLOW_INGRESS_QUEUE_URL: required(config.pipeline.ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL'),
    EBBFLOW_DLQ_URL: required(config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL'),
  });
}

/**
 * Before the first receive: a namespace without the search attributes the bridge starts image runs with would
 * reject every start, so that is an error now rather than every message in the DLQ. An unreachable Temporal is not:
 * the bridge waits for it as during any outage.
 */
async function checkNamespace(config: EbbflowConfig, logger: Logger): Promise<void> {
  if (!config.image.searchAttributes) return;
  let client;
  try {
    client = await connectClient(config.temporal);
  } catch (err) {
    logger.warn('Temporal unreachable at start: search attributes not checked', { error: err });
    return;
  }
  try {
    await checkSearchAttributes(client.connection, config.temporal.namespace, logger);
  } finally {
    await client.connection.close();
  }
}

/** Runs the bridge until SIGTERM or SIGINT, then stops it cleanly. */
export async function runBridge(config: EbbflowConfig, logger: Logger): Promise<BridgeStats> {
  // Settings first: a missing queue is a mistake to report at once, not after waiting for Temporal.
  requireQueues(config);
  await checkNamespace(config, logger);
  const bridge = startBridge({ config, logger });
  const endpoints = await serveBridge(bridge, config, logger);
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info('signal received', { signal });
    void bridge.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await bridge.finished;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await closeEndpoints(endpoints);
  }
  return bridge.stats;
}
