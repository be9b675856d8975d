/**
 * `ebbflow bridge` killed with SIGKILL while messages are between their workflow start and their delete: the
 * redeliveries are absorbed by the derived workflow ids, so a second bridge finishes the queue with exactly one run per
 * message and nothing dead-lettered. The window between a start and its delete is a few milliseconds against the
 * emulator, so the first bridge talks to SQS through a proxy that holds each DeleteMessageBatch for a second (a slow
 * SQS); the test checks from the data that messages had their workflow started and were still on the queue at the kill.
 */
import type { Client } from '@temporalio/client';
import { s3WorkflowId } from '../../../src/bridge/workflow-id';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import {
  queueCounts,
  queueDepth,
  s3Notification,
  send,
  spawnBridgeProcess,
  startAwsProxy,
  workflowExists,
  type AwsProxy,
  type BridgeProcess,
} from './support';

const COUNT = 200;
const bridges: BridgeProcess[] = [];
let client: Client | undefined;
let proxy: AwsProxy | undefined;

afterAll(async () => {
  for (const b of bridges) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
  await proxy?.down();
  await client?.connection.close();
});

it('starts each message exactly once across a SIGKILL between start and delete', async () => {
  const p = await createTestPipeline('kill', { EBBFLOW_TASK_QUEUE: uniqueName('bridge-kill') });
  client = await connectClient(p.config.temporal);
  const bucket = p.resources.inputBucket;
  const items = Array.from({ length: COUNT }, (_, i) => ({
    bucket,
    key: `uploads/photo ${i}.jpg`,
    sequencer: `q${i}`,
  }));
  for (const item of items) {
    await send(p.aws.sqs, p.resources.ingressQueueUrl, s3Notification(item.bucket, item.key, item.sequencer));
  }
  const env = {
    EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
    EBBFLOW_BRIDGE_BATCH_SIZE: '10',
    EBBFLOW_BRIDGE_RECEIVERS: '2',
    // Short, so the messages the killed process held come back soon.
    EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '3s',
  };

  proxy = await startAwsProxy(p.config.aws.endpoint!);
  proxy.delay.set('DeleteMessageBatch', 1000);
  const first = await spawnBridgeProcess(p.env, { ...env, AWS_ENDPOINT_URL: proxy.url });
  bridges.push(first);
  await eventually(
    'starts under way with messages held',
    async () =>
      (await first.counter('workflows_started')) >= 20 &&
      (await queueCounts(p.aws.sqs, p.resources.ingressQueueUrl)).inFlight > 0,
    60_000,
    50,
  );
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  await proxy.down();

  // What the kill left: runs that exist, and messages still on the queue (in flight or visible).
  const ids = items.map((item) => s3WorkflowId(item));
  const exists = await Promise.all(ids.map((id) => workflowExists(client!, id)));
  const started = exists.filter(Boolean).length;
  const left = await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl);
  // Provisioning left an s3:TestEvent on the queue, which starts nothing: counted as deleted, it makes this a bound.
  const deleted = COUNT + 1 - left;
  expect(started).toBeLessThan(COUNT);
  // Every deleted message has its run; any run beyond those belongs to a message started and not deleted.
  expect(started - deleted).toBeGreaterThanOrEqual(1);

  const second = await spawnBridgeProcess(p.env, env);
  bridges.push(second);
  await eventually(
    'the ingress queue drained',
    async () => (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0,
    90_000,
  );
  const runs = await eventually('every run visible', async () => {
    const found: string[] = [];
    for await (const info of client!.workflow.list({ query: `EbbflowSourceBucket = '${bucket}'` })) {
      found.push(info.workflowId);
    }
    return found.length >= COUNT && found;
  });
  expect(runs).toHaveLength(COUNT);
  expect(new Set(runs)).toEqual(new Set(ids));
  // The redelivered messages whose runs the first process had started were absorbed, not started again.
  expect(await second.counter('workflows_started')).toBe(COUNT - started);
  expect(await second.counter('duplicates')).toBeGreaterThanOrEqual(started - deleted);
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
});
