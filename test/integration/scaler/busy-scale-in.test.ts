/**
 * Scale-in while activities run, with the local driver as `ebbflow scaler` uses it: real `ebbflow worker` processes
 * (the built CLI) on the Temporal dev server and the emulator. Every original is read through a gate that holds the
 * read until the test lets it go, so the test decides which worker is busy and for how long: the newest worker is
 * kept busy and the oldest idle, a scale-in by one must stop the idle one, and a scale-in to zero must let the busy
 * one finish although its configured shutdown grace (1 s) is far shorter than the activity. No attempt may be lost:
 * both workflows complete (the last step of the second on a worker started afterwards) with their activity's first
 * attempt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import sharp from 'sharp';
import { PROCESS_IMAGE_WORKFLOW, processImageInput } from '../../../src/images/workflow-input';
import { silentLogger } from '../../../src/logger';
import { gracesFor } from '../../../src/scaler/grace';
import { createLocalDriver, type LocalDriver, type WorkerExit } from '../../../src/scaler/local';
import { readWorkerLoad } from '../../../src/scaler/worker-load';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';
import { forwardRequest } from '../../support/forward';

/** A proxy in front of the emulator that holds every read of an object under `hold/` until it is released. */
async function gatedStorage(target: string) {
  const upstream = new URL(target);
  const waiting = new Map<string, () => void>();
  const released = new Set<string>();
  const server = http.createServer((req, res) => {
    const forward = () => forwardRequest(upstream, req, res);
    const name = req.method === 'GET' ? /\/hold\/([^/?]+)/.exec(req.url ?? '')?.[1] : undefined;
    if (name === undefined || released.has(name)) return forward();
    waiting.set(name, forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: (name: string) => waiting.has(name),
    release(name: string) {
      released.add(name);
      waiting.get(name)?.();
      waiting.delete(name);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The pid of the worker whose activity runs in `handle`'s workflow, from the server's record of the attempt. */
async function runningOn(handle: WorkflowHandle): Promise<number | undefined> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const started = pending.find(
    (a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  );
  const pid = Number(started?.lastWorkerIdentity?.split('@')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function activityPollers(client: Client, namespace: string, taskQueue: string): Promise<string[]> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (answer.pollers ?? []).map((p) => p.identity ?? '');
}

test('a scale-in stops the idle worker, and the busy one finishes its activity before it exits', async () => {
  const pipeline = await createTestPipeline('busy', {
    EBBFLOW_WORKER_MAX_ACTIVITIES: '1',
    EBBFLOW_WORKER_SHUTDOWN_GRACE: '1s',
    EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: '60s',
  });
  const { config, aws, resources } = pipeline;
  const storage = await gatedStorage(config.aws.endpoint!);
  const client = await connectClient(config.temporal);
  const exits: WorkerExit[] = [];
  let driver: LocalDriver | undefined;
  try {
    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    const names = ['first.jpg', 'second.jpg'];
    for (const name of names) {
      await aws.s3.send(new PutObjectCommand({ Bucket: resources.inputBucket, Key: `hold/${name}`, Body: photo }));
    }
    driver = createLocalDriver({
      logger: silentLogger,
      env: { ...process.env, ...pipeline.env, AWS_ENDPOINT_URL: storage.url },
      drainGrace: gracesFor(config).drainGrace,
      output: 'ignore',
      onExit: (outcome) => exits.push(outcome),
    });
    const d = driver;
    const { namespace, taskQueue } = config.temporal;
    await d.setDesired(2);
    const [older, newer] = d.workers;
    await eventually(
      'both workers to poll for activities',
      async () => {
        const identities = await activityPollers(client, namespace, taskQueue);
        return [older, newer].every((w) => identities.some((id) => id.startsWith(`${w!.pid}@`)));
      },
      90_000,
      500,
    );

    // One image each: a worker runs one activity at a time, so the second goes to the other worker.
    const handles = new Map<string, WorkflowHandle>();
    for (const name of names) {
      const input = processImageInput(config, { bucket: resources.inputBucket, key: `hold/${name}` });
      handles.set(
        name,
        await client.workflow.start(PROCESS_IMAGE_WORKFLOW, { taskQueue, workflowId: uniqueName(name), args: [input] }),
      );
    }
    const placement = await eventually('both activities to run, one on each worker', async () => {
      if (!names.every((n) => storage.held(n))) return undefined;
      const pids = await Promise.all(names.map((n) => runningOn(handles.get(n)!)));
      return pids.every((p) => p !== undefined) && new Set(pids).size === 2 && pids;
    });
    expect(await d.describe()).toMatchObject({ running: 2, busyTasks: 2, runningActivities: 2 });

    // The older worker's image finishes: it is idle, the newest is still busy.
    const onOlder = names[placement.indexOf(older!.pid!)]!;
    const onNewer = names[placement.indexOf(newer!.pid!)]!;
    storage.release(onOlder);
    await handles.get(onOlder)!.result();
    await eventually('the older worker to report no running activity', async () => {
      const load = await readWorkerLoad(older!.metricsUrl);
      return load.activities === 0;
    });

    // Scale-in by one stops the idle older worker, not the newest as before.
    await d.setDesired(1);
    expect(d.workers.filter((w) => w.draining).map((w) => w.id)).toEqual([older!.id]);
    await eventually('the idle worker to exit', async () => exits.length === 1);
    expect(exits).toEqual(['drained']);
    expect(await readWorkerLoad(newer!.metricsUrl)).toEqual({ activities: 1 });

    // Scale-in to zero while the newest still runs its activity: it keeps running past the configured 1 s grace,
    // because the worker's grace covers the activity timeout. The wait is the fault window itself.
    await d.setDesired(0);
    expect(d.workers.find((w) => w.id === newer!.id)?.draining).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    expect(exits).toEqual(['drained']);
    expect(await readWorkerLoad(newer!.metricsUrl)).toEqual({ activities: 1 });
    storage.release(onNewer);
    await eventually('the busy worker to report its activity done and exit', async () => exits.length === 2);
    expect(exits).toEqual(['drained', 'drained']);
    const completed = temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
    const events = (await handles.get(onNewer)!.fetchHistory()).events ?? [];
    expect(events.some((e) => e.eventType === completed)).toBe(true);
    // The workflow's last step needs a worker: the next one to start finishes it.
    await d.setDesired(1);
    await handles.get(onNewer)!.result();

    // No attempt lost: every activity succeeded on its first attempt, none failed, timed out or was cancelled.
    const bad = new Set([
      temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
      temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
      temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    ]);
    for (const handle of handles.values()) {
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.eventType != null && bad.has(e.eventType))).toEqual([]);
      const attempts = events.map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a != null);
      expect(attempts).toEqual([1]);
    }
  } finally {
    await driver?.close();
    await client.connection.close();
    await storage.close();
  }
}, 240_000);
