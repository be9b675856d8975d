/**
 * Temporal stopped for 30 s while messages keep arriving: the bridge pauses receives, keeps what it holds
 * invisible, resumes by itself, and every message completes exactly once with nothing dead-lettered. Runs its own dev
 * server (file-backed, so workflows survive the restart) on its own port.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startBridge, type SqsBridge } from '../../../src/bridge/bridge';
import { createBridgeMetrics } from '../../../src/bridge/metrics';
import { SEARCH_ATTRIBUTES } from '../../../src/common/constants';
import { freePort, startTemporalDevServer, type ManagedProcess } from '../../../src/dev/processes';
import { createLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import { executions, queueDepth, send, startTestWorker, TEST_WORKFLOWS, type RunningWorker } from './support';

const OUTAGE_MS = 30_000;
const logger = createLogger({ level: 'warn' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-outage-'));
let port: number;
let server: ManagedProcess | undefined;
let worker: RunningWorker | undefined;
let client: Client | undefined;
let bridge: SqsBridge | undefined;

function startServer(): Promise<ManagedProcess> {
  return startTemporalDevServer({
    port,
    headless: true,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    searchAttributes: { [SEARCH_ATTRIBUTES.sourceBucket]: 'Keyword', [SEARCH_ATTRIBUTES.sourceKey]: 'Keyword' },
  });
}

afterAll(async () => {
  await bridge?.stop();
  await worker?.stop();
  await client?.connection.close();
  await server?.stop();
});

it('loses nothing while Temporal is down and completes everything once it is back', async () => {
  port = await freePort();
  server = await startServer();
  const p = await createTestPipeline('out', {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    EBBFLOW_TASK_QUEUE: uniqueName('bridge-outage'),
    EBBFLOW_BRIDGE_WAIT_SECONDS: '1',
    EBBFLOW_BRIDGE_MAX_BACKOFF: '2s',
  });
  worker = await startTestWorker(p.config);
  client = await connectClient(p.config.temporal);
  const b = (bridge = startBridge({
    config: p.config,
    logger,
    client,
    knownWorkflows: TEST_WORKFLOWS,
    envelopeWorkflows: TEST_WORKFLOWS,
    statsIntervalMs: 0,
    // Short, so the test also proves held messages are kept invisible by extension rather than redelivered.
    visibilityTimeoutSeconds: 6,
  }));
  const ids: string[] = [];
  const submit = async (): Promise<void> => {
    const id = `job-${ids.length}`;
    ids.push(id);
    await send(p.aws.sqs, p.resources.ingressQueueUrl, { workflow: 'echoWorkflow', id, input: { id } });
  };

  for (let i = 0; i < 3; i++) await submit();
  await eventually('the first jobs started', async () => b.stats.started === 3);

  await server.stop();
  const downAt = Date.now();
  while (Date.now() - downAt < OUTAGE_MS) {
    await submit();
    await new Promise((r) => setTimeout(r, 2500));
  }
  expect(b.temporalReachable).toBe(false);
  expect(b.stats.outages).toBe(1);
  // What an alert would see.
  const metrics = createBridgeMetrics(b);
  expect(await metrics.metrics()).toMatch(/^ebbflow_bridge_temporal_reachable 0$/m);
  expect(await metrics.metrics()).toMatch(/^ebbflow_bridge_temporal_outages_total 1$/m);
  const startedDuringOutage = b.stats.started;
  server = await startServer();

  await eventually('every job started', async () => b.stats.started + b.stats.duplicates >= ids.length, 30_000);
  expect(startedDuringOutage).toBe(3);
  expect(b.temporalReachable).toBe(true);
  expect(await metrics.metrics()).toMatch(/^ebbflow_bridge_temporal_reachable 1$/m);
  for (const id of ids) {
    const workflowId = await eventually(`a run for ${id}`, async () => {
      const found = [];
      for await (const info of client!.workflow.list({ query: `WorkflowType = 'echoWorkflow'` })) found.push(info);
      return found.find((info) => info.workflowId.startsWith(`echo-${id}-`))?.workflowId;
    });
    expect(await client.workflow.getHandle(workflowId).result()).toEqual({ id });
    expect(await executions(client, workflowId)).toHaveLength(1);
  }
  await eventually(
    'the ingress queue drained',
    async () => (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) === 0,
  );
  expect(await queueDepth(p.aws.sqs, p.resources.dlqUrl)).toBe(0);
  expect(b.stats.deadLettered).toBe(0);
});
