/**
 * The ebbflow worker process (`ebbflow worker`): serves the task queue with every workflow and activity, exposes
 * Prometheus metrics and shuts down gracefully on SIGTERM within a grace time. With EBBFLOW_WORKER_BRIDGE it also runs
 * the SQS bridge, whose starts hand their first task to this worker. With `standby` it boots and then waits for the
 * local scaler to promote it before it polls (standby.ts).
 */
import { createActivities } from '../../activities';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { requireQueues } from '../bridge';
import { connectWorker } from '../temporal/connection';
import { checkSearchAttributes } from '../temporal/search-attributes';
import { startEmbeddedBridge, type EmbeddedBridge } from './embedded-bridge';
import { installRuntime, noteMissingNodeFlags } from './runtime';
import { standbyGate, warmUpImageCode, warmUpStorage } from './standby';
import { createActivityDeps, createWorker } from './worker';

interface RunWorkerOptions {
  /** Boot, then wait to be promoted by the parent process before polling (the local scaler's standby). */
  standby?: boolean;
}

/**
 * Runs the worker until SIGTERM/SIGINT (the SDK handles them), then lets running activities finish in the grace time.
 * Resolves `'stood down'` when a standby was stopped before it was promoted: its worker was built but never run, and
 * the SDK releases a worker's hold on the process only at the end of a run, so the caller ends the process.
 */
export async function runWorker(
  config: EbbflowConfig,
  logger: Logger,
  options: RunWorkerOptions = {},
): Promise<'stopped' | 'stood down'> {
  if (config.worker.bridge) requireQueues(config);
  // A standby listens from now on: a stop asked for while it boots is kept until it would wait.
  const gate = options.standby ? standbyGate(logger) : undefined;
  let stoodDown = false;
  let connection;
  try {
    installRuntime(config, logger);
    noteMissingNodeFlags(logger);
    connection = await connectWorker(config.temporal);
  } catch (err) {
    gate?.release(); // its channel would keep the failed process alive
    throw err;
  }
  const deps = createActivityDeps(config, logger);
  let bridge: EmbeddedBridge | undefined;
  const stopBridge = (): void => void bridge?.stop();
  try {
    if (config.image.searchAttributes) await checkSearchAttributes(connection, config.temporal.namespace, logger);
    const worker = await createWorker({ config, logger, connection, activities: createActivities(deps) });
    if (gate) {
      await warmUpImageCode(config.image.maxPixels);
      await warmUpStorage(deps.aws.s3, [config.pipeline.inputBucket, config.pipeline.outputBucket], logger);
      stoodDown = (await gate.waitForPromotion()) === 'stop';
      if (stoodDown) return 'stood down';
    }
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
    gate?.release();
    process.off('SIGTERM', stopBridge);
    process.off('SIGINT', stopBridge);
    // The bridge's starts in flight use the worker's connection: they finish before it closes.
    await bridge?.stop();
    // The worker has drained: no activity uses the database any more. An open PostgreSQL pool would keep the
    // process alive and fail on its idle connections when the server goes away.
    await deps.closeDatabase();
    // A worker that never ran still holds the connection, which then refuses to close.
    if (!stoodDown) await connection.close();
  }
  logger.info('worker stopped');
  return 'stopped';
}
