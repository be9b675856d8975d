/**
 * SQS unreachable while Temporal is up: the bridge reaches the emulator through a proxy that is taken down for a
 * while. The bridge stays up and serves /healthz, logs the failed receives, and once SQS answers again starts what
 * arrived meanwhile: every item runs once, nothing is dead-lettered.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import { queueDepth, send, spawnBridgeProcess, startAwsProxy, type AwsProxy, type BridgeProcess } from './support';

let bridge: BridgeProcess | undefined;
let proxy: AwsProxy | undefined;
let client: Client | undefined;

afterAll(async () => {
  if (bridge && bridge.child.exitCode === null && bridge.child.signalCode === null) bridge.child.kill('SIGKILL');
  await proxy?.down();
  await client?.connection.close();
});

const s3Event = (bucket: string, i: number) => ({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: bucket }, object: { key: `uploads/outage-${i}.jpg`, sequencer: `o${i}` } },
    },
  ],
});

it('stays up while SQS is unreachable, says so, and loses nothing once it is back', async () => {
  const p = await createTestPipeline('sqsdown', { EBBFLOW_TASK_QUEUE: uniqueName('bridge-sqs-down') });
  client = await connectClient(p.config.temporal);
  const bucket = p.resources.inputBucket;
  const queue = p.resources.ingressQueueUrl;
  proxy = await startAwsProxy(p.config.aws.endpoint!);
  bridge = await spawnBridgeProcess(p.env, {
    AWS_ENDPOINT_URL: proxy.url,
    EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
    EBBFLOW_BRIDGE_MAX_BACKOFF: '1s',
  });
  for (let i = 0; i < 5; i++) await send(p.aws.sqs, queue, s3Event(bucket, i));
  await eventually(
    'the first items started and deleted',
    async () => (await bridge!.counter('workflows_started')) === 5 && (await queueDepth(p.aws.sqs, queue)) === 0,
  );

  await proxy.down();
  const failedReceives = () =>
    bridge!
      .stderr()
      .split('\n')
      .filter((line) => line.includes('receive from the ingress queue failed')).length;
  // Sent straight to the emulator while the bridge cannot reach it.
  for (let i = 5; i < 20; i++) await send(p.aws.sqs, queue, s3Event(bucket, i));
  await eventually('failed receives logged and retried', async () => failedReceives() >= 3);
  expect(bridge.child.exitCode).toBeNull();
  const health = await bridge.healthz();
  expect(health.status).toBe(200);
  expect(((await health.json()) as { state: string }).state).toBe('receiving');
  expect(await bridge.counter('workflows_started')).toBe(5);
  expect(await queueDepth(p.aws.sqs, queue)).toBe(15);

  await proxy.up();
  await eventually(
    'everything sent during the outage started',
    async () => (await bridge!.counter('workflows_started')) === 20,
    // A receive caught on a connection the outage left dead fails after the clients' 30 s idle timeout, then retries.
    120_000,
  );
  await eventually('the ingress queue drained', async () => (await queueDepth(p.aws.sqs, queue)) === 0);
  const runs = await eventually('every run visible', async () => {
    const found: string[] = [];
    for await (const info of client!.workflow.list({ query: `EbbflowSourceBucket = '${bucket}'` })) {
      found.push(info.workflowId);
    }
    return found.length >= 20 && found;
  });
  expect(new Set(runs).size).toBe(20);
  expect(runs).toHaveLength(20);
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
}, 240_000);
