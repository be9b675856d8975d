/**
 * The schedule commands as a person types them, through the built CLI against the dev server: seed the database,
 * create, list, describe, trigger (and read the run's result back), pause and unpause with notes, delete.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI_PATH } from '../../../src/paths';
import { createTestPipeline, eventually, uniqueName, type TestPipeline } from '../../support/stack';
import { startReportWorker } from './helpers';

const execFileAsync = promisify(execFile);

describe('ebbflow schedule', () => {
  let pipeline: TestPipeline;
  let stop: () => Promise<void>;
  const ebbflow = async (...args: string[]): Promise<string> =>
    (await execFileAsync(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ...pipeline.env } })).stdout;

  beforeAll(async () => {
    const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-sched-cli-')), 'sales.db');
    pipeline = await createTestPipeline('schedcli', { EBBFLOW_DATABASE_URL: `sqlite:${dbFile}` });
    ({ stop } = await startReportWorker(pipeline.config));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('creates, lists, describes, triggers, pauses, unpauses and deletes a schedule', async () => {
    expect(await ebbflow('seed-data', '--days', '3')).toMatch(/3 days/);
    const id = uniqueName('daily-sales');
    expect(
      await ebbflow(
        'schedule',
        'create',
        'daily-sales',
        '--id',
        id,
        '--cron',
        '30 5 * * *',
        '--timezone',
        'Europe/Berlin',
      ),
    ).toContain(id);

    const listed = (await ebbflow('schedule', 'list')).split('\n');
    expect(listed[0]).toMatch(/^SCHEDULE\s+WORKFLOW\s+CRON\s+ZONE\s+STATE/);
    expect(listed.find((l) => l.startsWith(id))).toMatch(
      /dailySalesReportWorkflow\s+30 5 \* \* \*\s+Europe\/Berlin\s+active/,
    );

    const described = await ebbflow('schedule', 'describe', id, '--next', '3');
    expect(described).toContain('Cron       30 5 * * * in Europe/Berlin');
    expect(described).toMatch(/overlap SKIP/);
    expect(
      described
        .split('Next runs\n')[1]
        ?.split('\n')
        .filter((l) => /^ {2}\d{4}-/.test(l)),
    ).toHaveLength(3);

    expect(await ebbflow('schedule', 'trigger', id)).toContain('overlap SKIP');
    const run = await eventually('the triggered run in describe', async () => {
      const text = await ebbflow('schedule', 'describe', id);
      return text.split('\n').find((l) => l.includes('COMPLETED'));
    });
    expect(run).toMatch(/s3:\/\/.+\/reports\/daily-sales\/\d{4}-\d{2}-\d{2}\.pdf \(\d+ orders\)/);

    expect(await ebbflow('schedule', 'pause', id, '--note', 'warehouse migration')).toContain('Paused');
    expect((await ebbflow('schedule', 'list')).split('\n').find((l) => l.startsWith(id))).toMatch(
      /paused .*warehouse migration$/,
    );
    await ebbflow('schedule', 'unpause', id, '--note', 'migration done');
    expect(await ebbflow('schedule', 'describe', id)).toMatch(/State {6}active — migration done/);

    expect(await ebbflow('schedule', 'delete', id)).toContain(`Deleted ${id}`);
    const gone = await ebbflow('schedule', 'describe', id).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(gone?.code).toBeGreaterThan(0);
    expect(gone?.stderr).toMatch(/not found/i);
  });

  it('refuses a malformed cron with the flag named, before contacting Temporal', async () => {
    const err = await ebbflow('schedule', 'create', 'daily-sales', '--cron', '0 6 * *').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/5 fields/);
  });
});
