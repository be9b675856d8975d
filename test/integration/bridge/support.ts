/** Shared by the bridge tests: a worker serving the tiny test workflows, and counts read back from Temporal and SQS. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { EbbflowConfig } from '../../../src/config';
import { freePort } from '../../../src/dev/processes';
import { connectionOptions } from '../../../src/temporal/connection';
import { forwardRequest } from '../../support/forward';

const ROOT = path.resolve(__dirname, '../../..');

export const TEST_WORKFLOWS = ['echoWorkflow', 'processImageWorkflow'];

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Runs a worker for the test workflows on the config's task queue until stop(). */
export async function startTestWorker(config: EbbflowConfig): Promise<RunningWorker> {
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../../fixtures/workflows'),
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Every execution (all runs) with this workflow id. */
export async function executions(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(info);
  return found;
}

/** Visible + in flight + delayed messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return Object.values(Attributes).reduce((sum, v) => sum + Number(v), 0);
}

export async function send(sqs: SQSClient, queueUrl: string, body: unknown): Promise<void> {
  await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }),
  );
}

/** An `ebbflow bridge` process, as the CLI runs it, with its endpoints on a port of its own. */
export interface BridgeProcess {
  child: ChildProcess;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string | null>;
  /** What it logged so far (JSON lines on stderr). */
  stderr(): string;
  /** A counter from its /metrics, e.g. `workflows_started` for ebbflow_bridge_workflows_started_total. */
  counter(name: string): Promise<number>;
  healthz(): Promise<Response>;
}

/** Starts `ebbflow bridge` against a test pipeline; `env` on top of the pipeline's. */
export async function spawnBridgeProcess(
  pipelineEnv: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BridgeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ebbflow.js'), 'bridge'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...pipelineEnv,
      EBBFLOW_BRIDGE_METRICS_PORT: String(port),
      EBBFLOW_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    exited,
    stderr: () => stderr,
    async counter(name) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const match = new RegExp(`^ebbflow_bridge_${name}_total (\\d+)$`, 'm').exec(text);
      if (!match) throw new Error(`no ebbflow_bridge_${name}_total in /metrics`);
      return Number(match[1]);
    },
    healthz: () => fetch(`${base}/healthz`),
  };
}

/** Messages of a queue by state: visible, and received but neither deleted nor back yet. */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/** An S3 ObjectCreated notification for an upload, as S3 sends it (key URL-encoded). */
export function s3Notification(bucket: string, key: string, sequencer: string): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: '2025-03-14T09:26:53.123Z',
        s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+'), sequencer } },
      },
    ],
  };
}

/** True when Temporal has a run with this workflow id (read from the execution, not the eventual visibility store). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

/**
 * An HTTP proxy in front of the AWS emulator, for faults the emulator cannot make: `delayMs` holds each request of the
 * named SQS actions (`DeleteMessageBatch`, …) before passing it on; `down()` closes the port and cuts open
 * connections, `up()` listens on the same port again.
 */
export interface AwsProxy {
  url: string;
  delay: Map<string, number>;
  down(): Promise<void>;
  up(): Promise<void>;
}

export async function startAwsProxy(target: string): Promise<AwsProxy> {
  const port = await freePort();
  const upstream = new URL(target);
  const delay = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    const forward = (): void => forwardRequest(upstream, req, res);
    const ms = delay.get(action);
    if (ms) setTimeout(forward, ms);
    else forward();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const up = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    delay,
    up,
    async down() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
