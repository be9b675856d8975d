/**
 * Faults at workflow start, injected between a real Temporal server and the bridge by wrapping the connection it is
 * handed: every shared failure (credentials, permissions, namespace, throttling, unavailable) keeps the backlog queued
 * and nothing reaches the DLQ; only INVALID_ARGUMENT dead-letters the message, with its reason; a start the server
 * accepted but whose answer was lost is absorbed; a slow message never holds back its batch-mates' deletes.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Client } from '@temporalio/client';
import { startBridge, type SqsBridge } from '../../../src/bridge/bridge';
import { envelopeWorkflowId } from '../../../src/bridge/workflow-id';
import { createLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName, type TestPipeline } from '../../support/stack';
import { executions, queueDepth, send, startTestWorker, TEST_WORKFLOWS, type RunningWorker } from './support';

const logger = createLogger({ level: 'warn' });
const taskQueue = uniqueName('faults');

type StartRequest = { workflowId?: string | null };
/** What the next starts do: fail with a gRPC code, lose the server's answer, or wait for a release. */
interface Fault {
  code?: number;
  loseAnswer?: boolean;
  holdWorkflowId?: string;
  release?: Promise<void>;
}

let fault: Fault = {};
let real: Client;
let worker: RunningWorker;
const bridges: SqsBridge[] = [];

function grpcError(code: number): Error {
  const metadata = { get: (): string[] => [], getMap: () => ({}) };
  return Object.assign(new Error(`${code} injected`), { code, details: 'injected', metadata });
}

/** A client whose connection passes every call to the real one, except starts, which obey `fault`. */
function faultyClient(connection: Client['connection'], namespace: string): Client {
  const service = connection.workflowService;
  const start = service.startWorkflowExecution.bind(service);
  const faultyService = new Proxy(service, {
    get(target, prop, receiver) {
      if (prop !== 'startWorkflowExecution') return Reflect.get(target, prop, receiver) as unknown;
      return async (request: StartRequest) => {
        const now = fault;
        if (now.code !== undefined) throw grpcError(now.code);
        if (now.holdWorkflowId && request.workflowId === now.holdWorkflowId) await now.release;
        const response = await start(request as Parameters<typeof start>[0]);
        if (now.loseAnswer) {
          fault = {};
          throw grpcError(14);
        }
        return response;
      };
    },
  });
  const faultyConnection = new Proxy(connection, {
    get: (target, prop, receiver) =>
      prop === 'workflowService' ? faultyService : (Reflect.get(target, prop, receiver) as unknown),
  });
  return new Client({ connection: faultyConnection, namespace });
}

/** A fresh pipeline whose queue holds only what each test sends (S3's test event, sent on setup, is purged). */
async function pipeline(): Promise<TestPipeline> {
  const p = await createTestPipeline('flt', {
    EBBFLOW_TASK_QUEUE: taskQueue,
    EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
    EBBFLOW_BRIDGE_MAX_BACKOFF: '300ms',
    EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '2s',
    EBBFLOW_BRIDGE_RECEIVERS: '1',
  });
  await p.aws.sqs.send(new PurgeQueueCommand({ QueueUrl: p.resources.ingressQueueUrl }));
  await eventually('the queue empty', async () => (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0);
  return p;
}

function bridge(p: TestPipeline, sqs?: SQSClient): SqsBridge {
  const b = startBridge({
    config: p.config,
    sqs,
    logger,
    client: faultyClient(real.connection, p.config.temporal.namespace),
    knownWorkflows: TEST_WORKFLOWS,
    envelopeWorkflows: TEST_WORKFLOWS,
    initialBackoffMs: 100,
    statsIntervalMs: 0,
  });
  bridges.push(b);
  return b;
}

const envelope = (id: string) => ({ workflow: 'echoWorkflow', id, input: { id } });

beforeAll(async () => {
  const p = await pipeline();
  real = await connectClient(p.config.temporal);
  worker = await startTestWorker(p.config);
});

afterEach(async () => {
  fault = {};
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
});

afterAll(async () => {
  await worker?.stop();
  await real?.connection.close();
});

describe.each([
  [16, 'UNAUTHENTICATED'],
  [7, 'PERMISSION_DENIED'],
  [5, 'NOT_FOUND'],
  [8, 'RESOURCE_EXHAUSTED'],
  [14, 'UNAVAILABLE'],
])('a start failing with %i %s', (code, name) => {
  it('is an outage: receives pause, the backlog stays queued, nothing is dead-lettered', async () => {
    const p = await pipeline();
    fault = { code };
    const ids = [1, 2, 3].map((i) => `${name}-${i}`);
    for (const id of ids) await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope(id));
    const b = bridge(p);
    // Several outages in a row: each recovery probe succeeds, and the held start fails again.
    await eventually(`three ${name} outages`, async () => (b.outagesByReason.get(name) ?? 0) >= 3, 60_000);
    expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
    expect(await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)).toBe(ids.length);

    fault = {};
    await eventually('the backlog started', async () => b.stats.deleted === ids.length);
    for (const id of ids) {
      expect(await executions(real, workflowIdOf(id))).toHaveLength(1);
    }
    expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
    // Held, never redelivered: each message was received once.
    expect(b.stats.received).toBe(ids.length);
    expect(b.stats.failed).toBe(0);
  });
});

/** The workflow id the bridge derives for an echo envelope with this id. */
function workflowIdOf(id: string): string {
  return envelopeWorkflowId({ kind: 'envelope', workflow: 'echoWorkflow', id, input: {} }, '');
}

it('dead-letters a start Temporal refuses as invalid (INVALID_ARGUMENT), with the reason', async () => {
  const p = await pipeline();
  fault = { code: 3 };
  await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope('invalid-1'));
  const b = bridge(p);
  await eventually('the dead letter', async () => b.stats.deadLettered === 1 && b.stats.deleted === 1);
  expect(b.deadLetteredByType.get('StartRejected')).toBe(1);
  expect(b.stats.outages).toBe(0);
  expect(await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)).toBe(0);
});

it('absorbs a start the server accepted but whose answer was lost: one run, nothing dead-lettered', async () => {
  const p = await pipeline();
  fault = { loseAnswer: true };
  await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope('lost-1'));
  const b = bridge(p);
  await eventually('the message deleted', async () => b.stats.deleted === 1);
  expect(b.outagesByReason.get('UNAVAILABLE')).toBe(1);
  expect(b.stats.started + b.stats.duplicates).toBe(1);
  expect(await executions(real, workflowIdOf('lost-1'))).toHaveLength(1);
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
});

it('deletes each message when its own start is accepted: a slow batch-mate redelivers nothing', async () => {
  const p = await pipeline();
  let release: () => void = () => undefined;
  const slowId = workflowIdOf('batch-slow');
  fault = { holdWorkflowId: slowId, release: new Promise<void>((resolve) => (release = resolve)) };
  const ids = ['batch-slow', 'batch-1', 'batch-2', 'batch-3', 'batch-4'];
  for (const id of ids) await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope(id));
  const b = bridge(p);
  try {
    // Whatever arrived with the slow one is deleted while it is still held.
    await eventually(
      'the batch-mates of the held message deleted',
      async () => b.stats.received >= 2 && b.stats.deleted === b.stats.received - 1,
    );
  } finally {
    release();
  }
  await eventually('all deleted', async () => b.stats.deleted === ids.length);
  expect(b.stats.received).toBe(ids.length);
  expect(b.stats.duplicates).toBe(0);
  for (const id of ids) expect(await executions(real, workflowIdOf(id))).toHaveLength(1);
});

/** Messages in the queue that a receive would get now (not hidden by a visibility timeout). */
async function visible(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

/** The real SQS client, except for the calls `intercept` answers or holds first. */
function interceptedSqs(real: SQSClient, intercept: (command: unknown) => Promise<unknown> | undefined): SQSClient {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (command: Parameters<SQSClient['send']>[0]) => intercept(command) ?? target.send(command);
    },
  });
}

it('a message released at stop stays released: an extension of its visibility still on its way lands first', async () => {
  const p = await pipeline();
  fault = { code: 14 }; // held through an outage, its visibility extended every second
  await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope('release-1'));
  const arrived: number[] = [];
  let extensionOnItsWay: () => void = () => undefined;
  const extending = new Promise<void>((resolve) => (extensionOnItsWay = resolve));
  const calls: Promise<unknown>[] = [];
  const sqs = interceptedSqs(p.aws.sqs, (command) => {
    if (!(command instanceof ChangeMessageVisibilityCommand)) return undefined;
    const seconds = command.input.VisibilityTimeout ?? 0;
    const call = (async () => {
      if (seconds > 0) {
        extensionOnItsWay();
        await new Promise((resolve) => setTimeout(resolve, 700)); // a slow network
      }
      const out = await p.aws.sqs.send(command);
      arrived.push(seconds);
      return out;
    })();
    calls.push(call);
    return call;
  });
  const b = bridge(p, sqs);
  await extending;
  await b.stop();
  await Promise.allSettled(calls);
  expect(b.stats.received).toBe(1);
  expect(arrived).toContain(2);
  expect(arrived.at(-1)).toBe(0);
  await eventually(
    'the message visible again',
    async () => (await visible(p.aws.sqs, p.resources.ingressQueueUrl)) === 1,
  );
});

it('a delete SQS refuses after a dead letter counts the message as failed, left for redelivery', async () => {
  const p = await pipeline();
  fault = { code: 3 }; // INVALID_ARGUMENT: dead-lettered
  await send(p.aws.sqs, p.resources.ingressQueueUrl, envelope('refused-delete-1'));
  const sqs = interceptedSqs(p.aws.sqs, (command) =>
    command instanceof DeleteMessageBatchCommand
      ? Promise.resolve({
          Successful: [],
          Failed: (command.input.Entries ?? []).map((e) => ({
            Id: e.Id,
            Code: 'InternalError',
            Message: 'injected',
            SenderFault: false,
          })),
        })
      : undefined,
  );
  const b = bridge(p, sqs);
  await eventually(
    'the dead letter and the failed delete',
    async () => b.stats.deadLettered === 1 && b.stats.failed === 1,
  );
  expect(b.stats.deleted).toBe(0);
});
