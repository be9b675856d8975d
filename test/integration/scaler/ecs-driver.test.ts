/**
 * The live scaler against real services: the ingress queue in the AWS emulator, a Temporal task queue on the dev
 * server, and an ECS service in the emulator whose desiredCount must follow the decisions. The emulator sets running
 * = desired at once and evaluates no scaling policy: every change seen here was made by ebbflow's scaler.
 */
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { createAwsClients } from '../../../src/aws/clients';
import { silentLogger } from '../../../src/logger';
import { createEcsDriver } from '../../../src/scaler/ecs';
import { cloudWatchPublisher, createScalerMetrics, serveScalerEndpoints } from '../../../src/scaler/metrics';
import { DEFAULT_POLICY } from '../../../src/scaling/policy';
import { createScaler } from '../../../src/scaler/scaler';
import { createSignalReader } from '../../../src/scaler/signals';
import { connectClient } from '../../../src/temporal/connection';
import { eventually, testConfig, uniqueName } from '../../support/stack';

const config = testConfig();
const aws = createAwsClients(config.aws);
let temporal: Client;

beforeAll(async () => {
  temporal = await connectClient(config.temporal);
});
afterAll(async () => {
  await temporal.connection.close();
});

async function ecsService(name: string, desiredCount: number): Promise<{ cluster: string; service: string }> {
  await aws.ecs.send(new CreateClusterCommand({ clusterName: name }));
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [{ name: 'worker', image: 'ebbflow:latest', essential: true }],
    }),
  );
  await aws.ecs.send(
    new CreateServiceCommand({
      cluster: name,
      serviceName: 'worker',
      taskDefinition: name,
      desiredCount,
      launchType: 'FARGATE',
    }),
  );
  return { cluster: name, service: 'worker' };
}

async function sendMessages(queueUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({
      Id: `m${i + j}`,
      MessageBody: `{"n":${i + j}}`,
    }));
    await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}

test('ECS desiredCount follows the decisions: burst → out at once, scale-in only after the cooldown', async () => {
  const name = uniqueName('scale');
  const { cluster, service } = await ecsService(name, 1);
  const { QueueUrl: queueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const driver = createEcsDriver({ ecs: aws.ecs, cluster, service });
  let now = 1_000_000;
  const readSignals = createSignalReader({
    sqs: aws.sqs,
    queueUrl,
    temporal,
    namespace: config.temporal.namespace,
    taskQueue: name,
  });
  const metrics = createScalerMetrics();
  const scaler = createScaler({
    policy: { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 },
    driver,
    logger: silentLogger,
    metrics,
    clock: () => now,
    readSignals,
    publish: cloudWatchPublisher(aws.cloudwatch, `Ebbflow/${name}`, name),
  });

  // Steady: nothing waiting, 1 task → no action.
  const steady = await scaler.tick();
  expect(steady.direction).toBe('none');
  expect((await driver.describe()).desired).toBe(1);

  // Burst: 30 messages and 5 workflows nobody serves yet → 35 waiting → 7 tasks, decided on the first poll.
  await sendMessages(queueUrl!, 30);
  for (let i = 0; i < 5; i++) {
    await temporal.workflow.start('processImageWorkflow', { taskQueue: name, workflowId: `${name}-${i}`, args: [{}] });
  }
  // Visibility counts the starts that no worker has touched yet.
  await eventually('recent starts counted', async () => (await readSignals()).recentStarts === 5);
  // They matter only to a fleet at zero: with a task running, the reader leaves visibility alone.
  expect((await readSignals(Promise.resolve({ running: 0 }))).recentStarts).toBe(5);
  expect((await readSignals(Promise.resolve({ running: 1 }))).recentStarts).toBeUndefined();
  // The task queue's statistics are approximate and lag a little: wait until both queues report everything.
  await eventually('the backlog to be reported', async () => {
    const s = await readSignals();
    return s.queueVisible === 30 && s.taskQueueBacklog === 5;
  });
  now += 5_000;
  const burst = await scaler.tick();
  expect(burst.direction).toBe('out');
  expect(burst.desired).toBe(7);
  expect(burst.reason).toMatch(/^backlog 35 over \d+ tasks?, target 5 → 7/);
  expect(await driver.describe()).toEqual({ desired: 7, running: 7 });

  // Ingress drained: 5 workflow tasks still wait, so after the 300 s cooldown the fleet keeps one task for each.
  await aws.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  await eventually('the ingress queue to be empty', async () => (await readSignals()).queueVisible === 0);
  now += 120_000;
  const held = await scaler.tick();
  expect(held.direction).toBe('none');
  expect(held.reason).toContain('scale-in held');
  // Seven tasks run: the scaler did not ask visibility for recent starts.
  expect(held.signals.running).toBe(7);
  expect(held.signals.recentStarts).toBeUndefined();
  expect((await driver.describe()).desired).toBe(7);
  now += 300_000;
  const scaledIn = await scaler.tick();
  expect(scaledIn.direction).toBe('in');
  expect(scaledIn.reason).toContain('kept at 5, one per waiting item, scale in 7 → 5');
  expect(await driver.describe()).toEqual({ desired: 5, running: 5 });

  // Backlog per task went to CloudWatch, and the endpoints show the same story.
  const listed = await aws.cloudwatch.send(new ListMetricsCommand({ Namespace: `Ebbflow/${name}` }));
  expect(listed.Metrics?.map((m) => m.MetricName)).toEqual(expect.arrayContaining(['BacklogPerTask', 'DesiredTasks']));
  const { server, url } = await serveScalerEndpoints(
    0,
    metrics,
    () => scaler.decisions,
    () => scaler.wake(),
  );
  try {
    const decisions = (await (await fetch(`${url}/decisions?changes=1`)).json()) as {
      direction: string;
      desired: number;
    }[];
    expect(decisions.map((d) => [d.direction, d.desired])).toEqual([
      ['in', 5],
      ['out', 7],
    ]);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/ebbflow_scaler_desired_tasks 5/);
    expect(text).toMatch(/ebbflow_scaler_decisions_total\{direction="out"\} 1/);
    // /wake is a POST, and a scaler that is not waiting at zero says so instead of polling.
    expect((await fetch(`${url}/wake`)).status).toBe(405);
    const wake = await fetch(`${url}/wake`, { method: 'POST' });
    expect([wake.status, await wake.text()]).toEqual([200, expect.stringContaining('not waiting at zero')]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
