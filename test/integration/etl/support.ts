/**
 * Shared set-up of the ETL integration tests: a pipeline with its own SQLite warehouse, a worker in this process
 * (optionally with a fault injected into the source activity), and a Temporal client.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import type { LoadEtlSourceInput } from '../../../activities/etl';
import { openDatabase, type Database } from '../../../src/db/connection';
import { Warehouse } from '../../../src/etl/warehouse';
import { createLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createActivityDeps, createWorker } from '../../../src/worker/worker';
import { createTestPipeline, type TestPipeline } from '../../support/stack';

export interface EtlHarness {
  pipeline: TestPipeline;
  client: Client;
  warehouse: Warehouse;
  database: Database<unknown>;
  databaseUrl: string;
  /** Starts a worker in this process; `fault` may throw to fail an attempt of a source, or wait to hold it. */
  startWorker(fault?: (input: LoadEtlSourceInput) => void | Promise<void>): Promise<Worker>;
  close(): Promise<void>;
}

export async function createEtlHarness(prefix: string, env: Record<string, string> = {}): Promise<EtlHarness> {
  const dir = process.env.EBBFLOW_TEST_DIR ?? process.env.EBBFLOW_STATE_DIR!;
  const databaseUrl = `sqlite:${path.join(dir, `${prefix}-${Date.now()}-${process.pid}.db`)}`;
  const pipeline = await createTestPipeline(prefix, { EBBFLOW_DATABASE_URL: databaseUrl, ...env });
  pipeline.env.EBBFLOW_DATABASE_URL = databaseUrl;
  const client = await connectClient(pipeline.config.temporal);
  const database = openDatabase<unknown>(databaseUrl);
  const workers: { worker: Worker; done: Promise<void> }[] = [];
  const logger = createLogger({ level: 'warn' });
  return {
    pipeline,
    client,
    database,
    databaseUrl,
    warehouse: new Warehouse(database),
    async startWorker(fault) {
      const real = createActivities(createActivityDeps(pipeline.config, logger));
      const activities = {
        ...real,
        async loadEtlSource(input: LoadEtlSourceInput) {
          await fault?.(input);
          return real.loadEtlSource(input);
        },
      };
      const worker = await createWorker({ config: pipeline.config, logger, bundleFromSource: true, activities });
      workers.push({ worker, done: worker.run() });
      return worker;
    },
    async close() {
      for (const w of workers) if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
      await Promise.all(workers.map((w) => w.done));
      await client.connection.close();
      await database.close();
    },
  };
}
