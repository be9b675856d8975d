import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { EtlFanOutResult } from '../../../src/common/etl-types';
import { generateSampleSources } from '../../../src/etl/generate';
import { startEtlRun } from '../../../src/etl/runs';
import { eventually } from '../../support/stack';
import { createEtlHarness, type EtlHarness } from './support';

const CLI = path.resolve(__dirname, '../../../bin/ebbflow.js');
const DATE = '2025-03-15';

describe('a worker killed mid-source', () => {
  let h: EtlHarness;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    h = await createEtlHarness('etl-kill', { EBBFLOW_ETL_BATCH_ROWS: '500' });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h?.close();
  });

  it('is resumed by another worker from the last committed batch, with no row loaded twice or skipped', async () => {
    const generated = await generateSampleSources({
      s3: h.pipeline.aws.s3,
      bucket: h.pipeline.config.pipeline.inputBucket,
      sources: 1,
      date: DATE,
      rows: [60_000, 60_000],
      files: 2,
      seed: 7,
    });
    const source = generated.sources[0]!;
    expect(source.files).toBe(2);

    // The first worker is a separate process, so it can die the hard way.
    child = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, ...h.pipeline.env, EBBFLOW_METRICS_PORT: '0', EBBFLOW_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const id = await startEtlRun(
      h.client,
      {
        sources: generated.configKey,
        date: DATE,
        parallelism: 1,
        maxAttempts: 3,
        retryInitialIntervalMs: 100,
        heartbeatTimeoutMs: 2000,
      },
      { taskQueue: h.pipeline.config.temporal.taskQueue },
    );
    await eventually(
      'a few batches from the first worker',
      async () => (await h.warehouse.loads(`${id}/`)).length >= 4,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const beforeKill = await h.warehouse.loads(`${id}/`);
    const loadedBeforeKill = beforeKill.reduce((n, l) => n + l.toRow - l.fromRow, 0);
    expect(loadedBeforeKill).toBeLessThan(source.rowsRead);

    await h.startWorker();
    const result = (await h.client.workflow.getHandle(id).result()) as EtlFanOutResult;
    const entry = result.entries[0]!;
    expect(entry).toMatchObject({ status: 'succeeded', attempts: 2, rowsRead: source.rowsRead });
    expect(entry.rowsWritten).toBe(source.rowsWritten);
    expect(entry.rowsRejected).toBe(source.rowsRejected);
    expect(entry.retries).toEqual([expect.stringMatching(/^attempt 1: attempt timed out/)]);
    expect(await h.warehouse.countRows(source.table, source.name, DATE)).toBe(source.rowsWritten);

    // The audit of batches: contiguous ranges per file, each row covered once, the second attempt starting where
    // the first one's last committed batch ended.
    const loads = await h.warehouse.loads(`${id}/`);
    expect(new Set(loads.map((l) => l.attempt))).toEqual(new Set([1, 2]));
    const files = [...new Set(loads.map((l) => l.file))];
    expect(files).toHaveLength(2);
    for (const file of files) {
      const ranges = loads.filter((l) => l.file === file).sort((a, b) => a.fromRow - b.fromRow);
      expect(ranges[0]!.fromRow).toBe(0);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.fromRow).toBe(ranges[i - 1]!.toRow);
    }
    expect(loads.reduce((n, l) => n + l.toRow - l.fromRow, 0)).toBe(source.rowsRead);
    // In file and row order, every batch of the first attempt comes before every batch of the second.
    const attempts = loads.map((l) => l.attempt);
    expect(attempts).toEqual([...attempts].sort((x, y) => x - y));
    expect(loadedBeforeKill).toBeGreaterThan(0);
  });
});
