/** The resizeImage activity alone (MockActivityEnvironment) against the AWS emulator: S3 edges and heartbeats. */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import sharp from 'sharp';
import { createImageActivities } from '../../../activities/images';
import { DEFAULT_VARIANTS, type ProcessImageResult } from '../../../src/common/image-variants';
import { createLogger } from '../../../src/logger';
import { processImageInput } from '../../../src/images/workflow-input';
import { createActivityDeps } from '../../../src/worker/worker';
import { goodImages } from '../../fixtures/images';
import { createTestPipeline, type TestPipeline } from '../../support/stack';

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await createTestPipeline('img-act', { EBBFLOW_IMAGE_MAX_BYTES: '200000' });
});

type Recorded = { name: string; value: number; tags: Record<string, unknown> };

/** A MetricMeter that records counter increments, with the tags they carry. */
function recordingMeter(records: Recorded[], base: Record<string, unknown> = {}): MetricMeter {
  const unused = () => {
    throw new Error('only counters are expected');
  };
  return {
    createCounter: (name: string) => ({
      add: (value: number, tags: Record<string, unknown> = {}) =>
        records.push({ name, value, tags: { ...base, ...tags } }),
      withTags: unused,
    }),
    createHistogram: unused,
    createGauge: unused,
    createUpDownCounter: unused,
    withTags: (tags: Record<string, unknown>) => recordingMeter(records, { ...base, ...tags }),
  } as unknown as MetricMeter;
}

function activity() {
  const deps = createActivityDeps(pipeline.config, createLogger({ level: 'error' }));
  return createImageActivities({ ...deps, aws: pipeline.aws });
}

async function put(key: string, body: Buffer): Promise<void> {
  await pipeline.aws.s3.send(new PutObjectCommand({ Bucket: pipeline.resources.inputBucket, Key: key, Body: body }));
}

describe('resizeImage', () => {
  it('writes every variant to the configured output bucket and heartbeats along the way', async () => {
    const image = (await goodImages('act')).find((g) => g.kind === 'panorama')!;
    await put(image.key, image.data);
    const metrics: Recorded[] = [];
    // A 1 ms heartbeat timeout: every step after the first instant is "long" and heartbeats.
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1 }, { metricMeter: recordingMeter(metrics) });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input = { bucket: pipeline.resources.inputBucket, key: image.key, variants: [...DEFAULT_VARIANTS] };
    const result = (await env.run(activity().resizeImage, input)) as ProcessImageResult;
    expect(result.source).toEqual({
      bucket: pipeline.resources.inputBucket,
      key: image.key,
      bytes: image.data.length,
      width: 6000,
      height: 1000,
      format: 'jpeg',
    });
    expect(result.variants.map((v) => [v.variant, v.bucket, v.width, v.height])).toEqual([
      ['thumbnail', pipeline.resources.outputBucket, 150, 25],
      ['medium', pipeline.resources.outputBucket, 800, 133],
      ['large', pipeline.resources.outputBucket, 1920, 320],
    ]);
    const large = await pipeline.aws.s3.send(
      new GetObjectCommand({
        Bucket: pipeline.resources.outputBucket,
        Key: `processed/large/${pipeline.resources.inputBucket}/${image.key}`,
      }),
    );
    expect(large.ContentType).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await large.Body!.transformToByteArray())).metadata()).width).toBe(1920);
    const bytesOut = result.variants.reduce((sum, v) => sum + v.bytes, 0);
    expect(metrics.map((m) => [m.name, m.value])).toEqual([
      ['ebbflow_image_bytes_in', image.data.length],
      ['ebbflow_image_bytes_out', bytesOut],
      ['ebbflow_images_processed', 1],
    ]);
    expect(beats).toEqual(expect.arrayContaining(['decode', 'thumbnail', 'upload thumbnail', 'large', 'upload large']));
  });

  it('writes the variants of a key that tries to climb out under its own prefix, escaped', async () => {
    const image = (await goodImages('act')).find((g) => g.kind === 'tiny')!;
    const key = 'act/../../escape\t/./tiny.jpg';
    await put(key, image.data);
    const input = { bucket: pipeline.resources.inputBucket, key, variants: [...DEFAULT_VARIANTS] };
    const result = (await new MockActivityEnvironment().run(activity().resizeImage, input)) as ProcessImageResult;
    const prefix = `processed/thumbnail/${pipeline.resources.inputBucket}/`;
    expect(result.variants[0]!.key).toBe(`${prefix}act/%2E%2E/%2E%2E/escape%09/%2E/tiny.jpg`);
    const listed = await pipeline.aws.s3.send(
      new ListObjectsV2Command({ Bucket: pipeline.resources.outputBucket, Prefix: `${prefix}act/%2E%2E/` }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual([result.variants[0]!.key]);
  });

  it('refuses an original whose output keys would be too long for S3 as non-retryable, before reading it', async () => {
    const input = {
      bucket: pipeline.resources.inputBucket,
      key: `act/${'%'.repeat(400)}.jpg`,
      variants: [...DEFAULT_VARIANTS],
    };
    await expect(new MockActivityEnvironment().run(activity().resizeImage, input)).rejects.toMatchObject({
      type: 'InvalidImageInputError',
      nonRetryable: true,
      message: expect.stringMatching(/would be \d+ bytes, above S3's limit of 1024/),
    });
  });

  it('sends no heartbeat for an attempt that finishes quickly', async () => {
    const image = (await goodImages('quick')).find((g) => g.kind === 'tiny')!;
    await put(image.key, image.data);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input = { bucket: pipeline.resources.inputBucket, key: image.key, variants: [...DEFAULT_VARIANTS] };
    const result = (await env.run(activity().resizeImage, input)) as ProcessImageResult;
    expect(result.variants).toHaveLength(3);
    expect(beats).toEqual([]);
  });

  it('refuses an original above EBBFLOW_IMAGE_MAX_BYTES as non-retryable ImageTooLargeError', async () => {
    const big = await sharp({
      create: {
        width: 1200,
        height: 1200,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(200_000);
    await put('act/big.jpg', big);
    const input = { bucket: pipeline.resources.inputBucket, key: 'act/big.jpg', variants: [...DEFAULT_VARIANTS] };
    await expect(new MockActivityEnvironment().run(activity().resizeImage, input)).rejects.toMatchObject({
      type: 'ImageTooLargeError',
      nonRetryable: true,
      message: expect.stringMatching(/above the limit of 200000/),
    });
  });

  it('fails a missing original as non-retryable ImageNotFoundError, counted by type', async () => {
    const metrics: Recorded[] = [];
    const input = {
      bucket: pipeline.resources.inputBucket,
      key: 'act/never-uploaded.jpg',
      variants: [...DEFAULT_VARIANTS],
    };
    const env = new MockActivityEnvironment({}, { metricMeter: recordingMeter(metrics) });
    await expect(env.run(activity().resizeImage, input)).rejects.toMatchObject({
      type: 'ImageNotFoundError',
      nonRetryable: true,
    });
    expect(metrics).toEqual([
      expect.objectContaining({
        name: 'ebbflow_image_failures',
        value: 1,
        tags: expect.objectContaining({ error_type: 'ImageNotFoundError' }),
      }),
    ]);
  });

  it('fails an original whose bucket does not exist as non-retryable ImageNotFoundError, naming the bucket', async () => {
    const input = { bucket: 'ebbflow-no-such-bucket', key: 'act/a.jpg', variants: [...DEFAULT_VARIANTS] };
    await expect(new MockActivityEnvironment().run(activity().resizeImage, input)).rejects.toMatchObject({
      type: 'ImageNotFoundError',
      nonRetryable: true,
      message: 'bucket ebbflow-no-such-bucket does not exist (reading s3://ebbflow-no-such-bucket/act/a.jpg)',
    });
  });

  it('leaves S3 trouble retryable, with the attempt number for the dead letter', async () => {
    const image = (await goodImages('act')).find((g) => g.kind === 'tiny')!;
    await put(image.key, image.data);
    const input = {
      bucket: pipeline.resources.inputBucket,
      key: image.key,
      outputBucket: 'no-such-bucket-here',
      variants: [...DEFAULT_VARIANTS],
    };
    const env = new MockActivityEnvironment({ attempt: 2 });
    await expect(env.run(activity().resizeImage, input)).rejects.toMatchObject({
      type: 'NoSuchBucket',
      nonRetryable: false,
      details: [{ attempt: 2 }],
    });
  });
});

describe('processImageInput', () => {
  it('carries the EBBFLOW_IMAGE_* settings into the workflow input', () => {
    expect(processImageInput(pipeline.config, { bucket: 'b', key: 'k' }, { message: 'm' })).toEqual({
      bucket: 'b',
      key: 'k',
      maxAttempts: 3,
      initialRetryIntervalMs: 1000,
      activityTimeoutMs: 120_000,
      localActivityMaxBytes: 8 * 1024 * 1024,
      message: 'm',
    });
  });
});
