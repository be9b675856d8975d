/**
 * `ebbflow etl run` and `etl status` as a person types them, against the dev server, with no worker polling the task
 * queue: a run started there stays running until it is terminated, as a run meets a fleet scaled to zero.
 */
import type { Client } from '@temporalio/client';
import type { EtlCarriedState, EtlFanOutInput, EtlLedger } from '../../../src/common/etl-types';
import { connectClient } from '../../../src/temporal/connection';
import { runCli } from '../../support/cli';
import { createTestPipeline, uniqueName, type TestPipeline } from '../../support/stack';
import { writeTwoRowSources } from './support';

describe('ebbflow etl run', () => {
  let pipeline: TestPipeline;
  let client: Client;
  let sourcesKey: string;

  beforeAll(async () => {
    pipeline = await createTestPipeline('etl-run');
    client = await connectClient(pipeline.config.temporal);
    ({ key: sourcesKey } = await writeTwoRowSources(pipeline, uniqueName('etl-cli'), 2));
  });
  afterAll(async () => {
    await client?.connection.close();
  });

  it('refuses in one line, exit 2, to start a run under the id of a running one', async () => {
    const id = uniqueName('etl-taken');
    const run = (): ReturnType<typeof runCli> =>
      runCli(pipeline.env, 'etl', 'run', '--config', sourcesKey, '--id', id, '--no-watch');
    expect((await run()).code).toBe(0);
    try {
      const again = await run();
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(new RegExp(`^ebbflow: a workflow with id ${id} is running already: .*another id`));
      expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      await client.workflow.getHandle(id).terminate('test done');
    }
  });

  it('refuses, exit 2, a sources file that is neither a local file nor an object in the input bucket', async () => {
    const id = uniqueName('etl-nowhere');
    const missing = `${uniqueName('etl-cli')}/sources.yaml`;
    const out = await runCli(pipeline.env, 'etl', 'run', '--config', missing, '--id', id, '--no-watch');
    expect(out.code).toBe(2);
    expect(out.stderr.trimEnd()).toBe(
      `ebbflow: no sources file ${missing}: not a local file, and s3://${pipeline.config.pipeline.inputBucket}/${missing} does not exist`,
    );
    // Nothing was started.
    await expect(client.workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
    // The same file named as an S3 location that exists starts a run.
    const url = `s3://${pipeline.config.pipeline.inputBucket}/${sourcesKey}`;
    const found = await runCli(pipeline.env, 'etl', 'run', '--config', url, '--id', id, '--no-watch');
    expect(found.code).toBe(0);
    await client.workflow.getHandle(id).terminate('test done');
  });

  it('shows a closed run no worker can replay: its failure, its date, and why its ledger is empty', async () => {
    const id = uniqueName('etl-stopped');
    const started = await runCli(
      pipeline.env,
      'etl',
      'run',
      '--config',
      sourcesKey,
      '--date',
      '2026-03-01',
      '--id',
      id,
      '--no-watch',
    );
    expect(started.code).toBe(0);
    await client.workflow.getHandle(id).terminate('stopped by the operator');
    const status = await runCli(pipeline.env, 'etl', 'status', id);
    expect(status.code).toBe(1);
    expect(status.stderr).toBe('');
    const lines = status.stdout.split('\n');
    expect(lines[0]).toBe(`${id}  date 2026-03-01  ✘ failed: stopped by the operator`);
    expect(lines[1]).toMatch(/^no worker answered for the ledger within 5 s .*: shown as the run started$/);
  });

  it('shows a later run of a continued chain no worker can replay with the sources it carried', async () => {
    const id = uniqueName('etl-continued');
    const carried: EtlCarriedState = {
      date: '2026-03-02',
      startedAt: Date.parse('2026-03-02T05:00:00Z'),
      ledger: [
        [0, 'orders', 2, 1, 120, 118, 2, 900],
        [1, 'refunds', 3, 3, 0, 0, 0, 400, ['EtlSchemaError', 'column amount: not a number']],
        [2, 'events', 0, 0, 0, 0, 0, 0],
      ],
      next: 2,
      continuedRuns: 1,
    };
    const input: EtlFanOutInput = { sources: sourcesKey, date: '2026-03-02', parallelism: 4, carried };
    await client.workflow.start('etlFanOutWorkflow', {
      taskQueue: pipeline.config.temporal.taskQueue,
      workflowId: id,
      args: [input],
    });
    await client.workflow.getHandle(id).terminate('stopped by the operator');
    const status = await runCli(pipeline.env, 'etl', 'status', id, '--json');
    expect(status.code).toBe(1);
    const ledger = JSON.parse(status.stdout) as EtlLedger & { outcome: { message: string }; note: string };
    expect(ledger.outcome.message).toBe('stopped by the operator');
    expect(ledger.note).toMatch(/^no worker answered/);
    expect(ledger).toMatchObject({
      date: '2026-03-02',
      runs: 2,
      parallelism: 4,
      total: 3,
      counts: { pending: 1, running: 0, succeeded: 1, failed: 1 },
    });
    expect(ledger.entries.map((e) => [e.name, e.status])).toEqual([
      ['orders', 'succeeded'],
      ['refunds', 'failed'],
      ['events', 'pending'],
    ]);
  });
});
