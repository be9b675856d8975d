/**
 * The ebbflow worker: serves the task queue with every workflow and activity, exposes Prometheus metrics (the
 * Temporal SDK's and ours, through the SDK's meter) and shuts down gracefully on SIGTERM within a grace time.
 * With EBBFLOW_WORKER_BRIDGE it also runs the SQS bridge, whose starts hand their first task to this worker.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createAwsClients } from '../aws/clients';
import { requireQueues, serveBridge, startBridge, type SqsBridge } from '../bridge/bridge';
import type { EbbflowConfig } from '../config';
import { openDatabase, type Database } from '../db/connection';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import { NODE_FLAGS } from '../node-flags';
import { BUILT_WORKFLOW_BUNDLE } from '../paths';
import { gracesFor } from '../scaler/grace';
import { taskProtectionWorkerOptions } from '../scaler/task-protection';
import { connectWorker } from '../temporal/connection';
import { checkSearchAttributes } from '../temporal/search-attributes';

export interface CreateWorkerOptions {
  config: EbbflowConfig;
  logger: Logger;
  connection?: NativeConnection;
  /** Activity implementations; built from the config when omitted. */
  activities?: object;
  /** Extra Worker options (tests use this for interceptors, identity, …). */
  workerOptions?: Partial<WorkerOptions>;
  /** Use the workflow sources even when a pre-built bundle exists. */
  bundleFromSource?: boolean;
}

/** Where the worker's workflow code comes from: an explicit bundle, the built one, or the sources. */
export function workflowSource(
  config: EbbflowConfig,
  bundleFromSource = false,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (config.worker.workflowBundle) {
    if (!existsSync(config.worker.workflowBundle)) {
      throw new ConfigError(`EBBFLOW_WORKFLOW_BUNDLE: no file at ${config.worker.workflowBundle}`);
    }
    return { workflowBundle: { codePath: config.worker.workflowBundle } };
  }
  if (!bundleFromSource && existsSync(BUILT_WORKFLOW_BUNDLE))
    return { workflowBundle: { codePath: BUILT_WORKFLOW_BUNDLE } };
  return { workflowsPath: require.resolve('../../workflows') };
}

export function createActivityDeps(config: EbbflowConfig, logger: Logger): ActivityDeps {
  let database: Database<unknown> | undefined;
  return {
    config,
    aws: createAwsClients(config.aws),
    logger,
    database: () => (database ??= openDatabase<unknown>(config.database.url)),
  };
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { config, logger } = options;
  const connection = options.connection ?? (await connectWorker(config.temporal));
  const activities = options.activities ?? createActivities(createActivityDeps(config, logger));
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowSource(config, options.bundleFromSource),
    activities,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    // Small images are resized as local activities (processImageWorkflow): as many at once as regular ones.
    maxConcurrentLocalActivityExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    // Never shorter than an activity may run: a scale-in must not cancel work in progress.
    shutdownGraceTime: gracesFor(config).workerShutdownGrace,
    ...taskProtectionWorkerOptions(config, logger),
    ...options.workerOptions,
  });
}

/** host:port for the SDK's Prometheus endpoint: all IPv4 interfaces unless a host is configured. */
function bindAddress(host: string | undefined, port: number): string {
  if (!host) return `0.0.0.0:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Installs the SDK runtime once per process, with the Prometheus endpoint when a port is configured. */
export function installRuntime(config: EbbflowConfig, logger: Logger): void {
  const port = config.worker.metricsPort;
  Runtime.install({
    telemetryOptions: {
      metrics:
        port > 0
          ? { prometheus: { bindAddress: bindAddress(config.general.metricsHost, port), useSecondsForDurations: true } }
          : undefined,
    },
    logger: {
      log: (level, message, meta) => {
        const fields = meta as Record<string, unknown> | undefined;
        if (level === 'ERROR') logger.error(message, fields);
        else if (level === 'WARN') logger.warn(message, fields);
        else if (level === 'INFO') logger.info(message, fields);
        else logger.debug(message, fields);
      },
      trace: () => undefined,
      debug: (message, meta) => logger.debug(message, meta as Record<string, unknown>),
      info: (message, meta) => logger.info(message, meta as Record<string, unknown>),
      warn: (message, meta) => logger.warn(message, meta as Record<string, unknown>),
      error: (message, meta) => logger.error(message, meta as Record<string, unknown>),
    },
  });
  if (port > 0) logger.info('metrics endpoint listening', { url: `http://localhost:${port}/metrics` });
}

/** A bridge running inside the worker process, and its endpoints. */
interface EmbeddedBridge {
  bridge: SqsBridge;
  endpoints?: Server;
}

/**
 * The SQS bridge inside the worker (EBBFLOW_WORKER_BRIDGE): its client shares the worker's connection, so Temporal can
 * answer a start with the workflow's first task for this worker (eager start) instead of dispatching it through the
 * task queue; with no free workflow slot here, the task goes through the task queue to any worker as usual.
 */
async function startEmbeddedBridge(
  config: EbbflowConfig,
  logger: Logger,
  connection: NativeConnection,
): Promise<EmbeddedBridge> {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const bridge = startBridge({ config, logger, client, eagerStart: true });
  return { bridge, endpoints: await serveBridge(bridge, config, logger) };
}

/** Runs the worker until SIGTERM/SIGINT, then lets running activities finish within the grace time. */
export async function runWorker(config: EbbflowConfig, logger: Logger): Promise<void> {
  if (config.worker.bridge) requireQueues(config);
  installRuntime(config, logger);
  const missing = NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length > 0) {
    logger.info(
      'node runs without the flags ebbflow starts it with (NODE_FLAGS, src/node-flags.ts); images cost more CPU',
      {
        missing,
        run: `node ${NODE_FLAGS.join(' ')} bin/ebbflow.js worker`,
      },
    );
  }
  const connection = await connectWorker(config.temporal);
  let embedded: EmbeddedBridge | undefined;
  // The SDK shuts the worker down on these signals; the bridge stops receiving at the same moment.
  const onSignal = (): void => void embedded?.bridge.stop();
  try {
    if (config.image.searchAttributes) await checkSearchAttributes(connection, config.temporal.namespace, logger);
    const worker = await createWorker({ config, logger, connection });
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
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      embedded = await startEmbeddedBridge(config, logger, connection).catch(async (err: unknown) => {
        worker.shutdown();
        await running.catch(() => undefined);
        throw err;
      });
    }
    await running;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // The bridge's starts in flight use the worker's connection: they finish before it closes.
    await embedded?.bridge.stop();
    const endpoints = embedded?.endpoints;
    if (endpoints) await new Promise((resolve) => endpoints.close(resolve));
    await connection.close();
  }
  logger.info('worker stopped');
}
