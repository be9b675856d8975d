/**
 * The bridge against the real dev server and emulator: duplicates and redeliveries start one execution, and what it
 * cannot start is in the DLQ at once with the reason.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { startBridge, type BridgeOptions, type SqsBridge } from '../../../src/bridge/bridge';
import { serveBridgeEndpoints } from '../../../src/bridge/endpoints';
import { peekDeadLetters } from '../../../src/aws/dead-letter';
import { createLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName, type TestPipeline } from '../../support/stack';
import {
  executions,
  queueCounts,
  queueDepth,
  send,
  startTestWorker,
  TEST_WORKFLOWS,
  type RunningWorker,
} from './support';

const logger = createLogger({ level: 'warn' });
const taskQueue = uniqueName('bridge-idem');
let client: Client;
let worker: RunningWorker;
const bridges: SqsBridge[] = [];

async function pipeline(): Promise<TestPipeline> {
  return createTestPipeline('bri', { EBBFLOW_TASK_QUEUE: taskQueue, EBBFLOW_BRIDGE_WAIT_SECONDS: '1' });
}

function bridge(p: TestPipeline, options: Partial<BridgeOptions> = {}): SqsBridge {
  const b = startBridge({
    config: p.config,
    logger,
    client,
    knownWorkflows: TEST_WORKFLOWS,
    envelopeWorkflows: TEST_WORKFLOWS,
    statsIntervalMs: 0,
    ...options,
  });
  bridges.push(b);
  return b;
}

beforeAll(async () => {
  const p = await pipeline();
  client = await connectClient(p.config.temporal);
  worker = await startTestWorker(p.config);
});

afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

/** Uploads an object and takes its real S3 notification off the queue (dropping the s3:TestEvent). */
async function s3NotificationFor(p: TestPipeline, key: string): Promise<string> {
  await p.aws.s3.send(new PutObjectCommand({ Bucket: p.resources.inputBucket, Key: key, Body: 'x' }));
  return eventually('the S3 notification', async () => {
    const { Messages = [] } = await p.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: p.resources.ingressQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    let body: string | undefined;
    for (const m of Messages) {
      await p.aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: p.resources.ingressQueueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
      if (m.Body?.includes('Records')) body = m.Body;
    }
    return body;
  });
}

describe('the SQS bridge', () => {
  it('starts one execution for the same S3 event delivered twice, and again after it completed', async () => {
    const p = await pipeline();
    const key = 'uploads/my cat+1.jpg';
    const body = await s3NotificationFor(p, key);
    await send(p.aws.sqs, p.resources.ingressQueueUrl, body);
    await send(p.aws.sqs, p.resources.ingressQueueUrl, body);
    const b = bridge(p);

    await eventually(
      'both copies handled',
      async () => b.stats.deleted === 2 && (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0,
    );
    expect(b.stats).toMatchObject({ received: 2, started: 1, duplicates: 1, deadLettered: 0 });

    const found = await eventually('the run, found by its source key', async () => {
      const list: string[] = [];
      for await (const info of client.workflow.list({
        query: `EbbflowSourceKey = '${key}' AND EbbflowSourceBucket = '${p.resources.inputBucket}'`,
      })) {
        list.push(info.workflowId);
      }
      return list.length > 0 && list;
    });
    expect(found).toHaveLength(1);
    const workflowId = found[0]!;
    expect(workflowId).toMatch(/^image-.*uploads\/my_cat\+1\.jpg-[0-9a-f]{32}$/);
    const result = (await client.workflow.getHandle(workflowId).result()) as { source: string };
    expect(result.source).toBe(`${p.resources.inputBucket}/${key}`);

    // A third copy after the run completed is absorbed by the id reuse policy.
    await send(p.aws.sqs, p.resources.ingressQueueUrl, body);
    await eventually('the late copy handled', async () => b.stats.deleted === 3);
    expect(b.stats).toMatchObject({ started: 1, duplicates: 2 });
    expect(await executions(client, workflowId)).toHaveLength(1);
  });

  it('deletes a burst in batches, and no deleted message comes back', async () => {
    const p = await pipeline();
    const count = 150;
    for (let i = 0; i < count; i += 10) {
      const entries = Array.from({ length: 10 }, (_, j) => {
        const id = uniqueName(`burst-${i + j}`);
        return { Id: String(j), MessageBody: JSON.stringify({ workflow: 'echoWorkflow', id, input: { id } }) };
      });
      await p.aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: p.resources.ingressQueueUrl, Entries: entries }));
    }
    // A long visibility timeout: a delete the queue lost would leave its message in flight for the rest of the test.
    const b = bridge(p, { visibilityTimeoutSeconds: 300 });

    await eventually(
      'every message started and every copy received deleted',
      async () => b.stats.started === count && b.stats.deleted === b.stats.received,
      60_000,
    );
    expect(await queueCounts(p.aws.sqs, p.resources.ingressQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    // Provisioning leaves an s3:TestEvent on the queue, acknowledged without a workflow.
    expect(b.stats.deleted).toBeGreaterThanOrEqual(count + 1);
    // Deletes ready together shared requests: one request a message would be 151.
    expect(b.stats.deleteRequests).toBeLessThan(count / 2);
  });

  it('starts one execution when the bridge dies between start and delete and another takes the redelivery', async () => {
    const p = await pipeline();
    const id = uniqueName('order');
    await send(p.aws.sqs, p.resources.ingressQueueUrl, { workflow: 'echoWorkflow', id, input: { id } });
    let crashed: ((workflowId: string) => void) | undefined;
    const started = new Promise<string>((resolve) => (crashed = resolve));
    const first = bridge(p, {
      visibilityTimeoutSeconds: 2,
      afterStart: (_message, results) => {
        crashed?.(results[0]!.workflowId);
        throw new Error('simulated crash after start, before delete');
      },
    });
    const workflowId = await started;
    await first.stop();
    // Provisioning leaves an s3:TestEvent on the queue; only the envelope may stay.
    expect(first.stats).toMatchObject({ started: 1, failed: 1 });
    expect(await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)).toBe(1);

    const second = bridge(p);
    await eventually('the redelivered message handled', async () => second.stats.duplicates === 1, 30_000);
    expect(second.stats).toMatchObject({ started: 0, duplicates: 1, failed: 0 });
    expect(await client.workflow.getHandle(workflowId).result()).toEqual({ id });
    expect(await executions(client, workflowId)).toHaveLength(1);
    expect(await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)).toBe(0);
  });

  it('sends an unparseable message and an envelope naming an unknown workflow to the DLQ at once, with the reason', async () => {
    const p = await pipeline();
    await send(p.aws.sqs, p.resources.ingressQueueUrl, 'this is {not json');
    const unknown = JSON.stringify({ workflow: 'launchRocketWorkflow', id: 'r-1', input: {} });
    await send(p.aws.sqs, p.resources.ingressQueueUrl, unknown);
    await send(p.aws.sqs, p.resources.ingressQueueUrl, { Service: 'Amazon S3', Event: 's3:TestEvent' });
    const b = bridge(p);

    // Four messages: the s3:TestEvent S3 sent when the notification was configured, and ours.
    await eventually('both dead-lettered and everything deleted', async () => b.stats.deleted === 4);
    expect(b.stats).toMatchObject({ received: 4, deadLettered: 2, ignored: 2, started: 0 });
    expect(await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)).toBe(0);
    const letters = await peekDeadLetters(p.aws.sqs, p.resources.dlqUrl, 10);
    const byType = Object.fromEntries(letters.map((l) => [l.errorType, l]));
    expect(letters).toHaveLength(2);
    expect(byType.UnparseableMessage).toMatchObject({ body: 'this is {not json', source: 'bridge', attempts: 1 });
    expect(byType.UnparseableMessage?.reason).toMatch(/not JSON/);
    expect(byType.UnknownWorkflow).toMatchObject({ body: unknown, source: 'bridge', attempts: 1 });
    expect(byType.UnknownWorkflow?.reason).toBe(
      'unknown workflow "launchRocketWorkflow" (the worker serves: echoWorkflow, processImageWorkflow)',
    );

    // The same, as Prometheus scrapes it.
    const { server, url } = await serveBridgeEndpoints(0, b);
    try {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain('ebbflow_bridge_messages_received_total 4');
      expect(text).toContain('ebbflow_bridge_messages_deleted_total 4');
      expect(text).toContain('ebbflow_bridge_dead_lettered_total{error_type="UnparseableMessage"} 1');
      expect(text).toContain('ebbflow_bridge_dead_lettered_total{error_type="UnknownWorkflow"} 1');
      expect(text).toContain('ebbflow_bridge_workflows_started_total 0');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
