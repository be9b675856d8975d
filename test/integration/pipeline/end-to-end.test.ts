/**
 * The whole per-message pipeline on the real stack: uploads to S3 fire notifications into SQS, the bridge starts one
 * workflow per object, workers resize, variants land in the output bucket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type ObjectVersion,
} from '@aws-sdk/client-s3';
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import sharp from 'sharp';
import { startBridge, type SqsBridge } from '../../../src/bridge/bridge';
import { DEFAULT_VARIANTS, fitInside, variantKey } from '../../../src/common/image-variants';
import { writeSamplePhotos } from '../../../src/images/sample-photos';
import { silentLogger } from '../../../src/logger';
import { countWorkflows, queueDepth } from '../../../src/pipeline/status';
import { collectUploads, uploadAll, type UploadItem } from '../../../src/pipeline/upload';
import { cliCommand } from '../../../src/paths';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { createTestPipeline, eventually, type TestPipeline } from '../../support/stack';

async function photos(
  count: number,
  seed: number,
): Promise<{ items: UploadItem[]; sizes: Map<string, [number, number]> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-e2e-'));
  // Sides from 500 to 2400 px: some below every variant, some above the largest.
  const sizes = new Map<string, [number, number]>();
  await writeSamplePhotos(dir, count, {
    seed,
    minSide: 500,
    maxSide: 2400,
    onPhoto: (photo) => sizes.set(photo.name, [photo.width, photo.height]),
  });
  return { items: collectUploads([dir], `uploads/batch-${seed}`), sizes };
}

async function completed(client: Client, pipeline: TestPipeline, total: number, timeoutMs: number): Promise<void> {
  await eventually(
    `${total} completed workflows`,
    async () => {
      const w = await countWorkflows(client, pipeline.config.temporal.taskQueue);
      if (w.failed > 0) throw new Error(`${w.failed} workflows failed`);
      return w.completed >= total;
    },
    timeoutMs,
    500,
  );
}

// Each test waits for its workflows within its own budget (see `completed`); the test timeouts sit above those budgets,
// so a slow machine fails on what did not complete, not on jest's default timeout.
describe('uploads to processed variants, end to end', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient((await createTestPipeline('e2e-client')).config.temporal);
  });
  afterAll(async () => {
    await client.connection.close();
  });

  it('turns 100 uploads into 100 completed workflows and 300 correctly sized variants, leaving the queue empty', async () => {
    const pipeline = await createTestPipeline('e2e100');
    const { items, sizes } = await photos(100, 7);
    const worker: Worker = await createWorker({
      config: pipeline.config,
      logger: silentLogger,
      bundleFromSource: true,
    });
    const bridge: SqsBridge = startBridge({
      config: pipeline.config,
      logger: silentLogger,
      client,
      sqs: pipeline.aws.sqs,
      waitTimeSeconds: 1,
    });
    await worker.runUntil(async () => {
      await uploadAll(pipeline.aws.s3, pipeline.resources.inputBucket, items);
      await completed(client, pipeline, 100, 240_000);
      await bridge.stop();
    });
    // One execution per upload. SQS delivers at least once, so a message may still come twice under load (a late
    // delete, a redelivery); the bridge absorbs that as a duplicate, and the counts below stay exact.
    expect(bridge.stats.started).toBe(100);
    expect(await countWorkflows(client, pipeline.config.temporal.taskQueue)).toEqual({
      running: 0,
      completed: 100,
      failed: 0,
      timedOut: 0,
      terminated: 0,
    });
    // Each photo is far below EBBFLOW_IMAGE_LOCAL_MAX_BYTES, and the bridge passed on its size from the S3 event: the
    // resize ran as a local activity (a marker in the history, no activity task).
    const byKey = new Map(items.map((item) => [item.key, item.bytes]));
    let checked = 0;
    for await (const run of client.workflow.list({ query: `TaskQueue = "${pipeline.config.temporal.taskQueue}"` })) {
      const { events } = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const { EVENT_TYPE_MARKER_RECORDED: marker, EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: activityTask } =
        temporal.api.enums.v1.EventType;
      const types = events!.map((e) => e.eventType).filter((t) => t === marker || t === activityTask);
      const input = events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const { key, sizeBytes } = JSON.parse(Buffer.from(input.data!).toString()) as { key: string; sizeBytes: number };
      expect(sizeBytes).toBe(byKey.get(key));
      expect(types).toEqual([marker]);
      if (++checked === 5) break;
    }
    expect(checked).toBe(5);

    for (const item of items) {
      const [width, height] = sizes.get(path.basename(item.file))!;
      for (const variant of DEFAULT_VARIANTS) {
        const object = await pipeline.aws.s3.send(
          new GetObjectCommand({
            Bucket: pipeline.resources.outputBucket,
            Key: variantKey(variant.name, pipeline.resources.inputBucket, item.key),
          }),
        );
        const meta = await sharp(Buffer.from(await object.Body!.transformToByteArray())).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual([
          'jpeg',
          ...Object.values(fitInside({ width, height }, variant)),
        ]);
      }
    }
    // The queue drains. A message redelivered after its visibility ran out on a loaded machine is received again and
    // deleted as a duplicate, so one can still be in flight for a moment after every workflow has completed.
    await eventually('the ingress queue to drain', async () => {
      const depth = await queueDepth(pipeline.aws.sqs, pipeline.resources.ingressQueueUrl);
      return depth.visible + depth.inFlight === 0;
    });
    expect((await queueDepth(pipeline.aws.sqs, pipeline.resources.dlqUrl)).visible).toBe(0);
  }, 300_000);

  it('finishes every image when the worker is SIGKILLed mid-batch and restarted, never writing two different outputs', async () => {
    // A short attempt timeout bounds the heartbeat timeout, so work lost with the killed worker is retried quickly.
    const pipeline = await createTestPipeline('e2ekill', { EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: '8s' });
    await pipeline.aws.s3.send(
      new PutBucketVersioningCommand({
        Bucket: pipeline.resources.outputBucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const { items } = await photos(40, 11);
    const env = { ...process.env, ...pipeline.env, EBBFLOW_METRICS_PORT: '0', EBBFLOW_WORKER_MAX_ACTIVITIES: '2' };
    const [program, ...argv] = cliCommand('worker');
    const startWorker = (): ChildProcess => spawn(program, argv, { env, stdio: 'ignore' });
    const bridge = startBridge({
      config: pipeline.config,
      logger: silentLogger,
      client,
      sqs: pipeline.aws.sqs,
      waitTimeSeconds: 1,
    });
    let worker = startWorker();
    try {
      await uploadAll(pipeline.aws.s3, pipeline.resources.inputBucket, items);
      await eventually(
        'a few images done',
        async () => (await countWorkflows(client, pipeline.config.temporal.taskQueue)).completed >= 8,
        120_000,
      );
      const killed = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGKILL');
      await killed;
      const before = await countWorkflows(client, pipeline.config.temporal.taskQueue);
      expect(before.completed).toBeLessThan(items.length);
      worker = startWorker();
      await completed(client, pipeline, items.length, 180_000);
    } finally {
      await bridge.stop();
      worker.kill('SIGTERM');
    }

    const versions: ObjectVersion[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await pipeline.aws.s3.send(
        new ListObjectVersionsCommand({
          Bucket: pipeline.resources.outputBucket,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      versions.push(...(page.Versions ?? []));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    const etags = new Map<string, Set<string>>();
    for (const v of versions) etags.set(v.Key!, (etags.get(v.Key!) ?? new Set()).add(v.ETag!));
    expect(etags.size).toBe(items.length * DEFAULT_VARIANTS.length);
    const different = [...etags].filter(([, tags]) => tags.size > 1).map(([key]) => key);
    expect(different).toEqual([]);
  }, 360_000);
});
