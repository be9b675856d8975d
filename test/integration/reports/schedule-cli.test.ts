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
    expect(gone?.code).toBe(2);
    expect(gone?.stderr).toContain(`no schedule ${id}`);
  });

  /** The exit code and the error output of a command that is expected to fail. */
  const refusal = (...args: string[]): Promise<{ code: number; stderr: string }> =>
    ebbflow(...args).then(
      (stdout) => ({ code: 0, stderr: stdout }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
  const expectOneLine = (result: { code: number; stderr: string }, message: RegExp): void => {
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  };

  it('refuses to create a schedule over an existing one, saying how to replace it', async () => {
    const id = uniqueName('daily-sales');
    await ebbflow('schedule', 'create', 'daily-sales', '--id', id, '--cron', '0 6 * * *');
    try {
      const again = await refusal('schedule', 'create', 'daily-sales', '--id', id, '--cron', '0 7 * * *');
      expectOneLine(again, new RegExp(`schedule ${id} exists already.*ebbflow schedule delete ${id}.*--id`));
      expect(await ebbflow('schedule', 'describe', id)).toContain('Cron       0 6 * * * in UTC');
    } finally {
      await ebbflow('schedule', 'delete', id);
    }
  });

  it('names an unknown schedule id in one line for every command that takes one', async () => {
    const id = uniqueName('no-such-schedule');
    for (const args of [
      ['describe', id],
      ['trigger', id],
      ['pause', id],
      ['unpause', id],
      ['delete', id],
      ['backfill', id, '--from', '2026-02-01', '--to', '2026-02-02'],
    ]) {
      expectOneLine(await refusal('schedule', ...args), new RegExp(`no schedule ${id}.*ebbflow schedule list`));
    }
  });

  it('passes on in one line what Temporal finds wrong with a cron of 5 fields', async () => {
    const result = await refusal(
      'schedule',
      'create',
      'daily-sales',
      '--id',
      uniqueName('bad'),
      '--cron',
      '61 6 * * *',
    );
    expectOneLine(result, /^ebbflow: .*61/);
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
