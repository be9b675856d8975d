/**
 * processImageWorkflow end to end on the real dev server and the AWS emulator: one batch of good and bad images,
 * every good one resized correctly, every bad one in the DLQ with its reason and type.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import sharp from 'sharp';
import { peekDeadLetters, type ReceivedDeadLetter } from '../../../src/aws/dead-letter';
import { DEFAULT_VARIANTS, fitInside, type ProcessImageResult } from '../../../src/common/image-variants';
import { createLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { badImages, colourAt, colourName, goodImages, type BadImage, type GoodImage } from '../../fixtures/images';
import { createTestPipeline, eventually, type TestPipeline } from '../../support/stack';

let pipeline: TestPipeline;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let good: GoodImage[];
let bad: BadImage[];
const results = new Map<string, ProcessImageResult>();
const failures = new Map<string, unknown>();
let deadLetters: ReceivedDeadLetter[];

async function read(bucket: string, key: string): Promise<Buffer> {
  const res = await pipeline.aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

const workflowId = (key: string) => `image-${pipeline.config.temporal.taskQueue}-${key}`;

beforeAll(async () => {
  pipeline = await createTestPipeline('img');
  const logger = createLogger({ level: 'warn' });
  client = await connectClient(pipeline.config.temporal);
  worker = await createWorker({ config: pipeline.config, logger, bundleFromSource: true });
  running = worker.run();
  [good, bad] = await Promise.all([goodImages('batch'), badImages('batch')]);
  const bucket = pipeline.resources.inputBucket;
  await Promise.all(
    [...good, ...bad].map((img) =>
      pipeline.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: img.key, Body: img.data })),
    ),
  );
  // Every image of the batch is started together, each with the message the bridge would have received.
  await Promise.all(
    [...good, ...bad].map(async (img) => {
      const message = JSON.stringify({ Records: [{ s3: { bucket: { name: bucket }, object: { key: img.key } } }] });
      const handle = await client.workflow.start('processImageWorkflow', {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId: workflowId(img.key),
        args: [{ bucket, key: img.key, message, initialRetryIntervalMs: 100 }],
      });
      try {
        results.set(img.key, (await handle.result()) as ProcessImageResult);
      } catch (err) {
        failures.set(img.key, err);
      }
    }),
  );
  deadLetters = await eventually('four dead letters', async () => {
    const letters = await peekDeadLetters(pipeline.aws.sqs, pipeline.resources.dlqUrl, 20, 1);
    return letters.length >= bad.length && letters;
  });
}, 90_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
});

describe('processImageWorkflow on good images', () => {
  it('completes every good image of the batch', () => {
    expect([...failures.keys()].filter((k) => good.some((g) => g.key === k))).toEqual([]);
    expect(results.size).toBe(good.length);
  });

  it.each(['exif-rotated', 'cmyk', 'greyscale', 'png-alpha', 'webp', 'panorama', 'tiny'])(
    '%s: each variant upright, sRGB, white where transparent, never enlarged, at the reported size',
    async (kind) => {
      const image = good.find((g) => g.kind === kind)!;
      const result = results.get(image.key)!;
      expect(result.source).toMatchObject({ width: image.width, height: image.height, bytes: image.data.length });
      expect(result.variants.map((v) => v.variant)).toEqual(DEFAULT_VARIANTS.map((v) => v.name));
      for (const v of result.variants) {
        expect(v.bucket).toBe(pipeline.resources.outputBucket);
        expect(v.key).toBe(`processed/${v.variant}/${pipeline.resources.inputBucket}/${image.key}`);
        const stored = await read(v.bucket, v.key);
        expect(stored.length).toBe(v.bytes);
        const meta = await sharp(stored).metadata();
        expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, width: v.width, height: v.height });
        expect(meta.orientation ?? 1).toBe(1);
        const spec = DEFAULT_VARIANTS.find((d) => d.name === v.variant)!;
        expect({ width: v.width, height: v.height }).toEqual(fitInside(image, spec));
        expect(v.width).toBeLessThanOrEqual(image.width);
        expect(v.height).toBeLessThanOrEqual(image.height);
        const x = Math.floor(v.width / 2);
        expect(colourName(await colourAt(stored, x, Math.floor(v.height / 4)))).toBe(image.top);
        expect(colourName(await colourAt(stored, x, Math.floor((v.height * 3) / 4)))).toBe(image.bottom);
      }
    },
  );

  it('is findable by its source object through the search attributes', async () => {
    const image = good.find((g) => g.kind === 'exif-rotated')!;
    const query =
      `EbbflowSourceBucket = '${pipeline.resources.inputBucket}' AND ` + `EbbflowSourceKey = '${image.key}'`;
    const ids = await eventually('the run to be indexed', async () => {
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
      return found.length > 0 && found;
    });
    expect(ids).toEqual([workflowId(image.key)]);
  });

  it('writes identical bytes when the same image is processed again', async () => {
    const image = good.find((g) => g.kind === 'webp')!;
    const first = results.get(image.key)!;
    const before = await Promise.all(first.variants.map((v) => read(v.bucket, v.key)));
    const again = (await client.workflow.execute('processImageWorkflow', {
      taskQueue: pipeline.config.temporal.taskQueue,
      workflowId: `${workflowId(image.key)}-again`,
      args: [{ bucket: pipeline.resources.inputBucket, key: image.key }],
    })) as ProcessImageResult;
    expect(again.variants).toEqual(first.variants);
    const after = await Promise.all(first.variants.map((v) => read(v.bucket, v.key)));
    after.forEach((buf, i) => expect(buf.equals(before[i]!)).toBe(true));
  });
});

describe('processImageWorkflow on bad images', () => {
  it.each(['corrupt-jpeg', 'zero-bytes', 'text-as-jpeg', 'header-declares-enormous'])(
    '%s: the workflow fails at once with its typed reason, and the original message is in the DLQ',
    async (kind) => {
      const image = bad.find((b) => b.kind === kind)!;
      const err = failures.get(image.key);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
      expect(cause.type).toBe(image.errorType);

      const letter = deadLetters.find((l) => l.workflowId === workflowId(image.key));
      expect(letter).toBeDefined();
      expect(letter).toMatchObject({ errorType: image.errorType, reason: cause.message, attempts: 1 });
      expect(letter!.reason.length).toBeGreaterThan(10);
      expect(JSON.parse(letter!.body).Records[0].s3.object.key).toBe(image.key);
      expect(results.has(image.key)).toBe(false);
    },
  );

  it('sends nothing else to the DLQ', () => {
    expect(deadLetters).toHaveLength(bad.length);
  });
});
