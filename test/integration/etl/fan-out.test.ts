import { WorkflowFailedError } from '@temporalio/client';
import { Command } from 'commander';
import { registerEtlCommands } from '../../../src/cli/etl';
import { ETL_QUERY_LEDGER, type EtlFanOutResult, type EtlLedger } from '../../../src/common/etl-types';
import { generateSampleSources, type GeneratedSources } from '../../../src/etl/generate';
import { redriveFailedSources, startEtlRun, waitForEtlRun } from '../../../src/etl/runs';
import { createEtlHarness, type EtlHarness } from './support';

const DATE = '2025-03-14';
const FAULTS = { 7: 'bad-schema', 13: 'missing-prefix', 22: 'corrupt-gzip' } as const;
const FLAKY = 30;

describe('fan-out ETL over 50 sources, 10 at a time', () => {
  let h: EtlHarness;
  let generated: GeneratedSources;
  let firstRunId: string;
  let first: EtlFanOutResult;
  let maxInFlight = 0;
  const tables = ['orders', 'customers', 'payments', 'events', 'inventory'];

  const settings = { parallelism: 10, maxAttempts: 3, retryInitialIntervalMs: 100, heartbeatTimeoutMs: 10_000 };
  const snapshot = async (): Promise<unknown[]> =>
    Promise.all(tables.map(async (t) => (await h.warehouse.snapshot(t)).filter((r) => r.etl_date === DATE)));

  beforeAll(async () => {
    h = await createEtlHarness('etl', { EBBFLOW_WORKER_MAX_ACTIVITIES: '12', EBBFLOW_ETL_BATCH_ROWS: '200' });
    const bucket = h.pipeline.config.pipeline.inputBucket;
    generated = await generateSampleSources({
      s3: h.pipeline.aws.s3,
      bucket,
      sources: 50,
      date: DATE,
      rows: [300, 900],
      faults: FAULTS,
    });
    const flakyName = generated.sources[FLAKY]!.name;
    await h.startWorker((input) => {
      // An honest transient failure: the first two attempts of one source lose their connection.
      if (input.name === flakyName && input.attempt <= 2) throw new Error('connection reset by peer (injected)');
    });
    firstRunId = await startEtlRun(
      h.client,
      { sources: generated.configKey, date: DATE, toleratedFailurePercent: 10, ...settings },
      { taskQueue: h.pipeline.config.temporal.taskQueue },
    );
    const handle = h.client.workflow.getHandle(firstRunId);
    const done = handle.result().then((r) => r as EtlFanOutResult);
    let finished = false;
    void done.finally(() => (finished = true));
    while (!finished) {
      const ledger = await handle.query<EtlLedger>(ETL_QUERY_LEDGER).catch(() => undefined);
      if (ledger) {
        const running = ledger.entries.filter((e) => e.status === 'running').length;
        expect(running).toBe(ledger.inFlight);
        maxInFlight = Math.max(maxInFlight, ledger.inFlight);
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    first = await done;
  });

  afterAll(async () => h?.close());

  it('keeps at most 10 sources in flight and reaches 10', () => {
    expect(maxInFlight).toBe(10);
  });

  it('succeeds within 10 % tolerated and records every source with its row counts', async () => {
    expect(first.status).toBe('succeeded');
    expect(first.counts).toEqual({ pending: 0, running: 0, succeeded: 47, failed: 3 });
    expect(first.entries.map((e) => e.index)).toEqual([...Array(50).keys()]);
    for (const source of generated.sources) {
      const entry = first.entries[source.index]!;
      expect(entry.name).toBe(source.name);
      if (source.fault) continue;
      expect([entry.rowsRead, entry.rowsWritten, entry.rowsRejected]).toEqual([
        source.rowsRead,
        source.rowsWritten,
        source.rowsRejected,
      ]);
      expect(await h.warehouse.countRows(source.table, source.name, DATE)).toBe(source.rowsWritten);
      expect(entry.rejectReasons && Object.values(entry.rejectReasons).reduce((a, b) => a + b, 0)).toBe(
        source.rowsRejected,
      );
    }
  });

  it('says which sources failed for good, why, and which one needed three attempts', () => {
    const byIndex = (i: number) => first.entries[i]!;
    expect(byIndex(7)).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'EtlSchemaMismatchError' } });
    expect(byIndex(7).error!.message).toMatch(/lack order_id; fix the export or the schema/);
    expect(byIndex(13)).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'EtlMissingSourceError' } });
    expect(byIndex(13).error!.message).toMatch(/no csv files under|no jsonl files under/);
    expect(byIndex(22)).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'EtlCorruptInputError' } });
    expect(byIndex(22).error!.message).toMatch(/not valid gzip/);
    expect(byIndex(FLAKY)).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(byIndex(FLAKY).retries).toEqual([
      expect.stringMatching(/^attempt 1: connection reset/),
      expect.stringMatching(/^attempt 2: connection reset/),
    ]);
    const others = first.entries.filter((e) => ![7, 13, 22, FLAKY].includes(e.index));
    expect(others.every((e) => e.status === 'succeeded' && e.attempts === 1 && !e.retries)).toBe(true);
  });

  it('fails with 0 % tolerated, naming the three, and a rerun for the same date leaves the warehouse identical', async () => {
    const before = await snapshot();
    const id = await startEtlRun(
      h.client,
      { sources: generated.configKey, date: DATE, toleratedFailurePercent: 0, ...settings },
      { taskQueue: h.pipeline.config.temporal.taskQueue },
    );
    const failure = await h.client.workflow
      .getHandle(id)
      .result()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as { message: string; type?: string };
    expect(cause.type).toBe('EtlToleranceExceededError');
    const names = [7, 13, 22].map((i) => generated.sources[i]!.name);
    expect(cause.message).toBe(`3 of 50 sources failed (6.0% > tolerated 0%): ${names.join(', ')}`);
    const view = await waitForEtlRun(h.client, id);
    expect(view.outcome?.status).toBe('failed');
    expect(view.ledger.counts.succeeded).toBe(47);
    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after.flat().length).toBe(generated.sources.filter((s) => !s.fault).reduce((n, s) => n + s.rowsWritten, 0));
  });

  it('redrives only the failed sources once their data is fixed', async () => {
    const fixed = await generateSampleSources({
      s3: h.pipeline.aws.s3,
      bucket: h.pipeline.config.pipeline.inputBucket,
      sources: 50,
      date: DATE,
      rows: [300, 900],
      only: Object.keys(FAULTS).map(Number),
    });
    expect(fixed.configKey).toBe(generated.configKey);
    const redrive = await redriveFailedSources(h.client, firstRunId, {
      taskQueue: h.pipeline.config.temporal.taskQueue,
    });
    const names = [7, 13, 22].map((i) => generated.sources[i]!.name);
    expect(redrive?.sources).toEqual(names);
    const view = await waitForEtlRun(h.client, redrive!.workflowId);
    expect(view.outcome?.status).toBe('succeeded');
    expect(view.ledger.redriveOf).toBe(firstRunId);
    expect(view.ledger.entries.map((e) => [e.index, e.name, e.status])).toEqual([
      [7, names[0], 'succeeded'],
      [13, names[1], 'succeeded'],
      [22, names[2], 'succeeded'],
    ]);
    const description = await h.client.workflow.getHandle(redrive!.workflowId).describe();
    expect(description.memo?.redriveOf).toBe(firstRunId);
    expect(await h.warehouse.sourcesLoadedBy(`${redrive!.workflowId}/`)).toEqual([...names].sort());
    for (const i of [7, 13, 22]) {
      const s = fixed.sources[i]!;
      expect(view.ledger.entries.find((e) => e.index === i)?.rowsWritten).toBe(s.rowsWritten);
      expect(await h.warehouse.countRows(s.table, s.name, DATE)).toBe(s.rowsWritten);
    }
  });

  it('shows the ledger through ebbflow etl status, as a table and as JSON', async () => {
    const run = async (...args: string[]): Promise<string> => {
      let out = '';
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      try {
        const program = new Command('ebbflow').exitOverride();
        registerEtlCommands(program);
        await program.parseAsync(['node', 'ebbflow', 'etl', ...args]);
      } finally {
        spy.mockRestore();
      }
      return out;
    };
    const text = await run('status', firstRunId, '--once', '--all');
    expect(text).toContain(`${firstRunId}  date ${DATE}  ✔ succeeded`);
    expect(text).toContain('50/50 done: 47 succeeded, 3 failed, 0 running (limit 10), 0 pending');
    expect(text).toMatch(/events-13 +✘ failed +1 +0 +0 +0 .* EtlMissingSourceError: source events-13: no jsonl files/);
    const json = JSON.parse(await run('status', firstRunId, '--json')) as EtlFanOutResult & { outcome: unknown };
    expect(json.counts.failed).toBe(3);
    expect(json.outcome).toMatchObject({ status: 'succeeded' });
  });
});
