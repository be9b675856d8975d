/**
 * Sample sources for the demo, tests and benchmark: realistic nightly exports (orders, customers, payments, events,
 * inventory) as CSV or JSON Lines, some gzipped, with a few bad rows each, plus the sources file that describes them.
 * Deterministic by seed, so the expected row counts are known and a "repaired" source is byte-for-byte the original.
 */
import { gzipSync } from 'node:zlib';
import { DeleteObjectsCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { stringify as toYaml } from 'yaml';
import type { EtlSourceDefinition } from '../common/etl-types';
import { seededRandom, type Random } from '../common/random';
import { forEachConcurrently } from '../async';

/** Ways a generated source can be broken on purpose. */
export type EtlFault = 'bad-schema' | 'missing-prefix' | 'corrupt-gzip';

interface Dataset {
  kind: string;
  format: 'csv' | 'jsonl';
  table: string;
  key: string[];
  schema: Record<string, string>;
  row(random: Random, i: number, date: string): Record<string, string | number | boolean | null>;
  /** A row that the schema rejects, and why. */
  bad(random: Random, i: number, date: string): Record<string, string | number | boolean | null>;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const money = (random: Random, max: number): number => Math.round(random() * max * 100) / 100;
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Osaka', 'Lyon', 'Pune', 'Quito', 'Perth'];
const SKUS = ['kb-101', 'ms-220', 'hd-330', 'mn-440', 'cb-550', 'ss-660'];

const DATASETS: Dataset[] = [
  {
    kind: 'orders',
    format: 'csv',
    table: 'orders',
    key: ['order_id'],
    schema: { order_id: 'integer', customer_id: 'integer', amount: 'number', currency: 'string', ordered_on: 'date' },
    row: (r, i, date) => ({
      order_id: i + 1,
      customer_id: 1000 + Math.floor(r() * 5000),
      amount: money(r, 900),
      currency: pick(r, ['EUR', 'USD', 'GBP']),
      ordered_on: date,
    }),
    bad: (r, i, date) => ({ order_id: i + 1, customer_id: 7, amount: 'n/a', currency: 'EUR', ordered_on: date }),
  },
  {
    kind: 'customers',
    format: 'csv',
    table: 'customers',
    key: ['customer_id'],
    schema: { customer_id: 'integer', email: 'string', city: 'string', signed_up: 'date', vip: 'boolean?' },
    row: (r, i) => ({
      customer_id: i + 1,
      email: `user${i + 1}@example.com`,
      city: pick(r, CITIES),
      signed_up: `20${10 + Math.floor(r() * 15)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
      vip: r() < 0.1 ? 'true' : '',
    }),
    bad: (r, i) => ({ customer_id: i + 1, email: `user${i + 1}@example.com`, city: 'Oslo', signed_up: '2024-02-31' }),
  },
  {
    kind: 'payments',
    format: 'jsonl',
    table: 'payments',
    key: ['payment_id'],
    schema: { payment_id: 'string', order_id: 'integer', amount: 'number', paid_at: 'timestamp', method: 'string?' },
    row: (r, i, date) => ({
      payment_id: `pay_${(i + 1).toString(36).padStart(6, '0')}`,
      order_id: 1 + Math.floor(r() * 10_000),
      amount: money(r, 900),
      paid_at: `${date}T${String(Math.floor(r() * 24)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}:00Z`,
      method: pick(r, ['card', 'sepa', 'paypal', null]),
    }),
    bad: (_r, i) => ({
      payment_id: `pay_${(i + 1).toString(36).padStart(6, '0')}`,
      amount: 12.5,
      paid_at: 'yesterday',
    }),
  },
  {
    kind: 'events',
    format: 'jsonl',
    table: 'events',
    key: ['event_id'],
    schema: { event_id: 'integer', user_id: 'integer', event: 'string', at: 'timestamp', value: 'number?' },
    row: (r, i, date) => ({
      event_id: i + 1,
      user_id: 1 + Math.floor(r() * 50_000),
      event: pick(r, ['view', 'click', 'signup', 'purchase']),
      at: `${date}T${String(Math.floor(r() * 24)).padStart(2, '0')}:00:00Z`,
      value: r() < 0.5 ? money(r, 50) : null,
    }),
    bad: (_r, i) => ({ event_id: `e-${i}`, user_id: 3, event: 'view', at: '2024-01-01T00:00:00Z' }),
  },
  {
    kind: 'inventory',
    format: 'csv',
    table: 'inventory',
    key: ['sku', 'warehouse'],
    schema: { sku: 'string', warehouse: 'string', on_hand: 'integer', counted_on: 'date' },
    row: (r, i, date) => ({
      sku: `${pick(r, SKUS)}-${i + 1}`,
      warehouse: `wh-${1 + (i % 4)}`,
      on_hand: Math.floor(r() * 500),
      counted_on: date,
    }),
    bad: (_r, i, date) => ({ sku: `x-${i + 1}`, warehouse: 'wh-1', on_hand: '12.5', counted_on: date }),
  },
];

export interface GenerateOptions {
  s3: S3Client;
  bucket: string;
  /** Key prefix for the data and the sources file. @defaultValue 'etl-demo' */
  prefix?: string;
  sources: number;
  date: string;
  /** Rows per source, drawn between the two bounds. @defaultValue [200, 2000] */
  rows?: [number, number];
  /** One bad row in this many. @defaultValue 50 */
  badEvery?: number;
  /** Files per source, at most. @defaultValue 2 */
  maxFiles?: number;
  /** Exactly this many files per source (instead of a random count up to maxFiles). */
  files?: number;
  seed?: number;
  /** Sources deliberately broken, by index. */
  faults?: Record<number, EtlFault>;
  /** Only write these source indexes' data (e.g. to repair them); the sources file is always written. */
  only?: number[];
  /** Objects written at once. @defaultValue 16 */
  concurrency?: number;
}

export interface GeneratedSource {
  index: number;
  name: string;
  table: string;
  format: 'csv' | 'jsonl';
  gzip: boolean;
  files: number;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  fault?: EtlFault;
}

export interface GeneratedSources {
  /** Key of the sources file in the bucket. */
  configKey: string;
  definitions: EtlSourceDefinition[];
  sources: GeneratedSource[];
  objects: number;
  bytes: number;
}

function encode(format: 'csv' | 'jsonl', schema: Record<string, string>, rows: Record<string, unknown>[]): string {
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const columns = Object.keys(schema);
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** Deletes every object under `prefix`, however many pages the listing takes. */
async function clearPrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys: { Key: string }[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push({ Key: object.Key });
  }
  // One DeleteObjects request takes at most 1,000 keys.
  for (let at = 0; at < keys.length; at += 1000) {
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(at, at + 1000), Quiet: true } }),
    );
    const failed = deleted.Errors ?? [];
    if (failed.length > 0) {
      throw new Error(
        `could not delete ${failed.length} objects under s3://${bucket}/${prefix}, e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`,
      );
    }
  }
}

/** Writes the sample sources (and their sources file) to S3 and returns what a correct load must produce. */
export async function generateSampleSources(options: GenerateOptions): Promise<GeneratedSources> {
  const prefix = (options.prefix ?? 'etl-demo').replace(/\/+$/, '');
  const [minRows, maxRows] = options.rows ?? [200, 2000];
  const badEvery = options.badEvery ?? 50;
  const seed = options.seed ?? 42;
  const faults = options.faults ?? {};
  const definitions: EtlSourceDefinition[] = [];
  const sources: GeneratedSource[] = [];
  const writes: { key: string; body: Buffer }[] = [];
  const clears: string[] = [];
  const width = String(Math.max(options.sources - 1, 1)).length;

  for (let index = 0; index < options.sources; index++) {
    const random = seededRandom(seed * 100_003 + index);
    const dataset = DATASETS[index % DATASETS.length]!;
    const name = `${dataset.kind}-${String(index).padStart(width, '0')}`;
    const fault = faults[index];
    const gzip = fault === 'corrupt-gzip' || index % 3 === 2;
    const rowCount = minRows + Math.floor(random() * (maxRows - minRows + 1));
    const drawnFiles = 1 + Math.floor(random() * (options.maxFiles ?? 2));
    const files = options.files ?? drawnFiles;
    const location = `${prefix}/${name}/dt={date}/`;
    definitions.push({
      name,
      location,
      format: dataset.format,
      table: dataset.table,
      key: dataset.key,
      schema: dataset.schema,
    });
    let rejected = 0;
    const rows = Array.from({ length: rowCount }, (_, i) => {
      if (badEvery > 0 && i % badEvery === badEvery - 1) {
        rejected++;
        return dataset.bad(random, i, options.date);
      }
      return dataset.row(random, i, options.date);
    });
    sources.push({
      index,
      name,
      table: dataset.table,
      format: dataset.format,
      gzip,
      files,
      rowsRead: rowCount,
      rowsWritten: rowCount - rejected,
      rowsRejected: rejected,
      fault,
    });
    if (options.only && !options.only.includes(index)) continue;
    const dir = location.replace('{date}', options.date);
    clears.push(dir);
    if (fault === 'missing-prefix') continue;
    const per = Math.ceil(rowCount / files);
    for (let f = 0; f < files; f++) {
      const part = rows.slice(f * per, (f + 1) * per);
      let schema = dataset.schema;
      let partRows: Record<string, unknown>[] = part;
      if (fault === 'bad-schema') {
        // The export renamed its second column: a schema change upstream.
        const [first, second, ...rest] = Object.keys(dataset.schema);
        const renamed = `${second}_v2`;
        schema = Object.fromEntries([first, renamed, ...rest].map((c) => [c!, 'string']));
        partRows = part.map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k === second ? renamed : k, v])),
        );
      }
      let body = Buffer.from(encode(dataset.format, schema, partRows));
      if (gzip) body = gzipSync(body);
      if (fault === 'corrupt-gzip') body = Buffer.concat([body.subarray(0, 10), Buffer.from('garbage, not deflate')]);
      const ext = dataset.format === 'csv' ? 'csv' : 'jsonl';
      writes.push({ key: `${dir}part-${String(f).padStart(4, '0')}.${ext}${gzip ? '.gz' : ''}`, body });
    }
  }

  const configKey = `${prefix}/sources.yaml`;
  const yaml = toYaml({ bucket: options.bucket, sources: definitions }, { lineWidth: 0 });
  writes.push({ key: configKey, body: Buffer.from(yaml) });
  const concurrency = options.concurrency ?? 16;
  await forEachConcurrently(clears, concurrency, (dir) => clearPrefix(options.s3, options.bucket, dir));
  await forEachConcurrently(writes, concurrency, async (w) => {
    await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: w.key, Body: w.body }));
  });
  return {
    configKey,
    definitions,
    sources,
    objects: writes.length,
    bytes: writes.reduce((n, w) => n + w.body.length, 0),
  };
}
