/**
 * Temporal Schedules running the daily report against the dev server: the create / describe / pause / unpause /
 * delete round trip, a triggered run reporting on the day before its scheduled time, overlap under SKIP and
 * BUFFER_ONE, and a backfill that yields one report per day however often it is repeated.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { ensureBucket } from '../../../src/aws/provision';
import { reportDateFor } from '../../../src/common/report-dates';
import { freePort, startTemporalDevServer, type ManagedProcess } from '../../../src/dev/processes';
import { Schedules } from '../../../src/schedules/schedule-client';
import type { DailySalesReportResult } from '../../../workflows';
import { createTestPipeline, eventually, uniqueName, type TestPipeline } from '../../support/stack';
import { listKeys, startReportWorker } from './helpers';

describe('report schedules', () => {
  let pipeline: TestPipeline;
  let client: Client;
  let schedules: Schedules;
  let stop: () => Promise<void>;
  const created: string[] = [];

  let server: ManagedProcess | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-sched-'));
    // A server of its own: the schedules' overlap handling is observed through the scheduler's own bookkeeping,
    // which a shared server busy with other files' thousands of workflows can hold up for minutes.
    const port = await freePort();
    server = await startTemporalDevServer({ port, headless: true, logFile: path.join(dir, 'temporal.log') });
    pipeline = await createTestPipeline('sched', {
      EBBFLOW_DATABASE_URL: `sqlite:${path.join(dir, 'sales.db')}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    ({ client, stop } = await startReportWorker(pipeline.config));
    schedules = new Schedules(client);
  });

  afterAll(async () => {
    for (const id of created) await schedules.delete(id).catch(() => undefined);
    await stop?.();
    await server?.stop();
  });

  const create = async (overrides: Partial<Parameters<Schedules['create']>[0]> = {}): Promise<string> => {
    const scheduleId = uniqueName('daily-sales');
    await schedules.create({
      job: 'daily-sales',
      scheduleId,
      cron: '0 6 * * *',
      timezone: 'UTC',
      taskQueue: pipeline.config.temporal.taskQueue,
      ...overrides,
    });
    created.push(scheduleId);
    return scheduleId;
  };

  it('round-trips create, describe, pause, unpause and delete', async () => {
    const id = await create({ overlap: 'BUFFER_ONE', catchupWindowMs: 86_400_000, pauseOnFailure: true });
    const described = await schedules.describe(id);
    expect(described).toMatchObject({
      workflowType: 'dailySalesReportWorkflow',
      cron: '0 6 * * *',
      timezone: 'UTC',
      overlap: 'BUFFER_ONE',
      catchupWindowMs: 86_400_000,
      pauseOnFailure: true,
      paused: false,
    });
    expect(described.nextRuns.length).toBeGreaterThanOrEqual(3);
    for (const next of described.nextRuns) {
      expect(next.toISOString()).toMatch(/T06:00:00\.000Z$/);
      expect(next.getTime()).toBeGreaterThan(Date.now());
    }

    await schedules.pause(id, 'warehouse migration until Monday');
    expect(await schedules.describe(id)).toMatchObject({ paused: true, note: 'warehouse migration until Monday' });
    expect((await schedules.list()).find((s) => s.scheduleId === id)).toMatchObject({
      paused: true,
      cron: '0 6 * * *',
    });
    await schedules.unpause(id, 'migration done');
    expect(await schedules.describe(id)).toMatchObject({ paused: false, note: 'migration done' });

    await schedules.delete(id);
    await expect(schedules.describe(id)).rejects.toThrow(/not found/i);
    await eventually('the schedule to leave the list', async () =>
      (await schedules.list()).every((s) => s.scheduleId !== id),
    );
  });

  it('rejects a bad cron or time zone before calling Temporal', async () => {
    await expect(create({ cron: '0 6 * *' })).rejects.toThrow(/5 fields/);
    await expect(create({ timezone: 'Mars/Olympus' })).rejects.toThrow(/unknown time zone/);
  });

  it('refuses a cron that never fires, and leaves no schedule behind', async () => {
    const scheduleId = uniqueName('never');
    await expect(
      schedules.create({
        job: 'daily-sales',
        scheduleId,
        cron: '0 6 31 4,6 *',
        timezone: 'UTC',
        taskQueue: pipeline.config.temporal.taskQueue,
      }),
    ).rejects.toThrow(/^--cron '0 6 31 4,6 \*' never fires: no date matches it/);
    await expect(schedules.describe(scheduleId)).rejects.toThrow(/not found/i);
  });

  it('reports a triggered run on the day before its scheduled time, and describes its result', async () => {
    const id = await create();
    await schedules.trigger(id);
    const run = await eventually('the triggered run to complete', async () => {
      const d = await schedules.describe(id);
      return d.recentRuns.find((r) => r.status === 'COMPLETED');
    });
    const result = run.result as DailySalesReportResult;
    expect(result.date).toBe(reportDateFor(run.scheduledAt, 'UTC'));
    expect(result.key).toBe(`reports/daily-sales/${result.date}.pdf`);
    expect(run.workflowId.startsWith(`${id}-`)).toBe(true);
  });

  /** Triggers twice while the first run waits for approval, then approves whatever runs until nothing does. */
  async function overlapping(overlap: 'SKIP' | 'BUFFER_ONE') {
    const id = await create({ overlap, input: { date: '2026-02-01', holdForApproval: true } });
    await schedules.trigger(id);
    const first = await eventually('the first run to start', async () => (await schedules.describe(id)).running[0]);
    await eventually('the first run to wait for approval', async () => {
      const stage = await client.workflow.getHandle(first).query<string>('reportStage');
      return stage === 'awaiting-approval';
    });
    await schedules.trigger(id);
    // The second trigger is settled once the schedule counts it as skipped, or holds it in its buffer.
    await eventually('the second trigger to be handled', async () => {
      const d = await schedules.describe(id);
      return overlap === 'SKIP' ? d.numActionsSkippedOverlap === 1 : d.numActionsBuffered === 1;
    });
    expect(await schedules.describe(id)).toMatchObject({ running: [first], numActionsTaken: 1 });

    await client.workflow.getHandle(first).signal('approveReport');
    await client.workflow.getHandle(first).result();
    if (overlap === 'BUFFER_ONE') {
      // Approve whatever the schedule runs next until it has taken both actions; which id the buffered run gets is
      // the scheduler's business, so the runs are told apart by the schedule's own record instead.
      await eventually(
        'the buffered run to start and finish',
        async () => {
          const d = await schedules.describe(id);
          for (const w of d.running)
            await client.workflow
              .getHandle(w)
              .signal('approveReport')
              .catch(() => undefined);
          return d.numActionsTaken === 2 && d.running.length === 0 && d.recentRuns.length === 2;
        },
        120_000,
      );
    }
    return eventually('the schedule to settle', async () => {
      const d = await schedules.describe(id);
      return d.running.length === 0 && d.recentRuns.every((r) => r.status === 'COMPLETED') ? d : undefined;
    });
  }

  it('skips a run triggered while the previous one is still running under SKIP', async () => {
    const d = await overlapping('SKIP');
    expect(d.numActionsTaken).toBe(1);
    expect(d.numActionsSkippedOverlap).toBe(1);
    expect(d.numActionsBuffered).toBe(0);
    expect(d.recentRuns).toHaveLength(1);
  });

  it('runs it after the previous one under BUFFER_ONE', async () => {
    const d = await overlapping('BUFFER_ONE');
    expect(d.numActionsTaken).toBe(2);
    expect(d.numActionsSkippedOverlap).toBe(0);
    expect(d.numActionsBuffered).toBe(0);
    expect(d.recentRuns).toHaveLength(2);
    const [a, b] = d.recentRuns;
    expect(b!.takenAt.getTime()).toBeGreaterThan(a!.takenAt.getTime());
  }, 300_000);

  // A run due at midnight is due at the very start of the range the backfill hands to Temporal.
  it.each(['0 6 * * *', '0 0 * * *'])(
    'backfills 7 days into 7 reports, and again into the same 7 (%s)',
    async (cron) => {
      const bucket = uniqueName('backfill');
      await ensureBucket(pipeline.aws.s3, bucket);
      const id = await create({ cron, input: { outputBucket: bucket } });
      const expected = [1, 2, 3, 4, 5, 6, 7].map((d) => `reports/daily-sales/2026-02-0${d}.pdf`);

      for (const round of [1, 2]) {
        await schedules.backfill(id, '2026-02-01', '2026-02-07');
        await eventually(`backfill round ${round} to finish`, async () => {
          const d = await schedules.describe(id);
          return d.numActionsTaken === 7 * round && d.running.length === 0;
        });
        expect(await listKeys(pipeline.aws, bucket, 'reports/daily-sales/')).toEqual(expected);
      }
      const d = await schedules.describe(id);
      expect(d.recentRuns.every((r) => r.status === 'COMPLETED')).toBe(true);
    },
  );
});
