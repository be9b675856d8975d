/**
 * Runs are found by their source object whether the bridge or a person started them; the server is only asked to
 * write the search attributes when the start did not already carry them. On a namespace without the attributes the
 * worker and the bridge refuse to start, naming the fix, unless told to run without them.
 */
import { spawn } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { defineSearchAttributeKey } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../../src/common/constants';
import { generateSamplePhoto } from '../../../src/images/sample-photos';
import { processImageInput } from '../../../src/images/workflow-input';
import { silentLogger } from '../../../src/logger';
import { cliCommand } from '../../../src/paths';
import { connectClient } from '../../../src/temporal/connection';
import { checkSearchAttributes, missingSearchAttributes } from '../../../src/temporal/search-attributes';
import { createWorker } from '../../../src/worker/worker';
import { processImageWorkflow } from '../../../workflows';
import { createTestPipeline, eventually, uniqueName } from '../../support/stack';

const SOURCE_BUCKET = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceBucket, 'KEYWORD');
const SOURCE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceKey, 'KEYWORD');

it('upserts the source attributes only for runs started without them, and both are found by key', async () => {
  const pipeline = await createTestPipeline('sa');
  const client: Client = await connectClient(pipeline.config.temporal);
  const bucket = pipeline.resources.inputBucket;
  const photo = await generateSamplePhoto(1, { minSide: 400, maxSide: 500 });
  for (const key of ['by-hand.jpg', 'by-bridge.jpg']) {
    await pipeline.aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: photo.data }));
  }
  const worker = await createWorker({ config: pipeline.config, logger: silentLogger, bundleFromSource: true });
  const upserts = await worker.runUntil(async () => {
    const start = (key: string, withAttributes: boolean) =>
      client.workflow.start(processImageWorkflow, {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId: `${pipeline.config.temporal.taskQueue}-${key}`,
        args: [processImageInput(pipeline.config, { bucket, key })],
        typedSearchAttributes: withAttributes
          ? [
              { key: SOURCE_BUCKET, value: bucket },
              { key: SOURCE_KEY, value: key },
            ]
          : undefined,
      });
    const handles = [await start('by-hand.jpg', false), await start('by-bridge.jpg', true)];
    const counts: number[] = [];
    for (const handle of handles) {
      await handle.result();
      const history = await handle.fetchHistory();
      counts.push(history.events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length);
    }
    return counts;
  });
  expect(upserts).toEqual([1, 0]);
  for (const key of ['by-hand.jpg', 'by-bridge.jpg']) {
    await eventually(`${key} found by its key`, async () => {
      const { count } = await client.workflow.count(
        `${SEARCH_ATTRIBUTES.sourceBucket} = "${bucket}" AND ${SEARCH_ATTRIBUTES.sourceKey} = "${key}"`,
      );
      return count === 1;
    });
  }
  await client.connection.close();
});

/** Runs the built CLI; resolves with its exit code and stderr once it exits. */
function runCli(args: string[], env: Record<string, string>) {
  const [program, ...argv] = cliCommand(...args);
  const child = spawn(program, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  return { child, exited };
}

it('on a namespace without them, worker and bridge stop naming the fix; opted out, images still flow', async () => {
  const pipeline = await createTestPipeline('bare');
  const namespace = uniqueName('bare');
  const client = await connectClient(pipeline.config.temporal);
  await client.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  await eventually('the new namespace', async () => {
    await client.workflowService.describeNamespace({ namespace });
    return true;
  });
  expect(await missingSearchAttributes(client.connection, namespace)).toEqual([
    SEARCH_ATTRIBUTES.sourceBucket,
    SEARCH_ATTRIBUTES.sourceKey,
  ]);
  const env = { ...pipeline.env, TEMPORAL_NAMESPACE: namespace, EBBFLOW_METRICS_PORT: '0' };

  // Checked before any work is taken: a configuration error (exit 2) that names the attributes and the fixes.
  const refused = await Promise.all([runCli(['worker'], env).exited, runCli(['bridge'], env).exited]);
  for (const { code, stderr } of refused) {
    expect(code).toBe(2);
    expect(stderr).toContain(
      `namespace "${namespace}" has no search attributes EbbflowSourceBucket and EbbflowSourceKey`,
    );
    expect(stderr).toContain('ebbflow setup');
    expect(stderr).toContain('EBBFLOW_IMAGE_SEARCH_ATTRIBUTES=false');
  }

  // Opted out: the same processes start, and an upload flows through S3 → SQS → bridge → worker, untagged.
  const optedOut = { ...env, EBBFLOW_IMAGE_SEARCH_ATTRIBUTES: 'false' };
  const processes = [runCli(['worker'], optedOut), runCli(['bridge'], optedOut)];
  const inNamespace = new Client({ connection: client.connection, namespace });
  try {
    const photo = await generateSamplePhoto(2, { minSide: 300, maxSide: 400 });
    await pipeline.aws.s3.send(
      new PutObjectCommand({ Bucket: pipeline.resources.inputBucket, Key: 'uploads/untagged.jpg', Body: photo.data }),
    );
    const workflowId = await eventually(
      'the image run in the bare namespace',
      async () => {
        for await (const info of inNamespace.workflow.list({ query: `WorkflowType = 'processImageWorkflow'` })) {
          return info.workflowId;
        }
        return undefined;
      },
      120_000,
    );
    const handle = inNamespace.workflow.getHandle(workflowId);
    expect((await handle.result()).variants).toHaveLength(3);
    const { typedSearchAttributes } = await handle.describe();
    expect(typedSearchAttributes.get(SOURCE_KEY)).toBeUndefined();
  } finally {
    for (const p of processes) p.child.kill('SIGTERM');
    const exits = await Promise.all(processes.map((p) => p.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  }

  // A namespace that does not exist is named as such, not reported as missing attributes.
  await expect(checkSearchAttributes(client.connection, `${namespace}-typo`, silentLogger)).rejects.toThrow(
    `namespace "${namespace}-typo" was not found`,
  );

  // `ebbflow setup` registers both, after which nothing is missing.
  const setup = await runCli(['setup'], env).exited;
  expect(setup.code).toBe(0);
  await eventually(
    'the attributes registered',
    async () => (await missingSearchAttributes(client.connection, namespace)).length === 0,
  );
  await client.connection.close();
}, 240_000);
