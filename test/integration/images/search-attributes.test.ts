/**
 * Runs are found by their source object whether the bridge or a person started them; the server is only asked to
 * write the search attributes when the start did not already carry them.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../../src/common/constants';
import { generateSamplePhoto } from '../../../src/images/sample-photos';
import { processImageInput } from '../../../src/images/workflow-input';
import { silentLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { processImageWorkflow } from '../../../workflows';
import { createTestPipeline, eventually } from '../../support/stack';

const SOURCE_BUCKET = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceBucket, 'KEYWORD');
const SOURCE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceKey, 'KEYWORD');

it('upserts the source attributes only for runs started without them, and both are found by key', async () => {
  const pipeline = await createTestPipeline('sa');
  const client: Client = await connectClient(pipeline.config.temporal);
  const bucket = pipeline.resources.inputBucket;
  const photo = await generateSamplePhoto(1, { minSide: 400, maxSide: 500 });
  for (const key of ['by-hand.jpg', 'by-bridge.jpg']) {
    await pipeline.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: photo.data }));
  }
  const worker = await createWorker({ config: pipeline.config, logger: silentLogger, bundleFromSource: true });
  const upserts = await worker.runUntil(async () => {
    const start = (key: string, withAttributes: boolean) =>
      client.workflow.start(processImageWorkflow, {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId: `${pipeline.config.temporal.taskQueue}-${key}`,
        args: [processImageInput(pipeline.config, { bucket, key })],
        typedSearchAttributes: withAttributes
          ? [
              { key: SOURCE_BUCKET, value: bucket },
              { key: SOURCE_KEY, value: key },
            ]
          : undefined,
      });
    const handles = [await start('by-hand.jpg', false), await start('by-bridge.jpg', true)];
    const counts: number[] = [];
    for (const handle of handles) {
      await handle.result();
      const history = await handle.fetchHistory();
      counts.push(history.events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length);
    }
    return counts;
  });
  expect(upserts).toEqual([1, 0]);
  for (const key of ['by-hand.jpg', 'by-bridge.jpg']) {
    await eventually(`${key} found by its key`, async () => {
      const { count } = await client.workflow.count(
        `${SEARCH_ATTRIBUTES.sourceBucket} = "${bucket}" AND ${SEARCH_ATTRIBUTES.sourceKey} = "${key}"`,
      );
      return count === 1;
    });
  }
  await client.connection.close();
});
