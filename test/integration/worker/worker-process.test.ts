/**
 * `ebbflow worker` as it runs in production: the built CLI with the pre-built workflow bundle, Prometheus metrics
 * (the SDK's and ours) on /metrics, and a SIGTERM that lets running work finish before the process exits.
 */
import { spawn } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { processImageWorkflow } from '../../../workflows';
import { generateSamplePhoto } from '../../../src/images/sample-photos';
import { processImageInput } from '../../../src/images/workflow-input';
import { freePort } from '../../../src/dev/processes';
import { BUILT_WORKFLOW_BUNDLE, cliCommand } from '../../../src/paths';
import { connectClient } from '../../../src/temporal/connection';
import { createTestPipeline, eventually } from '../../support/stack';
import { existsSync } from 'node:fs';

describe('ebbflow worker', () => {
  let client: Client;
  afterAll(async () => {
    await client?.connection.close();
  });

  it('serves metrics, and on SIGTERM finishes the image it is working on before exiting', async () => {
    expect(existsSync(BUILT_WORKFLOW_BUNDLE)).toBe(true); // npm run build made it; production never bundles at start
    const pipeline = await createTestPipeline('worker');
    client = await connectClient(pipeline.config.temporal);
    const metricsPort = await freePort();
    const [program, ...argv] = cliCommand('worker');
    const worker = spawn(program, argv, {
      env: {
        ...process.env,
        ...pipeline.env,
        EBBFLOW_METRICS_PORT: String(metricsPort),
        EBBFLOW_LOG_LEVEL: 'info',
        // Every workflow task counts as slow: the SDK core warns about each, in its own code.
        TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    worker.stdout.on('data', (d: Buffer) => (log += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));

    const upload = async (key: string, minSide: number) => {
      const photo = await generateSamplePhoto(0, { seed: 3, minSide, maxSide: minSide + 500 });
      await pipeline.aws.s3.send(
        new PutObjectCommand({ Bucket: pipeline.resources.inputBucket, Key: key, Body: photo.data }),
      );
    };
    const start = (key: string) =>
      client.workflow.start(processImageWorkflow, {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId: `worker-${key}-${Date.now()}`,
        args: [processImageInput(pipeline.config, { bucket: pipeline.resources.inputBucket, key })],
      });

    // One image through, then the metrics: the SDK's and ebbflow's own, on one endpoint.
    await upload('small.jpg', 800);
    expect((await (await start('small.jpg')).result()).variants).toHaveLength(3);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^temporal_workflow_task_execution_latency\S* /m);
    expect(metrics).toMatch(/^ebbflow_images_processed\S*\{[^}]*format="jpeg"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^ebbflow_image_bytes_out\S* [1-9]/m);

    // A large photo keeps the activity busy long enough to send SIGTERM in the middle of it.
    await upload('big.jpg', 5500);
    const handle = await start('big.jpg');
    await eventually('the resize to start', async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((e) => e.activityTaskStartedEventAttributes);
    });
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toContain('worker stopped');
    expect(log).toContain('worker started');
    expect(log).not.toContain('runs without the flags'); // started as ebbflow starts its children
    // One JSON object per line, the SDK core's warnings included, as a log collector parses them.
    const records = log
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as { level?: string; msg?: string };
        } catch {
          throw new Error(`a worker log line is not JSON: ${line}`);
        }
      });
    expect(records.filter((r) => r.level === 'warn' && r.msg?.includes('TMPRL1104')).length).toBeGreaterThan(0);

    // The running activity was allowed to finish on the stopping worker: one attempt, completed.
    const history = await handle.fetchHistory();
    expect(history.events?.filter((e) => e.activityTaskStartedEventAttributes)).toHaveLength(1);
    expect(history.events?.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(1);

    // The next worker only has to close the workflow.
    const second = spawn(program, argv, {
      env: { ...process.env, ...pipeline.env, EBBFLOW_METRICS_PORT: '0' },
      stdio: 'ignore',
    });
    try {
      expect((await handle.result()).variants).toHaveLength(3);
    } finally {
      second.kill('SIGTERM');
    }
  });
});
