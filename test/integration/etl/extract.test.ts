import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listDataFiles, readCsvRecords, type DataFile } from '../../../src/etl/extract';
import { createTestPipeline, type TestPipeline } from '../../support/stack';

describe('reading CSV exports from S3', () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await createTestPipeline('csv');
  });

  async function put(key: string, body: string | Buffer, gzip = false): Promise<DataFile> {
    const bucket = pipeline.resources.inputBucket;
    await pipeline.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { bucket, key, size: body.length, gzip };
  }

  async function records(file: DataFile): Promise<string[][]> {
    const out: string[][] = [];
    for await (const chunk of readCsvRecords(pipeline.aws.s3, file, {
      source: 'test',
      maxLineBytes: 1 << 20,
      maxFileBytes: 1 << 30,
    }))
      out.push(...chunk);
    return out;
  }

  it('keeps line breaks, commas and quotes inside quoted fields, as the generator writes them', async () => {
    const text = 'id,note,amount\r\n1,"two\nlines, and ""quotes""",9.5\r\n\r\n2,plain,3\r\n';
    const expected = [
      ['id', 'note', 'amount'],
      ['1', 'two\nlines, and "quotes"', '9.5'],
      ['2', 'plain', '3'],
    ];
    expect(await records(await put('csv/plain.csv', text))).toEqual(expected);
    expect(await records(await put('csv/zipped.csv.gz', gzipSync(text), true))).toEqual(expected);
  });

  it('lists CSV exports only: a tab-separated file is not one', async () => {
    const gz = gzipSync('id\tnote\n1\tx\n');
    await put('listing/part-0.csv', 'id,note\n1,x\n');
    await put('listing/part-1.csv.gz', gz, true);
    await put('listing/part-2.tsv.gz', gz, true);
    await put('listing/part-3.tsv', 'id\tnote\n1\tx\n');
    const source = { name: 'test', location: 'listing/', format: 'csv' as const, table: 't', key: ['id'], schema: {} };
    const files = await listDataFiles(pipeline.aws.s3, source, pipeline.resources.inputBucket, 'listing/');
    expect(files.map((f) => f.key)).toEqual(['listing/part-0.csv', 'listing/part-1.csv.gz']);
  });

  it('refuses a quote that is never closed, naming the file', async () => {
    const file = await put('csv/open.csv', 'id,note\n1,"never closed\n2,x\n');
    await expect(records(file)).rejects.toMatchObject({
      name: 'EtlCorruptInputError',
      message: expect.stringContaining('csv/open.csv'),
    });
  });
});
