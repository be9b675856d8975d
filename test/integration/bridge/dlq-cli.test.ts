/** `ebbflow dlq list` and `ebbflow dlq redrive` as a person runs them (the built CLI), against the emulator. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sendDeadLetter } from '../../../src/aws/dead-letter';
import { listDeadLetters, type DeadLetterView } from '../../../src/bridge/redrive';
import { createTestPipeline, type TestPipeline } from '../../support/stack';
import { queueDepth } from './support';

const ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);

async function ebbflow(p: TestPipeline, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/ebbflow.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...p.env },
  });
  return stdout;
}

const imageBody = JSON.stringify({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'in' }, object: { key: 'a/my+cat.jpg' } } }],
});

it('lists dead letters with their reasons and redrives them, with --dry-run and --max', async () => {
  const p = await createTestPipeline('dlq');
  const { sqs } = p.aws;
  const { dlqUrl, ingressQueueUrl } = p.resources;
  await sendDeadLetter(sqs, dlqUrl, {
    body: imageBody,
    reason: 'not a JPEG, PNG or WebP image',
    errorType: 'CorruptImageError',
    workflowId: 'image-in/a/my_cat.jpg-0123456789ab',
    attempts: 1,
    source: 'workflow',
  });
  await sendDeadLetter(sqs, dlqUrl, {
    body: 'oops {',
    reason: 'message body is not JSON',
    errorType: 'UnparseableMessage',
    source: 'bridge',
  });
  const envelope = JSON.stringify({ workflow: 'launchRocketWorkflow', id: 'r-1', input: {} });
  await sendDeadLetter(sqs, dlqUrl, {
    body: envelope,
    reason: 'unknown workflow',
    errorType: 'UnknownWorkflow',
    source: 'bridge',
  });
  // Moved by SQS itself after too many receives: no attributes.
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{"workflow":"echoWorkflow","id":"x"}' }));

  const listed = JSON.parse(await ebbflow(p, 'dlq', 'list', '--json')) as DeadLetterView[];
  expect(listed).toHaveLength(4);
  const byType = Object.fromEntries(listed.map((l) => [l.errorType, l]));
  expect(byType.CorruptImageError).toMatchObject({
    reason: 'not a JPEG, PNG or WebP image',
    workflowId: 'image-in/a/my_cat.jpg-0123456789ab',
    attempts: 1,
    source: 'workflow',
    item: 's3://in/a/my cat.jpg',
    body: imageBody,
  });
  expect(byType.UnparseableMessage?.item).toBe('(unparseable) oops {');
  expect(byType.UnknownWorkflow?.item).toBe('launchRocketWorkflow r-1');
  expect(byType.MaxReceiveCountExceeded?.reason).toMatch(/too many receives/);

  // The table lines up: every row starts its columns where the header does.
  const table = (await ebbflow(p, 'dlq', 'list')).split('\n');
  const header = table[0]!;
  expect(header).toMatch(/^AGE +ERROR TYPE +REASON +WORKFLOW ID +ATTEMPTS +SOURCE ITEM$/);
  const rows = table.slice(2, 6);
  expect(rows).toHaveLength(4);
  const column = header.indexOf('ERROR TYPE');
  for (const row of rows) expect(row.slice(column - 2, column)).toBe('  ');
  for (const row of rows) expect(row[column]).not.toBe(' ');
  expect(table.join('\n')).toContain('4 message(s)');

  // The ingress queue already holds the s3:TestEvent S3 sent when the notification was configured.
  const before = await queueDepth(sqs, ingressQueueUrl);
  const dry = await ebbflow(p, 'dlq', 'redrive', '--dry-run', '--max', '2');
  expect(dry).toContain('Dry run: would move 2 message(s)');
  expect(await queueDepth(sqs, ingressQueueUrl)).toBe(before);
  expect(await listDeadLetters(sqs, dlqUrl, { max: 10 })).toHaveLength(4);

  expect(await ebbflow(p, 'dlq', 'redrive', '--max', '3')).toContain('Moved 3 message(s)');
  expect(await queueDepth(sqs, ingressQueueUrl)).toBe(before + 3);
  expect(await queueDepth(sqs, dlqUrl)).toBe(1);

  expect(await ebbflow(p, 'dlq', 'redrive')).toContain('Moved 1 message(s)');
  expect(await queueDepth(sqs, dlqUrl)).toBe(0);
  const back = (await listDeadLetters(sqs, ingressQueueUrl, { max: 10 })).filter(
    (m) => !m.body.includes('s3:TestEvent'),
  );
  expect(back.map((m) => m.body).sort()).toEqual(
    [imageBody, 'oops {', envelope, '{"workflow":"echoWorkflow","id":"x"}'].sort(),
  );
  expect(await ebbflow(p, 'dlq', 'list')).toContain('The dead-letter queue is empty.');
});

it('acts on the dead letters of the chosen error types only, and purges only when told which', async () => {
  const p = await createTestPipeline('dlqf');
  const { sqs } = p.aws;
  const { dlqUrl, ingressQueueUrl } = p.resources;
  const letter = (errorType: string, body: string) =>
    sendDeadLetter(sqs, dlqUrl, { body, reason: `${errorType} happened`, errorType, source: 'workflow' });
  await letter('CorruptImageError', '{"corrupt":1}');
  await letter('CorruptImageError', '{"corrupt":2}');
  await letter('Timeout', '{"slow":1}');
  await letter('UnknownWorkflow', '{"unknown":1}');
  const types = async (...args: string[]) =>
    (JSON.parse(await ebbflow(p, 'dlq', 'list', '--json', ...args)) as DeadLetterView[]).map((l) => l.errorType).sort();

  expect(await types('--error-type', 'CorruptImageError')).toEqual(['CorruptImageError', 'CorruptImageError']);
  expect(await types('--error-type', 'Timeout', '--error-type', 'UnknownWorkflow')).toEqual([
    'Timeout',
    'UnknownWorkflow',
  ]);
  expect(await ebbflow(p, 'dlq', 'list', '--error-type', 'NoSuchType')).toContain('No dead letters of type NoSuchType');
  // Letters passed over are released at once, not hidden from the next command.
  expect(await types()).toHaveLength(4);

  const before = await queueDepth(sqs, ingressQueueUrl);
  expect(await ebbflow(p, 'dlq', 'redrive', '--error-type', 'Timeout')).toContain('Moved 1 message(s)');
  expect(await queueDepth(sqs, ingressQueueUrl)).toBe(before + 1);
  expect(await types()).toEqual(['CorruptImageError', 'CorruptImageError', 'UnknownWorkflow']);

  const refused = await run(process.execPath, [path.join(ROOT, 'bin/ebbflow.js'), 'dlq', 'purge'], {
    cwd: ROOT,
    env: { ...process.env, ...p.env },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('say which with --error-type T (repeatable) or --all');

  const dry = await ebbflow(p, 'dlq', 'purge', '--error-type', 'CorruptImageError', '--dry-run');
  expect(dry).toContain('Dry run: would delete 2 message(s)');
  expect(await types()).toHaveLength(3);
  expect(await ebbflow(p, 'dlq', 'purge', '--error-type', 'CorruptImageError')).toContain('Deleted 2 message(s)');
  expect(await types()).toEqual(['UnknownWorkflow']);
  expect(await ebbflow(p, 'dlq', 'purge', '--all')).toContain('Deleted 1 message(s)');
  expect(await ebbflow(p, 'dlq', 'list')).toContain('The dead-letter queue is empty.');
});
