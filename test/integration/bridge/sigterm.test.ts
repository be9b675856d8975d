/**
 * `ebbflow bridge` as a real process: SIGTERM in the middle of a stream of messages stops it cleanly (exit 0, final
 * stats logged), and no message is lost: a second bridge finishes the rest, each item started exactly once.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startBridge, type SqsBridge } from '../../../src/bridge/bridge';
import { createLogger } from '../../../src/logger';
import { freePort } from '../../../src/dev/processes';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import { queueDepth, s3Notification, send, startTestWorker, TEST_WORKFLOWS, type RunningWorker } from './support';

const ROOT = path.resolve(__dirname, '../../..');
const COUNT = 40;
let worker: RunningWorker | undefined;
let client: Client | undefined;
let second: SqsBridge | undefined;

afterAll(async () => {
  await second?.stop();
  await worker?.stop();
  await client?.connection.close();
});

it('stops on SIGTERM with exit code 0 and loses no message', async () => {
  const p = await createTestPipeline('sig', { EBBFLOW_TASK_QUEUE: uniqueName('bridge-sigterm') });
  worker = await startTestWorker(p.config);
  client = await connectClient(p.config.temporal);
  const bucket = p.resources.inputBucket;
  for (let i = 0; i < COUNT; i++) {
    await send(p.aws.sqs, p.resources.ingressQueueUrl, s3Notification(bucket, `uploads/photo ${i}.jpg`, `seq-${i}`));
  }

  const metricsPort = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ebbflow.js'), 'bridge'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...p.env,
      EBBFLOW_BRIDGE_METRICS_PORT: String(metricsPort),
      EBBFLOW_LOG_LEVEL: 'info',
      EBBFLOW_BRIDGE_BATCH_SIZE: '2',
      EBBFLOW_BRIDGE_RECEIVERS: '1',
      EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '5s',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // Terminate mid-stream: once some items started, long before all of them.
  await eventually('some items started', async () => {
    let n = 0;
    for await (const _ of client!.workflow.list({ query: `EbbflowSourceBucket = '${bucket}'` })) n++;
    return n >= 3;
  });
  // What it did so far, on its endpoints.
  const health = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as {
    state: string;
    stats: { started: number };
  };
  expect(health.state).toBe('receiving');
  expect(health.stats.started).toBeGreaterThanOrEqual(3);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metrics).toContain('ebbflow_bridge_temporal_reachable 1');
  expect(Number(/^ebbflow_bridge_workflows_started_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000).unref())]);
  expect(code).toBe(0);
  const stopped = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; started?: number })
    .find((l) => l.msg === 'bridge stopped');
  expect(stopped).toBeDefined();
  expect(stopped!.started).toBeGreaterThan(0);
  expect(stopped!.started).toBeLessThan(COUNT);

  second = startBridge({
    config: p.config,
    logger: createLogger({ level: 'warn' }),
    client,
    knownWorkflows: TEST_WORKFLOWS,
    envelopeWorkflows: TEST_WORKFLOWS,
    statsIntervalMs: 0,
  });
  const ids = await eventually(
    'every item started',
    async () => {
      const found: string[] = [];
      for await (const info of client!.workflow.list({ query: `EbbflowSourceBucket = '${bucket}'` })) {
        found.push(info.workflowId);
      }
      return found.length >= COUNT && found;
    },
    30_000,
  );
  expect(ids).toHaveLength(COUNT);
  expect(new Set(ids).size).toBe(COUNT);
  await eventually(
    'the ingress queue drained',
    async () => (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0,
  );
  expect(stopped!.started! + second.stats.started).toBe(COUNT);
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
});
