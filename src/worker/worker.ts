/**
 * The ebbflow worker, built from the configuration: every workflow (the pre-built bundle when there is one) and every
 * activity with its clients, the concurrency limits and the shutdown grace. Running it is src/worker/index.ts's job.
 */
import { existsSync } from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createAwsClients } from '../aws/clients';
import type { EbbflowConfig } from '../config';
import { openDatabase, type Database } from '../db/connection';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import { BUILT_WORKFLOW_BUNDLE } from '../paths';
import { gracesFor } from '../scaler/grace';
import { taskProtectionWorkerOptions } from '../scaler/task-protection';
import { connectWorker } from '../temporal/connection';

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
function workflowSource(
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

/** The activities' dependencies, and the release of what they opened: the process owns them, not the activities. */
export interface WorkerActivityDeps extends ActivityDeps {
  /** Closes the database if an activity opened it; call it once no activity runs any more. */
  closeDatabase(): Promise<void>;
}

export function createActivityDeps(config: EbbflowConfig, logger: Logger): WorkerActivityDeps {
  let database: Database<unknown> | undefined;
  return {
    config,
    aws: createAwsClients(config.aws),
    logger,
    database: () => (database ??= openDatabase<unknown>(config.database.url)),
    async closeDatabase() {
      const opened = database;
      database = undefined;
      await opened?.close();
    },
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
