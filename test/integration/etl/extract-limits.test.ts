/**
 * The loadEtlSource activity (MockActivityEnvironment) against the AWS emulator, on data files that never end: a
 * gzip bomb and lines without a newline fail the source for good, naming it and the limit, before the worker has
 * read more than the limit.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEtlActivities, type LoadEtlSourceInput } from '../../../activities/etl';
import type { EtlLoadResult, EtlSourceDefinition } from '../../../src/common/etl-types';
import { createLogger } from '../../../src/logger';
import { createActivityDeps } from '../../../src/worker/worker';
import { createTestPipeline, type TestPipeline } from '../../support/stack';

const MAX_LINE = 64 * 1024;
const MAX_FILE = 4 * 1024 * 1024;
let pipeline: TestPipeline;
let activities: ReturnType<typeof createEtlActivities>;

beforeAll(async () => {
  const dir = process.env.EBBFLOW_TEST_DIR ?? process.env.EBBFLOW_STATE_DIR!;
  pipeline = await createTestPipeline('etl-limits', {
    EBBFLOW_DATABASE_URL: `sqlite:${path.join(dir, `etl-limits-${Date.now()}-${process.pid}.db`)}`,
    EBBFLOW_ETL_MAX_LINE_BYTES: String(MAX_LINE),
    EBBFLOW_ETL_MAX_FILE_BYTES: String(MAX_FILE),
  });
  activities = createEtlActivities(createActivityDeps(pipeline.config, createLogger({ level: 'error' })));
});

/** Writes `files` under the source's own prefix and loads the source once. */
async function load(name: string, files: Record<string, Buffer>): Promise<EtlLoadResult> {
  for (const [file, body] of Object.entries(files)) {
    await pipeline.aws.s3.send(
      new PutObjectCommand({ Bucket: pipeline.resources.inputBucket, Key: `limits/${name}/${file}`, Body: body }),
    );
  }
  const definition: EtlSourceDefinition = {
    name,
    location: `limits/${name}/`,
    format: 'csv',
    table: `limits_${name.replace(/-/g, '_')}`,
    key: ['id'],
    schema: { id: 'integer', note: 'string' },
  };
  const input: LoadEtlSourceInput = { index: 0, name, date: '2026-12-01', definition, attempt: 1, scope: name };
  return (await new MockActivityEnvironment().run(activities.loadEtlSource, input)) as EtlLoadResult;
}

const csv = (...lines: string[]) => Buffer.from(lines.join('\n'));

describe('loadEtlSource on files without an end', () => {
  it('fails a gzip bomb for good, naming the source and the limit on the decompressed size', async () => {
    // 64 MiB of newlines after the header: about 64 KiB compressed.
    const bomb = gzipSync(Buffer.concat([csv('id,note', ''), Buffer.alloc(64 * 1024 * 1024, '\n')]), { level: 9 });
    expect(bomb.length).toBeLessThan(MAX_FILE / 16);
    await expect(load('bomb', { 'part-0.csv.gz': bomb })).rejects.toMatchObject({
      type: 'EtlInputTooLargeError',
      nonRetryable: true,
      message: expect.stringMatching(
        new RegExp(
          `^source bomb: s3://\\S+/limits/bomb/part-0\\.csv\\.gz holds more than ${MAX_FILE} bytes once decompressed \\(EBBFLOW_ETL_MAX_FILE_BYTES\\)`,
        ),
      ),
    });
  });

  it.each([
    ['compressed', 'part-0.csv.gz', gzipSync(csv('id,note', '1,a', `2,${'x'.repeat(32 * 1024 * 1024)}`))],
    ['plain', 'part-0.csv', csv('id,note', '1,a', '2,b', `3,${'x'.repeat(MAX_LINE)}`)],
  ])('fails a %s file with a line longer than the limit for good, naming the line', async (kind, file, body) => {
    const line = kind === 'plain' ? 4 : 3;
    await expect(load(`long-line-${kind}`, { [file]: body })).rejects.toMatchObject({
      type: 'EtlInputTooLargeError',
      nonRetryable: true,
      message: expect.stringMatching(
        new RegExp(
          `^source long-line-${kind}: \\S+: line ${line} is longer than ${MAX_LINE} bytes \\(EBBFLOW_ETL_MAX_LINE_BYTES\\)`,
        ),
      ),
    });
  });

  it('loads lines right at the limit, in plain and compressed files', async () => {
    const atLimit = `2,${'y'.repeat(MAX_LINE - 2)}`;
    const body = csv('id,note', '1,a', atLimit, '3,c', '');
    const result = await load('at-limit', { 'part-0.csv': body, 'part-1.csv.gz': gzipSync(body) });
    expect(result).toMatchObject({ files: 2, rowsRead: 6, rowsWritten: 6, rowsRejected: 0 });
  });
});
