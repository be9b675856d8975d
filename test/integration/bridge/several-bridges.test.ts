/**
 * Three `ebbflow bridge` processes on one ingress queue, a few hundred S3 notifications of which some arrive twice:
 * every upload runs exactly once, whichever bridge receives which copy, and nothing is dead-lettered.
 */
import type { Client } from '@temporalio/client';
import { s3WorkflowId } from '../../../src/bridge/workflow-id';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import { queueDepth, s3Notification, send, spawnBridgeProcess, type BridgeProcess } from './support';

const UPLOADS = 240;
const REPEATED = 60;
const bridges: BridgeProcess[] = [];
let client: Client | undefined;

afterAll(async () => {
  for (const b of bridges) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
  await client?.connection.close();
});

it('runs every item exactly once with three bridges on one queue', async () => {
  const p = await createTestPipeline('many', { EBBFLOW_TASK_QUEUE: uniqueName('bridge-many') });
  client = await connectClient(p.config.temporal);
  const bucket = p.resources.inputBucket;
  const items = Array.from({ length: UPLOADS }, (_, i) => ({
    bucket,
    key: `uploads/shot ${i}.png`,
    sequencer: `s${i}`,
  }));
  const env = { EBBFLOW_BRIDGE_WAIT_SECONDS: '1', EBBFLOW_BRIDGE_BATCH_SIZE: '10', EBBFLOW_BRIDGE_RECEIVERS: '2' };
  for (let i = 0; i < 3; i++) bridges.push(await spawnBridgeProcess(p.env, env));

  // Sent while the bridges receive; the repeats interleaved, so copies of one upload often meet in different bridges.
  for (let i = 0; i < UPLOADS; i++) {
    const item = items[i]!;
    await send(p.aws.sqs, p.resources.ingressQueueUrl, s3Notification(item.bucket, item.key, item.sequencer));
    if (i % (UPLOADS / REPEATED) === 0) {
      await send(p.aws.sqs, p.resources.ingressQueueUrl, s3Notification(item.bucket, item.key, item.sequencer));
    }
  }
  const total = async (counter: string) =>
    (await Promise.all(bridges.map((b) => b.counter(counter)))).reduce((sum, n) => sum + n, 0);
  // Every notification and the s3:TestEvent provisioning left. A message whose visibility ran out on a busy machine
  // can be received and deleted twice, so the count alone could be reached with another message still queued.
  await eventually(
    'every message deleted',
    async () =>
      (await total('messages_deleted')) >= UPLOADS + REPEATED + 1 &&
      (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0,
    90_000,
  );

  const runs = await eventually('every run visible', async () => {
    const found: string[] = [];
    for await (const info of client!.workflow.list({ query: `EbbflowSourceBucket = '${bucket}'` })) {
      found.push(info.workflowId);
    }
    return found.length >= UPLOADS && found;
  });
  expect(runs).toHaveLength(UPLOADS);
  expect(new Set(runs)).toEqual(new Set(items.map((item) => s3WorkflowId(item))));
  expect(await total('workflows_started')).toBe(UPLOADS);
  // At least the repeats: SQS delivers at least once, and any extra delivery is absorbed the same way.
  expect(await total('duplicates')).toBeGreaterThanOrEqual(REPEATED);
  // Each bridge took part.
  for (const b of bridges) expect(await b.counter('messages_received')).toBeGreaterThan(0);
  expect(await total('messages_failed')).toBe(0);
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
  for (const b of bridges) b.child.kill('SIGTERM');
  expect(await Promise.all(bridges.map((b) => b.exited))).toEqual([0, 0, 0]);
});
