import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import type { EtlCheckpoint, EtlSourceDefinition } from '../../../src/common/etl-types';
import { runSourceEtl } from '../../../src/etl/pipeline';
import type { Warehouse } from '../../../src/etl/warehouse';

const source: EtlSourceDefinition = {
  name: 'orders',
  location: 'orders/',
  format: 'csv',
  table: 'orders',
  key: ['id'],
  schema: { id: 'integer', amount: 'number' },
};

/** An S3 client whose only object is `orders/part-0.csv`, held in memory. */
function s3With(body: string): S3Client {
  const s3 = new S3Client({ region: 'us-east-1' });
  s3.send = (async (command: { constructor: { name: string } }) => {
    if (command.constructor.name === 'ListObjectsV2Command') {
      return { Contents: [{ Key: 'orders/part-0.csv', Size: body.length }] };
    }
    return { Body: Readable.from([Buffer.from(body)]) };
  }) as S3Client['send'];
  return s3;
}

/** A warehouse that records the batches it is given and starts from `stored`. */
function warehouseFrom(stored?: EtlCheckpoint) {
  const batches: { rows: number; checkpoint: EtlCheckpoint }[] = [];
  const warehouse = {
    ensureTable: async () => undefined,
    readCheckpoint: async () => (stored ? { ...stored, rejectReasons: {} } : undefined),
    loadBatch: async (batch: { rows: readonly unknown[]; checkpoint: EtlCheckpoint }) => {
      batches.push({ rows: batch.rows.length, checkpoint: batch.checkpoint });
    },
  } as unknown as Warehouse;
  return { warehouse, batches };
}

function csv(rows: number, amount: (i: number) => string): string {
  return `id,amount\n${Array.from({ length: rows }, (_, i) => `${i},${amount(i)}\n`).join('')}`;
}

async function run(body: string, warehouse: Warehouse) {
  const progress: EtlCheckpoint[] = [];
  let checks = 0;
  const result = await runSourceEtl({
    s3: s3With(body),
    warehouse,
    source,
    date: '2025-01-01',
    defaultBucket: 'in',
    scope: 'run/orders',
    attempt: 1,
    batchRows: 1000,
    limits: { maxLineBytes: 1 << 20, maxFileBytes: 1 << 30 },
    onProgress: (checkpoint) => progress.push(checkpoint),
    checkCancelled: () => checks++,
  });
  return { result, progress, checks };
}

describe('progress of a source', () => {
  it('is reported every batch of rows read when no row is accepted', async () => {
    const { warehouse, batches } = warehouseFrom();
    const { result, progress, checks } = await run(
      csv(10_000, () => 'n/a'),
      warehouse,
    );
    expect(result).toMatchObject({ rowsRead: 10_000, rowsWritten: 0, rowsRejected: 10_000 });
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(checks).toBeGreaterThanOrEqual(10);
    // What is reported has been committed first, so the heartbeat never runs ahead of the database.
    expect(progress.map((p) => p.offset)).toEqual(batches.map((b) => b.checkpoint.offset));
    expect(progress.slice(0, 3).map((p) => p.offset)).toEqual([1000, 2000, 3000]);
  });

  it('is reported while a resumed attempt skips the rows already loaded, without committing them again', async () => {
    const resumeAt = {
      fileIndex: 0,
      file: 'orders/part-0.csv',
      offset: 9_500,
      rowsRead: 9_500,
      rowsWritten: 9_500,
      rowsRejected: 0,
    };
    const { warehouse, batches } = warehouseFrom(resumeAt);
    const { result, progress, checks } = await run(
      csv(10_000, (i) => String(i)),
      warehouse,
    );
    expect(result).toMatchObject({ rowsRead: 10_000, rowsWritten: 10_000, resumedFrom: resumeAt });
    const whileSkipping = progress.filter((p) => p.offset === resumeAt.offset);
    expect(whileSkipping.length).toBeGreaterThanOrEqual(9);
    expect(whileSkipping.every((p) => p.rowsRead === resumeAt.rowsRead)).toBe(true);
    expect(checks).toBeGreaterThanOrEqual(9);
    expect(batches).toEqual([
      { rows: 500, checkpoint: { ...resumeAt, offset: 10_000, rowsRead: 10_000, rowsWritten: 10_000 } },
    ]);
  });
});
