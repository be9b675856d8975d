import { ListObjectsV2Command, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from '../../../src/async';
import { generateSampleSources } from '../../../src/etl/generate';
import { createTestPipeline, type TestPipeline } from '../../support/stack';

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) keys.push(object.Key!);
  }
  return keys;
}

describe('generating sample sources', () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await createTestPipeline('gen');
  });

  it('first removes every object left under a source’s folder, past the first 1,000 a listing returns', async () => {
    const s3 = pipeline.aws.s3;
    const bucket = pipeline.resources.inputBucket;
    const options = { s3, bucket, prefix: 'stale', sources: 1, date: '2026-03-01', rows: [20, 20] as [number, number] };
    const first = await generateSampleSources(options);
    const dir = first.sources[0]!.name;
    const folder = `stale/${dir}/dt=2026-03-01/`;
    const stale = Array.from({ length: 1_100 }, (_, i) => `${folder}old-${String(i).padStart(5, '0')}.csv`);
    await forEachConcurrently(stale, 32, async (key) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    });
    // The emulator, like S3, returns at most 1,000 keys per listing.
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder }));
    expect(page.IsTruncated).toBe(true);

    await generateSampleSources(options);

    const left = await keysUnder(s3, bucket, folder);
    expect(left.filter((key) => key.includes('/old-'))).toEqual([]);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((key) => /\/part-\d{4}\./.test(key))).toBe(true);
  });
});
