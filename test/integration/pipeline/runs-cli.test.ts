/**
 * `ebbflow runs` as a person runs it (the built CLI) against the dev server: a few hundred runs listed, cancelled and
 * terminated by filter with the server's batch jobs, failed image runs started again next to a DLQ redrive, and
 * failed report runs started again under the ids the bridge derives from their messages.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startBridge } from '../../../src/bridge/bridge';
import { envelopeWorkflowId } from '../../../src/bridge/workflow-id';
import { openDatabase } from '../../../src/db/connection';
import { freePort } from '../../../src/dev/processes';
import { REPORT_WORKFLOW } from '../../../src/pipeline/runs';
import { migrateSalesDatabase, type SalesDatabase } from '../../../src/reports/schema';
import { seedSalesData } from '../../../src/reports/seed';
import { createLogger } from '../../../src/logger';
import { notificationFor } from '../../../src/pipeline/backfill';
import { forEachConcurrently } from '../../../src/async';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { goodImages } from '../../fixtures/images';
import { runCli } from '../../support/cli';
import { createTestPipeline, eventually, testConfig, uniqueName } from '../../support/stack';
import { executions, queueDepth, send, startTestWorker, type RunningWorker } from '../bridge/support';

let client: Client;

beforeAll(async () => {
  client = await connectClient(testConfig().temporal);
});

afterAll(async () => {
  await client?.connection.close();
});

const ebbflow = runCli;

describe('list, cancel and terminate by filter', () => {
  const taskQueue = uniqueName('runs');
  const env = { EBBFLOW_TASK_QUEUE: taskQueue };
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startTestWorker(testConfig(env));
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('acts on exactly the runs the filter selects, after a dry run and a refused confirmation', async () => {
    const inQueue = `TaskQueue = '${taskQueue}'`;
    const count = async (extra: string): Promise<number> =>
      (await client.workflow.count(`${inQueue} AND ${extra}`)).count;
    const startAll = (prefix: string) =>
      forEachConcurrently(
        Array.from({ length: 150 }, (_, i) => `${prefix}-${i}`),
        32,
        async (workflowId) => {
          await client.workflow.start('waitWorkflow', { taskQueue, workflowId, args: [] });
        },
      );
    await startAll(`${taskQueue}-early`);
    await eventually('150 runs visible', async () => (await count(`ExecutionStatus = 'Running'`)) === 150);
    // Server time, not this machine's: the cut-off is the last early run's start, and later runs start after it.
    const early = await client.workflow.list({ query: `${inQueue}` });
    let cutoff = new Date(0);
    for await (const info of early) if (info.startTime > cutoff) cutoff = info.startTime;
    const since = new Date(cutoff.getTime() + 1).toISOString();
    await startAll(`${taskQueue}-late`);
    await eventually('300 runs visible', async () => (await count(`ExecutionStatus = 'Running'`)) === 300);

    const listed = JSON.parse(
      (await ebbflow(env, 'runs', 'list', '--query', inQueue, '--json', '--max', '5')).stdout,
    ) as {
      count: number;
      runs: { workflowId: string; status: string; type: string }[];
    };
    expect(listed.count).toBe(300);
    expect(listed.runs).toHaveLength(5);
    expect(listed.runs.every((r) => r.status === 'RUNNING' && r.type === 'waitWorkflow')).toBe(true);
    const table = await ebbflow(env, 'runs', 'list', '--query', inQueue, '--status', 'completed');
    expect(table.stdout).toMatch(/^0 runs match/m);

    // A dry run prints the count and a sample, and changes nothing.
    const dry = await ebbflow(env, 'runs', 'cancel', '--query', inQueue, '--until', since, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^WORKFLOW ID +TYPE +STATUS +STARTED +CLOSED$/m);
    expect(dry.stdout).toContain('150 runs match');
    expect(dry.stdout).toContain('Dry run: would cancel 150 runs. Nothing was changed.');
    // Without a terminal to confirm on, more than a handful of runs needs --yes.
    const refused = await ebbflow(env, 'runs', 'cancel', '--query', inQueue, '--until', since);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Cancel 150 runs needs a confirmation .* pass --yes/);
    expect(await count(`ExecutionStatus = 'Running'`)).toBe(300);
    // Nothing but a filter-less command is refused outright.
    expect((await ebbflow(env, 'runs', 'terminate', '--yes')).stderr).toMatch(/say which runs/);

    const cancelled = await ebbflow(env, 'runs', 'cancel', '--query', inQueue, '--until', since, '--yes');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stderr).toMatch(/Batch job ebbflow-cancel-\S+ started/);
    expect(cancelled.stdout).toMatch(/Cancellation requested for 150 of 150 runs; 0 failed\. Batch job \S+ completed/);
    await eventually('the early runs cancelled', async () => (await count(`ExecutionStatus = 'Canceled'`)) === 150);

    const terminated = await ebbflow(env, 'runs', 'terminate', '--query', inQueue, '--since', since, '--yes');
    expect(terminated.code).toBe(0);
    expect(terminated.stdout).toMatch(/Terminated 150 of 150 runs; 0 failed/);
    await eventually('the late runs terminated', async () => (await count(`ExecutionStatus = 'Terminated'`)) === 150);
    // Each group got its own treatment, and nothing is left running.
    expect(await count(`ExecutionStatus = 'Canceled' AND WorkflowId STARTS_WITH '${taskQueue}-early'`)).toBe(150);
    expect(await count(`ExecutionStatus = 'Running'`)).toBe(0);
  }, 300_000);
});

describe('rerun next to a redrive', () => {
  it('starts failed image runs again under their bridge ids, and a redrive afterwards starts nothing', async () => {
    // The images' own bucket, which the bridge is allowed to read: its uploads notify no queue.
    const bucket = uniqueName('rer-src');
    const p = await createTestPipeline('rer', {
      EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
      EBBFLOW_BRIDGE_ALLOWED_BUCKETS: bucket,
    });
    const logger = createLogger({ level: 'error' });
    const worker: Worker = await createWorker({ config: p.config, logger, bundleFromSource: true });
    const running = worker.run();
    const bridge = startBridge({ config: p.config, logger, client, statsIntervalMs: 0 });
    try {
      // Notifications for images not yet in their bucket: each run fails for good and dead-letters its message.
      await p.aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const images = (await goodImages('uploads/rerun')).slice(0, 3);
      for (const img of images)
        await send(p.aws.sqs, p.resources.ingressQueueUrl, notificationFor(bucket, { key: img.key, eTag: 'e1' }));
      const inQueue = `TaskQueue = '${p.config.temporal.taskQueue}'`;
      const failed = await eventually('three failed image runs', async () => {
        const found: string[] = [];
        for await (const info of client.workflow.list({ query: `${inQueue} AND ExecutionStatus = 'Failed'` })) {
          found.push(info.workflowId);
        }
        return found.length === 3 && found;
      });
      await eventually('three dead letters', async () => (await queueDepth(p.aws.sqs, p.resources.dlqUrl)) === 3);
      expect(bridge.stats.started).toBe(3);

      // The cause is fixed; a dry run shows what would start again.
      for (const img of images)
        await p.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: img.key, Body: img.data }));
      const dry = await ebbflow(p.env, 'runs', 'rerun', '--query', inQueue, '--dry-run');
      expect(dry.stdout).toContain('Dry run: would rerun 3 runs. Nothing was changed.');

      const rerun = await ebbflow(p.env, 'runs', 'rerun', '--query', inQueue, '--since', '1h');
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain('Started 3 runs again; 0 already ran again or run now; 0 failed.');
      for (const id of failed) {
        const runs = await executions(client, id);
        expect(runs).toHaveLength(2);
        await client.workflow.getHandle(id).result();
      }
      // Asked again, the failed runs still match, but their ids ran again: nothing starts.
      const again = await ebbflow(p.env, 'runs', 'rerun', '--query', inQueue);
      expect(again.stdout).toContain('Started 0 runs again; 3 already ran again or run now; 0 failed.');

      // The redrive sends the dead-lettered messages back: the bridge derives the same ids and absorbs them.
      const redrive = await ebbflow(p.env, 'dlq', 'redrive');
      expect(redrive.stdout).toContain('Moved 3 message(s)');
      await eventually('the redriven messages absorbed', async () => bridge.stats.duplicates === 3, 120_000);
      expect(bridge.stats.started).toBe(3);
      for (const id of failed) expect(await executions(client, id)).toHaveLength(2);
    } finally {
      await bridge.stop();
      worker.shutdown();
      await running;
    }
  }, 300_000);
});

describe('rerun of failed report runs', () => {
  /** The input a run was started with, read from its first history event. */
  const inputOf = async (workflowId: string, runId: string): Promise<unknown> => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    return fromPayloadsAtIndex(defaultPayloadConverter, 0, payloads);
  };

  it('starts them again with their original input under the bridge ids, which absorb the same messages later', async () => {
    // The sales database is down: every report run the bridge starts fails for good.
    const p = await createTestPipeline('rrep', {
      EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
      EBBFLOW_DATABASE_URL: `postgres://sales:secret@127.0.0.1:${await freePort()}/sales`,
    });
    const logger = createLogger({ level: 'error' });
    const down: Worker = await createWorker({ config: p.config, logger, bundleFromSource: true });
    const downRunning = down.run();
    const bridge = startBridge({ config: p.config, logger, client, statsIntervalMs: 0 });
    let up: Worker | undefined;
    let upRunning: Promise<void> | undefined;
    try {
      const envelopes = ['2026-03-09', '2026-03-10'].map((date) => ({
        workflow: REPORT_WORKFLOW,
        id: `sales-${date}`,
        input: { date, retry: { maximumAttempts: 2, initialInterval: '100ms' } },
      }));
      const bridgeIds = envelopes.map((e) => envelopeWorkflowId({ kind: 'envelope', ...e }, 'unused'));
      for (const envelope of envelopes) await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope);
      const inQueue = `TaskQueue = '${p.config.temporal.taskQueue}'`;
      const failed = await eventually('two failed report runs', async () => {
        const found: { workflowId: string; runId: string }[] = [];
        for await (const info of client.workflow.list({ query: `${inQueue} AND ExecutionStatus = 'Failed'` })) {
          found.push({ workflowId: info.workflowId, runId: info.runId });
        }
        return found.length === 2 && found;
      });
      expect(failed.map((f) => f.workflowId).sort()).toEqual([...bridgeIds].sort());
      expect(bridge.stats.started).toBe(2);

      // The database is back: a worker that reaches it replaces the one that could not.
      down.shutdown();
      await downRunning;
      const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-rerun-')), 'sales.db');
      const database = openDatabase<SalesDatabase>(`sqlite:${dbFile}`);
      await migrateSalesDatabase(database.db);
      await seedSalesData(database.db, { days: 3, endDate: '2026-03-10', baseOrdersPerDay: 20 });
      await database.close();
      up = await createWorker({
        config: testConfig({ ...p.env, EBBFLOW_DATABASE_URL: `sqlite:${dbFile}` }),
        logger,
        bundleFromSource: true,
      });
      upRunning = up.run();

      const rerun = await ebbflow(p.env, 'runs', 'rerun', '--query', inQueue, '--workflow', REPORT_WORKFLOW);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain('Started 2 runs again; 0 already ran again or run now; 0 failed.');
      for (const { workflowId, runId } of failed) {
        const runs = await executions(client, workflowId);
        expect(runs).toHaveLength(2);
        const again = runs.find((r) => r.runId !== runId)!;
        expect(again.type).toBe(REPORT_WORKFLOW);
        expect(await inputOf(workflowId, again.runId)).toEqual(await inputOf(workflowId, runId));
        await client.workflow.getHandle(workflowId, again.runId).result();
      }

      // The same messages again: the bridge derives the same ids, finds them done and starts nothing.
      for (const envelope of envelopes) await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope);
      await eventually('the repeated messages absorbed', async () => bridge.stats.duplicates === 2, 120_000);
      expect(bridge.stats.started).toBe(2);
      for (const id of bridgeIds) expect(await executions(client, id)).toHaveLength(2);
    } finally {
      await bridge.stop();
      if (down.getState() === 'RUNNING') down.shutdown();
      await downRunning;
      up?.shutdown();
      await upRunning;
    }
  }, 300_000);
});

describe('refusals', () => {
  it('passes on in one line a visibility query the server cannot read, exit 2', async () => {
    const result = await ebbflow({}, 'runs', 'list', '--query', 'NoSuchField = 1');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ebbflow: Temporal refused the request: .*NoSuchField/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
