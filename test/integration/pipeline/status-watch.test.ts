/** `ebbflow status --watch --json` as a script reads it: one line per reading, following the queue, until Ctrl-C. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { PipelineStatus } from '../../../src/pipeline/status';
import { createTestPipeline, eventually } from '../../support/stack';
import { send } from '../bridge/support';

const ROOT = path.resolve(__dirname, '../../..');

it('prints a reading per interval that follows the queue, and stops cleanly on SIGINT', async () => {
  const p = await createTestPipeline('watch');
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/ebbflow.js'), 'status', '--watch', '--interval', '300ms', '--json'],
    { cwd: ROOT, env: { ...process.env, ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const readings = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as PipelineStatus & { at: string });

  try {
    const first = await eventually('a first reading', async () => readings()[0]);
    expect(first.taskQueue).toBe(p.config.temporal.taskQueue);
    expect(Date.parse(first.at)).not.toBeNaN();
    const before = first.ingress!.visible;
    await send(p.aws.sqs, p.resources.ingressQueueUrl, { workflow: 'echoWorkflow', id: 'watched', input: {} });
    await eventually('a reading with the new message', async () =>
      readings().some((r) => r.ingress!.visible === before + 1),
    );
    expect(readings().length).toBeGreaterThanOrEqual(2);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
});
