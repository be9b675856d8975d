/**
 * Scaling seen locally, as a user runs it: `ebbflow dev` with the local scaler. At rest a standby worker waits; a
 * burst of 50 photos wakes the scaler, which promotes it and takes the workers to the max, the queue drains, the fleet
 * returns to 0 after the (shortened) cooldown, and no activity is cut off by a scale-in: every workflow completes with
 * each activity's first attempt.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import sharp from 'sharp';
import { createAwsClients } from '../../../src/aws/clients';
import { temporal } from '@temporalio/proto';
import { freePort } from '../../../src/dev/processes';
import { CLI_PATH } from '../../../src/paths';
import type { PipelineStatus } from '../../../src/pipeline/status';
import type { LoggedDecision } from '../../../src/scaler/types';
import { eventually } from '../../support/stack';

const execFileAsync = promisify(execFile);
const MAX_WORKERS = 3;
const PHOTOS = 50;

interface DevJson {
  temporalAddress: string;
  taskQueue: string;
  awsEndpoint: string;
  awsRegion: string;
  inputBucket: string;
}

/** A noisy 1600×1200 JPEG, different for each index, so every resize does real work. */
async function photo(index: number): Promise<Buffer> {
  const width = 1600;
  const height = 1200;
  const pixels = Buffer.alloc(width * height * 3);
  let x = index * 2654435761;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    pixels[i] = (x >>> 16) & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

test('burst of 50 images: workers rise to the max, the queue drains, workers return to 0, nothing is cut off', async () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-scale-'));
  const [temporalPort, awsPort, scalerPort, bridgePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EBBFLOW_STATE_DIR: stateDir,
    EBBFLOW_SCALER_POLL_INTERVAL: '1s',
    EBBFLOW_SCALER_SCALE_OUT_COOLDOWN: '2s',
    EBBFLOW_SCALER_SCALE_IN_COOLDOWN: '8s',
    EBBFLOW_SCALER_MIN_TASKS: '0',
    EBBFLOW_WORKER_SHUTDOWN_GRACE: '30s',
    EBBFLOW_SCALER_DRAIN_GRACE: '40s',
    // A message whose delete did not take stays in flight, counted as backlog, until its visibility runs out and the
    // bridge deletes it as a duplicate: a short timeout keeps that inside the wait for the fleet's return to 0.
    EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '15s',
    // The scaler's log says how the first worker came: promoted from standby.
    EBBFLOW_LOG_LEVEL: 'info',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.AWS_ENDPOINT_URL;
  const dev = spawn(
    process.execPath,
    [
      CLI_PATH,
      'dev',
      '--headless',
      '--workers',
      String(MAX_WORKERS),
      '--temporal-port',
      String(temporalPort),
      '--aws-port',
      String(awsPort),
      '--scaler-port',
      String(scalerPort),
      '--bridge-port',
      String(bridgePort),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  dev.stdout.on('data', (d: Buffer) => (output += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
  const seen: LoggedDecision[] = [];
  const poll = async (): Promise<LoggedDecision[]> => {
    const list = (await (await fetch(`http://127.0.0.1:${scalerPort}/decisions`)).json()) as LoggedDecision[];
    for (const d of [...list].reverse()) if (!seen.some((s) => s.at === d.at)) seen.push(d);
    return list;
  };
  let connection: Connection | undefined;
  try {
    const devJson = path.join(stateDir, 'dev.json');
    await eventually('the stack to be up', async () => output.includes('Press Ctrl-C'), 90_000);
    const state = JSON.parse(readFileSync(devJson, 'utf8')) as DevJson;
    // The banner says where the fleet's cost is.
    expect(output).toContain(`Fleet cost       http://127.0.0.1:${scalerPort}/cost`);
    const aws = createAwsClients({ region: state.awsRegion, endpoint: state.awsEndpoint, emulatorCredentials: true });
    const images = await Promise.all(Array.from({ length: PHOTOS }, (_, i) => photo(i)));
    // At rest: no worker runs, and a standby worker has booted and waits to be promoted.
    await eventually(
      'a standby worker ready at zero',
      async () => {
        const [latest] = await poll().catch(() => []);
        return latest?.signals.running === 0 && latest.signals.standbyReady === true;
      },
      90_000,
      250,
    );
    const uploadStarted = Date.now();
    await Promise.all(
      images.map((body, i) =>
        aws.s3.send(
          new PutObjectCommand({ Bucket: state.inputBucket, Key: `uploads/burst/photo-${i}.jpg`, Body: body }),
        ),
      ),
    );
    connection = await Connection.connect({ address: state.temporalAddress });
    const client = new Client({ connection });
    const completed = async (): Promise<number> =>
      (await client.workflow.count(`TaskQueue="${state.taskQueue}" AND ExecutionStatus="Completed"`)).count;

    // Workers go up to the max while the batch is processed, and the queue drains.
    await eventually(
      'every photo to be processed',
      async () => {
        await poll().catch(() => undefined);
        return (await completed()) === PHOTOS;
      },
      150_000,
      500,
    );
    const outs = seen.filter((d) => d.direction === 'out');
    // The burst is acted on within 10 s of its arrival.
    const burstOut = outs.find((d) => d.at >= uploadStarted);
    expect(burstOut).toBeDefined();
    expect(burstOut!.at - uploadStarted).toBeLessThanOrEqual(10_000);
    expect(outs[0]?.previous).toBe(0);
    expect(Math.max(...seen.map((d) => d.desired))).toBe(MAX_WORKERS);
    expect(Math.max(...seen.map((d) => d.signals.running))).toBe(MAX_WORKERS);

    // Then back to 0 once the scale-in cooldown has passed, with the queues empty.
    const last = await eventually(
      'the fleet to return to 0',
      async () => {
        const latest = (await poll())[0];
        return latest && latest.signals.running === 0 && latest.desired === 0 && latest;
      },
      60_000,
      500,
    );
    expect(last.backlog).toBe(0);
    const lastOut = outs.at(-1)!;
    const firstInToZero = seen.find((d) => d.direction === 'in' && d.desired === 0 && d.at > lastOut.at)!;
    expect(firstInToZero.at - lastOut.at).toBeGreaterThanOrEqual(8_000);

    // Workers that were scaled in left on SIGTERM once their work was done; none was killed or crashed.
    const metrics = await eventually('the drained workers to exit', async () => {
      const text = await (await fetch(`http://127.0.0.1:${scalerPort}/metrics`)).text();
      const drained = Number(/worker_exits_total\{outcome="drained"\} (\d+)/.exec(text)?.[1] ?? 0);
      return drained >= MAX_WORKERS && text;
    });
    expect(metrics).not.toMatch(/outcome="(killed|crashed)"/);

    // What the burst cost: every poll's running count went into the scaler's meter, priced as the article's task.
    // Fargate bills each task at least a minute: a worker started and stopped within it is charged the rest (the
    // meter takes the newest to stop first).
    const polls = [...seen].sort((a, b) => a.at - b.at);
    let taskSeconds = 0;
    const starts: number[] = [];
    const count = (at: number, running: number): void => {
      while (starts.length < running) starts.push(at);
      while (starts.length > running) taskSeconds += Math.max(0, 60_000 - (at - starts.pop()!)) / 1000;
    };
    for (let i = 0; i < polls.length; i++) {
      const poll = polls[i]!;
      if (i > 0) {
        const before = polls[i - 1]!;
        taskSeconds += ((poll.at - before.at) / 1000) * (before.runningAfter ?? before.signals.running);
      }
      count(poll.at, poll.signals.running);
      if (poll.runningAfter !== undefined) count(poll.at, poll.runningAfter);
    }
    // The promoted standby ran from the decision that woke it: the change left a worker running at once.
    expect(polls.find((d) => d.direction === 'out')?.runningAfter).toBeGreaterThanOrEqual(1);
    expect(taskSeconds).toBeGreaterThan(0);
    expect(polls.at(-1)!.spent!.taskSeconds).toBeCloseTo(taskSeconds, 6);
    // `ebbflow status` finds the scaler through dev.json and shows the fleet and its cost.
    const status = JSON.parse(
      (await execFileAsync(process.execPath, [CLI_PATH, 'status', '--json'], { env })).stdout,
    ) as PipelineStatus;
    expect(status.fleet).toMatchObject({ running: 0, desired: 0 });
    expect(status.fleet!.cost!.taskSeconds).toBeGreaterThanOrEqual(taskSeconds);
    expect(status.fleet!.cost!.price).toMatchObject({ vcpu: 0.5, memoryGb: 1, pricing: 'on-demand' });
    const printed = (await execFileAsync(process.execPath, [CLI_PATH, 'status'], { env })).stdout;
    expect(printed).toMatch(
      /fleet: 0 workers running, 0 wanted, \$0\.00 an hour now\nsince .+: (\d+\.\d task-seconds|\d+\.\d\d task-hours), about \$\d+\.\d+ as Fargate tasks of 0\.5 vCPU, 1 GB, on-demand/,
    );
    // The bridge woke the scaler at zero, and the first worker was the standby, promoted rather than started.
    expect(Number(/wakes_total\{result="polled"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
    const scalerLog = readFileSync(path.join(stateDir, 'logs', 'scaler.log'), 'utf8');
    expect(scalerLog).toContain('"msg":"standby worker promoted"');
    expect(scalerLog).toContain('"msg":"standby worker promoted: polling"');
    // It had reached the buckets while it waited (its warm-up), so the first image did not pay for that.
    expect(scalerLog).toContain('"msg":"standby worker ready: waiting to be promoted"');
    expect(scalerLog).not.toContain('could not reach a bucket');

    // No activity cut off: every workflow completed and every activity succeeded on its first attempt.
    try {
      const runs = [];
      for await (const run of client.workflow.list({ query: `TaskQueue="${state.taskQueue}"` })) runs.push(run);
      expect(runs).toHaveLength(PHOTOS);
      expect(runs.every((r) => r.status.name === 'COMPLETED')).toBe(true);
      const bad = new Set([
        temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
      ]);
      for (const run of runs) {
        const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        const failures = (history.events ?? []).filter((e) => e.eventType != null && bad.has(e.eventType));
        const attempts = (history.events ?? [])
          .map((e) => e.activityTaskStartedEventAttributes?.attempt)
          .filter((a) => a !== undefined && a !== null);
        expect(failures).toEqual([]);
        expect(attempts.every((a) => a === 1)).toBe(true);
      }
    } finally {
      await connection.close();
      connection = undefined;
    }
  } finally {
    await connection?.close();
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
  }
}, 240_000);
