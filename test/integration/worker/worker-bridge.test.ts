/**
 * `ebbflow worker` with EBBFLOW_WORKER_BRIDGE: one process that drains the ingress queue and runs what it starts, the
 * first task of each workflow handed straight back to it by the server (eager start).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { peekDeadLetters } from '../../../src/aws/dead-letter';
import { DEFAULT_VARIANTS, variantKey } from '../../../src/common/image-variants';
import { freePort } from '../../../src/dev/processes';
import { writeSamplePhotos } from '../../../src/images/sample-photos';
import { countWorkflows, queueDepth } from '../../../src/pipeline/status';
import { collectUploads, uploadAll } from '../../../src/pipeline/upload';
import { cliCommand } from '../../../src/paths';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually } from '../../support/stack';

const COUNT = 12;

interface LogLine {
  msg: string;
  started?: number;
}

describe('ebbflow worker with the bridge inside', () => {
  let client: Client | undefined;
  afterAll(async () => {
    await client?.connection.close();
  });

  it('turns uploads into completed workflows it started eagerly on itself, and stops both on SIGTERM', async () => {
    const pipeline = await createTestPipeline('wbridge');
    client = await connectClient(pipeline.config.temporal);
    const bridgePort = await freePort();
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, {
      env: {
        ...process.env,
        ...pipeline.env,
        EBBFLOW_WORKER_BRIDGE: 'true',
        EBBFLOW_METRICS_PORT: '0',
        EBBFLOW_BRIDGE_METRICS_PORT: String(bridgePort),
        EBBFLOW_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-wbridge-'));
      await writeSamplePhotos(dir, COUNT, { seed: 11, minSide: 400, maxSide: 1600 });
      const items = collectUploads([dir], 'uploads');
      await uploadAll(pipeline.aws.s3, pipeline.resources.inputBucket, items);
      // Bad input is still the bridge's to dead-letter, at once and with its reason.
      await pipeline.aws.sqs.send(
        new SendMessageCommand({ QueueUrl: pipeline.resources.ingressQueueUrl, MessageBody: 'not json' }),
      );

      await eventually(
        `${COUNT} completed workflows`,
        async () => {
          const counts = await countWorkflows(client!, pipeline.config.temporal.taskQueue);
          if (counts.failed > 0) throw new Error(`${counts.failed} workflows failed`);
          return counts.completed >= COUNT;
        },
        120_000,
        500,
      );
      for (const item of items) {
        for (const variant of DEFAULT_VARIANTS) {
          await pipeline.aws.s3.send(
            new HeadObjectCommand({
              Bucket: pipeline.resources.outputBucket,
              Key: variantKey(variant.name, pipeline.resources.inputBucket, item.key),
            }),
          );
        }
      }
      const letters = await eventually('the bad message in the DLQ', async () => {
        const found = await peekDeadLetters(pipeline.aws.sqs, pipeline.resources.dlqUrl);
        return found.length > 0 && found;
      });
      expect(letters.map((l) => l.errorType)).toEqual(['UnparseableMessage']);
      await eventually('the ingress queue to empty', async () => {
        const depth = await queueDepth(pipeline.aws.sqs, pipeline.resources.ingressQueueUrl);
        return depth.visible + depth.inFlight === 0;
      });

      // What the bridge counted, on its own endpoint: every upload started, the server handing them to this worker.
      const metrics = await (await fetch(`http://127.0.0.1:${bridgePort}/metrics`)).text();
      const counter = (name: string): number =>
        Number(new RegExp(`^ebbflow_bridge_${name}_total (\\d+)$`, 'm').exec(metrics)?.[1]);
      expect(counter('workflows_started')).toBe(COUNT);
      expect(counter('workflows_eagerly_started')).toBeGreaterThan(0);
      expect(counter('workflows_eagerly_started')).toBeLessThanOrEqual(COUNT);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('bridge started');
    // The bridge lets its starts finish on the worker's connection before the worker closes it.
    expect(messages.indexOf('bridge stopped')).toBeGreaterThan(-1);
    expect(messages.indexOf('bridge stopped')).toBeLessThan(messages.indexOf('worker stopped'));
    expect(lines.find((l) => l.msg === 'bridge stopped')?.started).toBe(COUNT);
  }, 180_000);

  it('refuses to start without the queues the bridge needs, naming the missing setting', async () => {
    const pipeline = await createTestPipeline('wbridge-cfg');
    const [program, ...argv] = cliCommand('worker');
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...pipeline.env,
      EBBFLOW_WORKER_BRIDGE: 'true',
      EBBFLOW_METRICS_PORT: '0',
    };
    delete env.EBBFLOW_INGRESS_QUEUE_URL;
    const worker = spawn(program, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    expect(code).toBe(2); // a configuration error, before any connection
    expect(stderr).toContain('EBBFLOW_INGRESS_QUEUE_URL');
  });
});
