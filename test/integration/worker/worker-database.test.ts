/**
 * `ebbflow worker` on PostgreSQL releases its database when it stops: once the worker has drained, the pool is
 * closed, so the database server can go away afterwards without the worker process failing on a dead connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { openDatabase } from '../../../src/db/connection';
import { startScratchPostgres, type ScratchPostgres } from '../../../src/db/scratch-postgres';
import { cliCommand } from '../../../src/paths';
import { migrateSalesDatabase, type SalesDatabase } from '../../../src/reports/schema';
import { seedSalesData } from '../../../src/reports/seed';
import { connectClient } from '../../../src/temporal/connection';
import type { DailySalesReportResult } from '../../../workflows';
import { createTestPipeline } from '../../support/stack';

describe('ebbflow worker on PostgreSQL', () => {
  let pg: ScratchPostgres | undefined;
  let client: Client | undefined;
  let worker: ChildProcess | undefined;

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const gone = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGKILL');
      await gone;
    }
    await client?.connection.close();
    await pg?.stop();
  });

  it('closes its database pool on SIGTERM, before the database server stops', async () => {
    pg = await startScratchPostgres();
    const sales = openDatabase<SalesDatabase>(pg.url);
    try {
      await migrateSalesDatabase(sales.db);
      await seedSalesData(sales.db, { days: 2, endDate: '2026-03-08', baseOrdersPerDay: 20, seed: 5 });
    } finally {
      await sales.close();
    }
    const pipeline = await createTestPipeline('workerdb', { EBBFLOW_DATABASE_URL: pg.url });
    client = await connectClient(pipeline.config.temporal);

    const [program, ...argv] = cliCommand('worker');
    const child = spawn(program, argv, {
      env: { ...process.env, ...pipeline.env, EBBFLOW_METRICS_PORT: '0', EBBFLOW_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    worker = child;
    let log = '';
    const stopped = new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('worker stopped')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // The report reads the sales tables: the worker's pool now holds an idle connection.
    const result: DailySalesReportResult = await client.workflow.execute('dailySalesReportWorkflow', {
      taskQueue: pipeline.config.temporal.taskQueue,
      workflowId: `worker-db-${Date.now()}`,
      args: [{ date: '2026-03-08' }],
    });
    expect(result.orders).toBeGreaterThan(0);

    child.kill('SIGTERM');
    // Whether the process is still exiting or already gone, its connections must not outlive "worker stopped":
    // stopping the server now ends any connection left open, and the process fails on it.
    await Promise.race([stopped, exited]);
    await pg.stop();
    pg = undefined;
    expect(await exited).toBe(0);
    expect(log).not.toMatch(/terminating connection|unhandled|Error:/i);
  });
});
