/**
 * The live scaler against real services: the ingress queue in the AWS emulator, a Temporal task queue on the dev
 * server, and an ECS service in the emulator whose desiredCount must follow the decisions. The emulator sets running
 * = desired at once and evaluates no scaling policy: every change seen here was made by ebbflow's scaler.
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { createAwsClients } from '../../../src/aws/clients';
import { silentLogger } from '../../../src/logger';
import { createCostMeter, resolveTaskPrice, type CostReading } from '../../../src/scaler/cost-meter';
import { createEcsDriver } from '../../../src/scaler/ecs';
import { FARGATE_PRICES } from '../../../src/simulator/cost';
import { cloudWatchPublisher, createScalerMetrics, serveScalerEndpoints } from '../../../src/scaler/metrics';
import { DEFAULT_POLICY } from '../../../src/scaling/policy';
import { createScaler, type ScalerOptions } from '../../../src/scaler/scaler';
import type { CapacityDriver } from '../../../src/scaler/driver';
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

/** A cluster `name` with a Fargate service `worker` of a 0.5 vCPU, 1 GB task, or of the size `task` gives. */
async function ecsService(
  name: string,
  desiredCount: number,
  task: Partial<RegisterTaskDefinitionCommandInput> = {},
): Promise<{ cluster: string; service: string }> {
  await aws.ecs.send(new CreateClusterCommand({ clusterName: name }));
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [{ name: 'worker', image: 'ebbflow:latest', essential: true }],
      ...task,
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

/** A scaler with a cost meter priced from the driver's task definition, on the test's clock. */
async function meteredScaler(
  driver: CapacityDriver,
  clock: () => number,
  options: Pick<ScalerOptions, 'policy' | 'readSignals'> & Partial<ScalerOptions>,
) {
  const metrics = createScalerMetrics();
  const price = resolveTaskPrice(await driver.taskSize!(), {});
  metrics.priced(price);
  const meter = createCostMeter(price, clock(), clock);
  const scaler = createScaler({ driver, logger: silentLogger, metrics, meter, clock, ...options });
  return { scaler, metrics, meter, price };
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

test('the cost estimate prices the service’s task definition: its CPU, memory and architecture', async () => {
  const name = uniqueName('priced');
  // (The emulator keeps no capacity provider strategy on a service, so Spot is covered by the unit test of
  // billedAsSpot.)
  const { cluster, service } = await ecsService(name, 0, {
    cpu: '1024',
    memory: '3072',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  });
  const read = await createEcsDriver({ ecs: aws.ecs, cluster, service }).taskSize!();
  expect(read).toEqual({ vcpu: 1, memoryGb: 3, arm: true, spot: false, source: `ECS task definition ${name}:1` });
  const price = resolveTaskPrice(read, {});
  expect(price.pricing).toBe('arm');
  expect(price.hourly).toBeCloseTo(FARGATE_PRICES.arm.vcpuHour + 3 * FARGATE_PRICES.arm.gbHour, 9);
  // A setting wins over the task definition.
  expect(resolveTaskPrice(read, { pricing: 'on-demand' }).hourly).toBeCloseTo(
    FARGATE_PRICES['on-demand'].vcpuHour + 3 * FARGATE_PRICES['on-demand'].gbHour,
    9,
  );
});

test('a new task definition rolled out is priced from the poll that sees it', async () => {
  const name = uniqueName('resized');
  const { cluster, service } = await ecsService(name, 2);
  const driver = createEcsDriver({ ecs: aws.ecs, cluster, service });
  let now = 1_000_000;
  const {
    scaler,
    metrics,
    meter,
    price: first,
  } = await meteredScaler(driver, () => now, {
    policy: { ...DEFAULT_POLICY, minTasks: 2, maxTasks: 2 },
    priceTasks: async () => resolveTaskPrice(await driver.taskSize!(), {}),
    readSignals: async () => ({
      queueVisible: 0,
      queueInFlight: 0,
      taskQueueBacklog: 0,
      taskQueueBacklogAge: 0,
      taskQueueAddRate: 0,
    }),
  });
  await scaler.tick();
  await aws.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 2 })); // the emulator starts them
  now += 1_000;
  await scaler.tick(); // 2 tasks from here
  now += 3_600_000;
  await scaler.tick(); // two task-hours of 0.5 vCPU, 1 GB
  // A deploy registers a larger task and rolls the service onto it.
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '2048',
      memory: '4096',
      containerDefinitions: [{ name: 'worker', image: 'ebbflow:2', essential: true }],
    }),
  );
  await aws.ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: `${name}:2` }));
  now += 1_000;
  await scaler.tick(); // sees revision 2: a second of the small tasks, then the large ones
  now += 1_800_000;
  const last = await scaler.tick();
  const large = FARGATE_PRICES['on-demand'].vcpuHour * 2 + FARGATE_PRICES['on-demand'].gbHour * 4;
  expect(meter.reading().price).toMatchObject({ vcpu: 2, memoryGb: 4, source: `ECS task definition ${name}:2` });
  expect(last.spent!.taskSeconds).toBe(2 * 3601 + 2 * 1800);
  expect(last.spent!.dollars).toBeCloseTo(((2 * 3601) / 3600) * first.hourly + 1 * large, 9);
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/^ebbflow_scaler_task_hourly_dollars\{vcpu="2",memory_gb="4",pricing="on-demand"\} /m);
  expect(text).not.toMatch(/vcpu="0.5"/);
});

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
  const { scaler, metrics, meter } = await meteredScaler(driver, () => now, {
    policy: { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 },
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
  expect(await driver.describe()).toMatchObject({ desired: 7, running: 7 });

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
  // What the task's size is read from stays with the cost estimate, out of the decision log.
  expect(held.signals).not.toHaveProperty('sizeSource');
  expect((await driver.describe()).desired).toBe(7);
  now += 300_000;
  const scaledIn = await scaler.tick();
  expect(scaledIn.direction).toBe('in');
  expect(scaledIn.reason).toContain('kept at 5, one per waiting item, scale in 7 → 5');
  expect(await driver.describe()).toMatchObject({ desired: 5, running: 5 });
  // What the fleet cost: the tasks each poll saw, or its change left running (the emulator starts them at once and
  // showed the new service's task as not yet running), until the next poll: 7 tasks for 120 s, then for 300 s.
  expect([steady, burst, held, scaledIn].map((d) => [d.signals.running, d.runningAfter])).toEqual([
    [0, undefined],
    [0, 7],
    [7, undefined],
    [7, 5],
  ]);
  const taskSeconds = 7 * 120 + 7 * 300;
  expect(scaledIn.spent?.taskSeconds).toBe(taskSeconds);
  expect(scaledIn.spent?.dollars).toBeCloseTo((taskSeconds / 3600) * 0.024685, 9);

  // Backlog per task went to CloudWatch, and the endpoints show the same story.
  const listed = await aws.cloudwatch.send(new ListMetricsCommand({ Namespace: `Ebbflow/${name}` }));
  expect(listed.Metrics?.map((m) => m.MetricName)).toEqual(
    expect.arrayContaining(['BacklogPerTask', 'DesiredTasks', 'TaskSeconds', 'EstimatedCost']),
  );
  // Each poll published what the fleet spent since the one before: their sum is the whole.
  const stats = await aws.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: `Ebbflow/${name}`,
      MetricName: 'TaskSeconds',
      Dimensions: [{ Name: 'TaskQueue', Value: name }],
      StartTime: new Date(0),
      EndTime: new Date(now + 60_000),
      Period: 86_400,
      Statistics: ['Sum'],
    }),
  );
  expect(stats.Datapoints?.reduce((sum, p) => sum + (p.Sum ?? 0), 0)).toBeCloseTo(taskSeconds, 6);
  const { server, url } = await serveScalerEndpoints(
    0,
    metrics,
    () => scaler.decisions,
    () => scaler.wake(),
    () => meter.reading(),
  );
  try {
    const cost = (await (await fetch(`${url}/cost`)).json()) as CostReading;
    expect(cost).toMatchObject({ taskSeconds, price: { vcpu: 0.5, memoryGb: 1, pricing: 'on-demand' } });
    expect(cost.price.source).toBe(`ECS task definition ${name}:1`);
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
    expect(text).toMatch(new RegExp(`^ebbflow_scaler_task_seconds_total ${taskSeconds}$`, 'm'));
    const hourly = /^ebbflow_scaler_task_hourly_dollars\{vcpu="0.5",memory_gb="1",pricing="on-demand"\} (\S+)$/m.exec(
      text,
    );
    expect(Number(hourly?.[1])).toBeCloseTo(0.024685, 9);
    expect(Number(/^ebbflow_scaler_estimated_cost_dollars_total (\S+)$/m.exec(text)?.[1])).toBeCloseTo(cost.dollars, 9);
    // /wake is a POST, and a scaler that is not waiting at zero says so instead of polling.
    expect((await fetch(`${url}/wake`)).status).toBe(405);
    const wake = await fetch(`${url}/wake`, { method: 'POST' });
    expect([wake.status, await wake.text()]).toEqual([200, expect.stringContaining('not waiting at zero')]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
