/**
 * A worker built by createWorker with ECS_AGENT_URI set protects its task while an activity runs. The emulator has
 * no task-protection endpoint, so a local stand-in of the ECS agent records the calls.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { silentLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createWorker } from '../../../src/worker/worker';
import { eventually, testConfig, uniqueName } from '../../support/stack';

test('protection is on while an activity runs and off once it ends', async () => {
  const calls: boolean[] = [];
  const agent = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method === 'PUT' && req.url === '/task-protection/v1/state') {
        calls.push((JSON.parse(raw) as { ProtectionEnabled: boolean }).ProtectionEnabled);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"protection":{}}');
    });
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  const taskQueue = uniqueName('protect');
  const config = testConfig({
    EBBFLOW_TASK_QUEUE: taskQueue,
    ECS_AGENT_URI: `http://127.0.0.1:${(agent.address() as AddressInfo).port}`,
  });
  let release!: (value: string) => void;
  const gate = new Promise<string>((resolve) => (release = resolve));
  const worker = await createWorker({
    config,
    logger: silentLogger,
    activities: { holdWork: () => gate },
    bundleFromSource: true,
    workerOptions: { workflowsPath: require.resolve('../../fixtures/workflows/protected-work') },
  });
  const client: Client = await connectClient(config.temporal);
  try {
    await worker.runUntil(async () => {
      const handle = await client.workflow.start('protectedWorkWorkflow', { taskQueue, workflowId: taskQueue });
      await eventually('protection to go on', async () => calls.includes(true));
      // Busy: nothing turns it off while the activity runs.
      await new Promise((r) => setTimeout(r, 500));
      expect(calls).toEqual([true]);
      release('done');
      expect(await handle.result()).toBe('done');
      await eventually('protection to go off', async () => calls.length === 2);
      expect(calls).toEqual([true, false]);
    });
  } finally {
    await client.connection.close();
    await new Promise((resolve) => agent.close(resolve));
  }
});
