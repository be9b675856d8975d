/** `ebbflow check` as a person runs it (the built CLI) against the test stack: what answers, and what does not. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { freePort } from '../../../src/dev/processes';
import { connectClient } from '../../../src/temporal/connection';
import type { CheckResult } from '../../../src/pipeline/check';
import { createTestPipeline, eventually } from '../../support/stack';
import { startTestWorker, type RunningWorker } from '../bridge/support';

const ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);
let worker: RunningWorker | undefined;

afterAll(async () => {
  await worker?.stop();
});

async function check(env: Record<string, string>): Promise<{ code: number; ok: boolean; checks: CheckResult[] }> {
  const result = await run(process.execPath, [path.join(ROOT, 'bin/ebbflow.js'), 'check', '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code: number; stdout: string }) => err,
  );
  return { code: result.code, ...(JSON.parse(result.stdout) as { ok: boolean; checks: CheckResult[] }) };
}

const byName = (checks: CheckResult[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

it('reports every part that answers, and names the setting of each part that does not', async () => {
  const p = await createTestPipeline('chk');
  worker = await startTestWorker(p.config);
  // The worker counts once its first poll has reached the server.
  const client = await connectClient(p.config.temporal);
  await eventually('the worker polling', async () => {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: p.config.temporal.namespace,
      taskQueue: { name: p.config.temporal.taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers ?? []).length > 0;
  });
  await client.connection.close();
  const database = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-check-')), 'sales.db');
  writeFileSync(database, '');

  const healthy = await check({ ...p.env, EBBFLOW_DATABASE_URL: `sqlite:${database}` });
  expect(healthy.code).toBe(0);
  expect(healthy.ok).toBe(true);
  const good = byName(healthy.checks);
  expect(Object.keys(good)).toEqual([
    'Temporal',
    'search attributes',
    'task queue',
    'ingress queue',
    'dead-letter queue',
    'input bucket',
    'output bucket',
    'notification topic',
    'sales database',
  ]);
  for (const c of healthy.checks) expect(c).toMatchObject({ status: 'ok' });
  expect(good['Temporal']?.detail).toContain(`namespace ${p.config.temporal.namespace}`);
  expect(good['task queue']?.detail).toBe(`${p.config.temporal.taskQueue}: 1 worker polling`);
  expect(good['input bucket']?.detail).toBe(`s3://${p.resources.inputBucket}`);

  const broken = await check({
    ...p.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    EBBFLOW_OUTPUT_BUCKET: 'no-such-bucket-here',
    EBBFLOW_DLQ_URL: `${p.resources.dlqUrl}-gone`,
    EBBFLOW_DATABASE_URL: `sqlite:${database}.missing`,
  });
  expect(broken.code).toBe(1);
  expect(broken.ok).toBe(false);
  const bad = byName(broken.checks);
  expect(bad['Temporal']).toMatchObject({ status: 'fail', detail: expect.stringContaining('cannot reach Temporal') });
  expect(bad['search attributes']?.status).toBe('skipped');
  expect(bad['output bucket']).toMatchObject({
    status: 'fail',
    detail: expect.stringContaining('check EBBFLOW_OUTPUT_BUCKET'),
  });
  expect(bad['dead-letter queue']).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/QueueDoesNotExist.*check EBBFLOW_DLQ_URL/),
  });
  expect(bad['ingress queue']?.status).toBe('ok');
  expect(bad['sales database']).toMatchObject({ status: 'warn', detail: expect.stringContaining('no file yet') });
});
