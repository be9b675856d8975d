import { PutObjectCommand } from '@aws-sdk/client-s3';
import { stringify as toYaml } from 'yaml';
import { ETL_QUERY_LEDGER, type EtlFanOutResult, type EtlLedger } from '../../../src/common/etl-types';
import { startEtlRun } from '../../../src/etl/runs';
import { eventually } from '../../support/stack';
import { createEtlHarness, type EtlHarness } from './support';

const SOURCES = 2000;
const DATA_PREFIXES = 20;
const ROWS = 5;
const BUDGET = 3000;
const PARALLELISM = 30;

describe('2,000 small sources', () => {
  let h: EtlHarness;

  beforeAll(async () => {
    h = await createEtlHarness('etl-scale', {
      EBBFLOW_WORKER_MAX_ACTIVITIES: String(PARALLELISM),
      EBBFLOW_WORKER_MAX_WORKFLOW_TASKS: '60',
    });
  });
  afterAll(async () => h?.close());

  it('complete through continue-as-new, every run with a bounded history, the ledger answering for all', async () => {
    const bucket = h.pipeline.config.pipeline.inputBucket;
    // Tiny sources share a few data prefixes: this test is about orchestration, not bytes.
    for (let p = 0; p < DATA_PREFIXES; p++) {
      const body = ['id,value', ...Array.from({ length: ROWS }, (_, i) => `${i + 1},${p * 10 + i}`)].join('\n');
      await h.pipeline.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `tiny/p${p}/data.csv`, Body: body }));
    }
    const sources = Array.from({ length: SOURCES }, (_, i) => ({
      name: `tiny-${String(i).padStart(4, '0')}`,
      location: `tiny/p${i % DATA_PREFIXES}/`,
      format: 'csv',
      table: 'tiny',
      key: ['id'],
      schema: { id: 'integer', value: 'number' },
    }));
    await h.pipeline.aws.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'tiny/sources.yaml', Body: toYaml({ sources }) }),
    );
    await h.startWorker();
    const started = Date.now();
    const id = await startEtlRun(
      h.client,
      { sources: 'tiny/sources.yaml', date: '2025-03-16', parallelism: PARALLELISM, continueAsNewAfterEvents: BUDGET },
      { taskQueue: h.pipeline.config.temporal.taskQueue },
    );
    const handle = h.client.workflow.getHandle(id);
    const midRun = await eventually(
      'a later run of the chain answering the query',
      async () => {
        const ledger = await handle.query<EtlLedger>(ETL_QUERY_LEDGER);
        return ledger.runs >= 2 ? ledger : undefined;
      },
      150_000,
      1000,
    );
    expect(midRun.entries).toHaveLength(SOURCES);
    expect(midRun.counts.succeeded).toBeGreaterThan(0);
    expect(midRun.counts.pending).toBeGreaterThan(0);

    const result = (await handle.result()) as EtlFanOutResult;
    const seconds = (Date.now() - started) / 1000;
    expect(result.counts).toEqual({ pending: 0, running: 0, succeeded: SOURCES, failed: 0 });
    expect(result.entries.every((e) => e.rowsWritten === ROWS && e.attempts === 1)).toBe(true);
    expect(result.runs).toBeGreaterThanOrEqual(3);

    const runs: { runId: string; events: number }[] = [];
    for await (const execution of h.client.workflow.list({ query: `WorkflowId = '${id}'` })) {
      const history = await h.client.workflow.getHandle(id, execution.runId).fetchHistory();
      runs.push({ runId: execution.runId, events: history.events?.length ?? 0 });
    }
    expect(runs).toHaveLength(result.runs);
    // Past the budget a run only drains the children in flight: a few events each.
    for (const run of runs) expect(run.events).toBeLessThan(BUDGET + PARALLELISM * 8);
    process.stderr.write(
      `2,000 sources in ${seconds.toFixed(1)} s over ${runs.length} runs: ${runs.map((r) => r.events).join(', ')} events\n`,
    );
  }, 240_000);
});
