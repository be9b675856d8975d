/**
 * What the end-to-end benchmark measures, set up and warmed: the resize activity in-process over originals already in
 * a bucket (the baseline), a worker process fed by a bridge in this process, a worker process that runs the bridge
 * itself, and a worker of bare workflows (Temporal's own floor). Each side has processed one item before any round, so
 * process start, connections and the workflow bundle stay outside the measured windows, as in a running fleet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { createImageActivities } from '../activities/images';
import { startBridge, WORKFLOW_ID_REUSE_POLICY, type BridgeOptions } from '../src/bridge/bridge';
import { pipelineEnvironment, pipelineNames, provisionPipeline, type PipelineResources } from '../src/aws/provision';
import { sleep } from '../src/async';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { loadConfig, type EbbflowConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { uploadAll, type UploadItem } from '../src/pipeline/upload';
import { NODE_FLAGS } from '../src/node-flags';
import { cliCommand } from '../src/paths';
import { connectClient } from '../src/temporal/connection';
import { searchAttributePairs } from '../src/temporal/search-attributes';
import { createActivityDeps } from '../src/worker/worker';
import type { BenchStack } from './stack';

export interface PipelineRig {
  stack: BenchStack;
  items: UploadItem[];
  /** The baseline's input bucket, every item already in it, and the activities that resize from it. */
  baseline: { inputBucket: string; activities: ReturnType<typeof createImageActivities>; env: MockActivityEnvironment };
  config: EbbflowConfig;
  client: Client;
  /** The pipeline a bridge in this process feeds, and the worker process that drains its task queue. */
  pipeline: PipelineResources;
  worker: ChildProcess;
  bridgeOptions: BridgeOptions;
  /** The pipeline drained by a worker process that runs the bridge itself, on a task queue of its own. */
  bridged: PipelineResources;
  bridgedQueue: string;
  bridgedWorker: ChildProcess;
  bareQueue: string;
  bareWorker: ChildProcess;
}

/** Every process the rig started, for the caller to pin and to stop. */
export function rigProcesses(rig: PipelineRig): ChildProcess[] {
  return [rig.worker, rig.bridgedWorker, rig.bareWorker];
}

/** Resolves once `n` workflows on `taskQueue` have completed. */
async function waitForCompleted(client: Client, taskQueue: string, n: number): Promise<void> {
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`;
  while ((await client.workflow.count(query)).count < n) await sleep(200);
}

/**
 * Starts a bare workflow (one activity that does nothing, scheduled as the image workflow schedules its resize) the
 * way the bridge starts image workflows.
 */
export function startBareWorkflow(rig: PipelineRig, id: string, key: string, sizeBytes: number) {
  return rig.client.workflow.start('bareWorkflow', {
    taskQueue: rig.bareQueue,
    workflowId: id,
    args: [
      {
        bucket: rig.pipeline.inputBucket,
        key,
        sizeBytes,
        localActivityMaxBytes: rig.config.image.localActivityMaxBytes,
        variants: [...DEFAULT_VARIANTS],
      },
    ],
    workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY,
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: searchAttributePairs({
      [SEARCH_ATTRIBUTES.sourceBucket]: rig.pipeline.inputBucket,
      [SEARCH_ATTRIBUTES.sourceKey]: key,
    }),
  });
}

/**
 * Sets every side up on `stack`, each worker process with `workerSlots` activity slots. On failure the processes
 * started so far are stopped; on success the caller stops {@link rigProcesses}.
 */
export async function setUpPipelineRig(
  stack: BenchStack,
  items: UploadItem[],
  workerSlots: number,
): Promise<PipelineRig> {
  const { aws } = stack;
  const env: Record<string, string> = { ...stack.env };
  const children: ChildProcess[] = [];
  let client: Client | undefined;
  try {
    const base = await provisionPipeline(aws, pipelineNames('baseline'));
    await uploadAll(aws.s3, base.inputBucket, items);
    const baseConfig = loadConfig({ ...env, EBBFLOW_OUTPUT_BUCKET: base.outputBucket }, { useDevState: false });
    const activities = createImageActivities(createActivityDeps(baseConfig, silentLogger));

    const pipeline = await provisionPipeline(aws, pipelineNames('pipeline'));
    Object.assign(env, pipelineEnvironment(pipeline), { EBBFLOW_WORKER_MAX_ACTIVITIES: String(workerSlots) });
    const config = loadConfig(env, { useDevState: false });
    client = await connectClient(config.temporal);
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(worker);
    const bridgeOptions: BridgeOptions = { config, logger: silentLogger, client, sqs: aws.sqs, statsIntervalMs: 0 };
    const warmupItem = { ...items[0]!, key: `${config.image.keyPrefix}warmup/first.jpg` };
    const warmup = startBridge(bridgeOptions);
    await uploadAll(aws.s3, pipeline.inputBucket, [warmupItem]);
    await waitForCompleted(client, config.temporal.taskQueue, 1);
    await warmup.stop();

    const bridged = await provisionPipeline(aws, pipelineNames('bridged'));
    const bridgedQueue = `${config.temporal.taskQueue}-bridged`;
    const bridgedWorker = spawn(program, argv, {
      env: {
        ...process.env,
        ...env,
        ...pipelineEnvironment(bridged),
        EBBFLOW_TASK_QUEUE: bridgedQueue,
        EBBFLOW_WORKER_BRIDGE: 'true',
        EBBFLOW_BRIDGE_METRICS_PORT: '0',
      },
      stdio: 'ignore',
    });
    children.push(bridgedWorker);
    await uploadAll(aws.s3, bridged.inputBucket, [warmupItem]);
    await waitForCompleted(client, bridgedQueue, 1);

    // Bare workflows run on a worker process of their own with the same flags and slots.
    const bareQueue = `${config.temporal.taskQueue}-bare`;
    const bareWorker = spawn(process.execPath, [...NODE_FLAGS, path.join(__dirname, 'bare-worker.js')], {
      env: { ...process.env, ...env, BARE_TASK_QUEUE: bareQueue, BARE_SLOTS: String(workerSlots) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(bareWorker);
    const rig: PipelineRig = {
      stack,
      items,
      baseline: { inputBucket: base.inputBucket, activities, env: new MockActivityEnvironment() },
      config,
      client,
      pipeline,
      worker,
      bridgeOptions,
      bridged,
      bridgedQueue,
      bridgedWorker,
      bareQueue,
      bareWorker,
    };
    await (await startBareWorkflow(rig, 'bare-warmup', 'warmup/first.jpg', items[0]!.bytes)).result();
    return rig;
  } catch (err) {
    await client?.connection.close();
    await stopChildren(children);
    throw err;
  }
}

/** Stops the rig's processes, a paused one included. */
export async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children) {
    child.kill('SIGCONT'); // a paused worker must run to take its SIGTERM
    child.kill('SIGTERM');
  }
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
}
