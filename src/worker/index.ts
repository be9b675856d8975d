/**
 * The ebbflow worker process (`ebbflow worker`): serves the task queue with every workflow and activity, exposes
 * Prometheus metrics and shuts down gracefully on SIGTERM within a grace time. With EBBFLOW_WORKER_BRIDGE it also runs
 * the SQS bridge, whose starts hand their first task to this worker.
 */
import { createActivities } from '../../activities';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { requireQueues } from '../bridge';
import { connectWorker } from '../temporal/connection';
import { checkSearchAttributes } from '../temporal/search-attributes';
import { startEmbeddedBridge, type EmbeddedBridge } from './embedded-bridge';
import { installRuntime, noteMissingNodeFlags } from './runtime';
import { createActivityDeps, createWorker } from './worker';

/** Runs the worker until SIGTERM/SIGINT (the SDK handles them), then lets running activities finish in the grace time. */
export async function runWorker(config: EbbflowConfig, logger: Logger): Promise<void> {
  if (config.worker.bridge) requireQueues(config);
  installRuntime(config, logger);
  noteMissingNodeFlags(logger);
  const connection = await connectWorker(config.temporal);
  const deps = createActivityDeps(config, logger);
  let bridge: EmbeddedBridge | undefined;
  const stopBridge = (): void => void bridge?.stop();
  try {
    if (config.image.searchAttributes) await checkSearchAttributes(connection, config.temporal.namespace, logger);
    const worker = await createWorker({ config, logger, connection, activities: createActivities(deps) });
    logger.info('worker started', {
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      maxConcurrentActivities: config.worker.maxConcurrentActivities,
      bridge: config.worker.bridge,
    });
    const running = worker.run();
    running.catch(() => undefined); // awaited below; handled now so a failure while the bridge starts is not unhandled
    if (config.worker.bridge) {
      // The SDK shuts the worker down on these signals; the bridge stops receiving at the same moment.
      process.once('SIGTERM', stopBridge);
      process.once('SIGINT', stopBridge);
      bridge = await startEmbeddedBridge(config, logger, connection).catch(async (err: unknown) => {
        worker.shutdown();
        await running.catch(() => undefined);
        throw err;
      });
    }
    await running;
  } finally {
    process.off('SIGTERM', stopBridge);
    process.off('SIGINT', stopBridge);
    // The bridge's starts in flight use the worker's connection: they finish before it closes.
    await bridge?.stop();
    // The worker has drained: no activity uses the database any more. An open PostgreSQL pool would keep the
    // process alive and fail on its idle connections when the server goes away.
    await deps.closeDatabase();
    await connection.close();
  }
  logger.info('worker stopped');
}
