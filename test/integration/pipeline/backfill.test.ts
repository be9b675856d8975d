/**
 * `ebbflow backfill` as a person runs it (the built CLI) against the dev server and the emulator: 5,000 objects with
 * the process killed half-way and run again, and a few real images processed end to end next to the bridge.
 */
import { spawn } from 'node:child_process';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createAwsClients } from '../../../src/aws/clients';
import { startBridge } from '../../../src/bridge/bridge';
import { DEFAULT_VARIANTS, variantKey } from '../../../src/common/image-variants';
import { createLogger } from '../../../src/logger';
import { forEachConcurrently } from '../../../src/async';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { goodImages } from '../../fixtures/images';
import { CLI, ROOT, runCli, type CliResult } from '../../support/cli';
import { createTestPipeline, eventually, testConfig, uniqueName, type TestPipeline } from '../../support/stack';
import { queueDepth } from '../bridge/support';

let client: Client;

beforeAll(async () => {
  client = await connectClient(testConfig().temporal);
});

afterAll(async () => {
  await client?.connection.close();
});

async function ebbflow(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const result = await runCli(env, ...args);
  if (result.code !== 0) throw new Error(`ebbflow ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

/** `started 12, already done 3, skipped 1, failed 0` from the summary line. */
function summary(stdout: string): { started: number; alreadyDone: number; skipped: number; failed: number } {
  const m = /(?:started|would start) (\d+), already done (\d+), skipped (\d+), failed (\d+)/.exec(stdout);
  if (!m) throw new Error(`no summary in: ${stdout}`);
  return { started: Number(m[1]), alreadyDone: Number(m[2]), skipped: Number(m[3]), failed: Number(m[4]) };
}

async function listAll(query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query })) found.push(info);
  return found;
}

it('starts 5,000 objects once each, across a SIGKILL half-way and a second run', async () => {
  const taskQueue = uniqueName('backfill'); // No worker polls it: the runs wait, which is all this test needs.
  const env = { EBBFLOW_TASK_QUEUE: taskQueue, EBBFLOW_IMAGE_SEARCH_ATTRIBUTES: 'false' };
  const config = testConfig(env);
  const { s3 } = createAwsClients(config.aws);
  const bucket = uniqueName('backfill');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = Array.from({ length: 5000 }, (_, i) => `photos/${String(i).padStart(5, '0')} shot.jpg`);
  const others = ['photos/notes.txt', 'photos/empty-folder/', 'elsewhere/outside.jpg'];
  await forEachConcurrently([...keys, ...others], 64, async (key) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });

  const query = `TaskQueue = '${taskQueue}'`;
  const count = async (): Promise<number> => (await client.workflow.count(query)).count;

  // First run, killed for real once about half has started.
  const child = spawn(process.execPath, [CLI, 'backfill', `s3://${bucket}/photos/`, '--rate', '400/s'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await eventually('half of the objects started', async () => (await count()) >= 2500, 300_000, 100);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const atKill = await count();
  expect(atKill).toBeGreaterThanOrEqual(2500);
  expect(atKill).toBeLessThan(5000);
  // Non-TTY progress is plain lines of counts.
  expect(output).toMatch(/Backfilling s3:\/\/.*\/photos\//);

  // The second run finishes the job: what started before is "already done", the rest start now.
  const second = summary((await ebbflow(env, 'backfill', `s3://${bucket}/photos/`, '--rate', '400/s')).stdout);
  expect(second.failed).toBe(0);
  expect(second.skipped).toBe(2); // notes.txt and the folder marker; elsewhere/ is outside the prefix
  expect(second.started + second.alreadyDone).toBe(5000);
  expect(second.alreadyDone).toBeGreaterThanOrEqual(atKill);
  expect(second.started).toBe(5000 - second.alreadyDone);

  // Every object has exactly one run, and nothing ran twice.
  const runs = await eventually('5,000 runs visible', async () => {
    const all = await listAll(query);
    return all.length >= 5000 && all;
  });
  expect(runs).toHaveLength(5000);
  expect(new Set(runs.map((r) => r.workflowId)).size).toBe(5000);
  const keysStarted = new Set(
    await Promise.all(
      runs.slice(0, 50).map(async (r) => {
        const [input] =
          (await client.workflow.getHandle(r.workflowId).fetchHistory()).events?.[0]
            ?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
        return (JSON.parse(Buffer.from(input!.data!).toString()) as { key: string }).key;
      }),
    ),
  );
  for (const key of keysStarted) expect(keys).toContain(key);

  // A third run starts nothing; a dry run says the same without starting.
  const third = summary((await ebbflow(env, 'backfill', `s3://${bucket}/photos/`, '--rate', '400/s')).stdout);
  expect(third).toEqual({ started: 0, alreadyDone: 5000, skipped: 2, failed: 0 });
  expect(await count()).toBe(5000);
}, 900_000);

describe('next to the bridge', () => {
  let p: TestPipeline;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    p = await createTestPipeline('bfr', { EBBFLOW_BRIDGE_WAIT_SECONDS: '1' });
    worker = await createWorker({ config: p.config, logger: createLogger({ level: 'warn' }), bundleFromSource: true });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
  });

  it('processes real images once, whether their notification comes before or after the backfill', async () => {
    const images = (await goodImages('uploads/bf')).slice(0, 3);
    const bucket = p.resources.inputBucket;
    const put = (key: string, data: Buffer) =>
      p.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
    const [first, ...later] = images;
    const idsOf = async (key: string) => (await listAll(`EbbflowSourceKey = '${key}'`)).map((r) => r.workflowId);

    // The first image's notification reaches the bridge before any backfill.
    await put(first!.key, first!.data);
    const bridge = startBridge({
      config: p.config,
      logger: createLogger({ level: 'warn' }),
      client,
      statsIntervalMs: 0,
    });
    await eventually('the bridge started the first image', async () => bridge.stats.started === 1);
    await bridge.stop();

    // The others are uploaded while the bridge is down: their notifications wait in the queue.
    for (const img of later) await put(img.key, img.data);
    await eventually(
      'the later notifications queued',
      async () => (await queueDepth(p.aws.sqs, p.resources.ingressQueueUrl)) >= 2,
    );

    const out = await ebbflow(p.env, 'backfill', `s3://${bucket}/`, '--rate', '20/s');
    expect(summary(out.stdout)).toEqual({ started: 2, alreadyDone: 1, skipped: 0, failed: 0 });

    // Now the bridge reads the waiting notifications: Temporal already has those ids, so nothing starts twice.
    const again = startBridge({
      config: p.config,
      logger: createLogger({ level: 'warn' }),
      client,
      statsIntervalMs: 0,
    });
    try {
      await eventually('the queued notifications absorbed', async () => again.stats.duplicates === 2, 120_000);
      expect(again.stats.started).toBe(0);
    } finally {
      await again.stop();
    }

    for (const img of images) {
      const ids = await idsOf(img.key);
      expect(ids).toHaveLength(1);
      await client.workflow.getHandle(ids[0]!).result();
      for (const v of DEFAULT_VARIANTS) {
        const head = await p.aws.s3.send(
          new HeadObjectCommand({ Bucket: p.resources.outputBucket, Key: variantKey(v.name, bucket, img.key) }),
        );
        expect(head.ContentLength).toBeGreaterThan(0);
      }
    }

    // A reprocess runs each object again under the same id; repeated with its cut-off, it starts nothing more.
    const reprocess = await ebbflow(p.env, 'backfill', `s3://${bucket}/`, '--reprocess');
    expect(summary(reprocess.stdout)).toEqual({ started: 3, alreadyDone: 0, skipped: 0, failed: 0 });
    const cutoff = /--reprocess-before (\S+)/.exec(reprocess.stderr)?.[1];
    expect(cutoff).toBeDefined();
    const resumed = await ebbflow(p.env, 'backfill', `s3://${bucket}/`, '--reprocess', '--reprocess-before', cutoff!);
    expect(summary(resumed.stdout)).toEqual({ started: 0, alreadyDone: 3, skipped: 0, failed: 0 });
    for (const img of images) {
      const ids = await eventually('both runs visible', async () => {
        const found = await idsOf(img.key);
        return found.length === 2 && found;
      });
      expect(new Set(ids).size).toBe(1);
      await client.workflow.getHandle(ids[0]!).result();
    }
  }, 300_000);
});
