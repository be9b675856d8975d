/**
 * A message whose body fits the ingress queue but not the DLQ once the reason attributes are added: the bridge
 * dead-letters a pointer with the body in S3, `ebbflow dlq list` shows where, and `ebbflow dlq redrive` sends the
 * original body back intact and deletes the stored copy.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_BODY_PREFIX, SQS_CLASSIC_MAX_MESSAGE_BYTES } from '../../../src/aws/dead-letter';
import { startBridge } from '../../../src/bridge/bridge';
import { listDeadLetters, type DeadLetterView } from '../../../src/bridge/redrive';
import { createLogger } from '../../../src/logger';
import { runCli } from '../../support/cli';
import { createTestPipeline, eventually } from '../../support/stack';
import { queueDepth, send, TEST_WORKFLOWS } from './support';

it('dead-letters an oversized body through S3 and redrives it back intact', async () => {
  const p = await createTestPipeline('big', { EBBFLOW_BRIDGE_WAIT_SECONDS: '1' });
  const { sqs, s3 } = p.aws;
  const { dlqUrl, ingressQueueUrl, outputBucket } = p.resources;
  // A DLQ with the classic limit: the body alone fits it, body and reason attributes together do not.
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      Attributes: { MaximumMessageSize: String(SQS_CLASSIC_MAX_MESSAGE_BYTES) },
    }),
  );
  const body = `not json ${'é'.repeat(10)}${'x'.repeat(SQS_CLASSIC_MAX_MESSAGE_BYTES - 60)}`;
  expect(Buffer.byteLength(body)).toBeLessThan(SQS_CLASSIC_MAX_MESSAGE_BYTES);
  // The bridge also takes the s3:TestEvent provisioning left on the ingress queue: only ours is dead-lettered.
  const bridge = startBridge({
    config: p.config,
    logger: createLogger({ level: 'error' }),
    knownWorkflows: TEST_WORKFLOWS,
    envelopeWorkflows: TEST_WORKFLOWS,
    statsIntervalMs: 0,
  });
  try {
    await send(sqs, ingressQueueUrl, body);
    await eventually('the oversized message dead-lettered', async () => bridge.stats.deadLettered === 1);
    await eventually('the ingress queue drained', async () => (await queueDepth(sqs, ingressQueueUrl)) === 0);
  } finally {
    await bridge.stop();
  }

  const stored = async () =>
    (await s3.send(new ListObjectsV2Command({ Bucket: outputBucket, Prefix: DEAD_LETTER_BODY_PREFIX }))).Contents ?? [];
  expect(await stored()).toHaveLength(1);
  const listed = JSON.parse((await runCli(p.env, 'dlq', 'list', '--json')).stdout) as DeadLetterView[];
  expect(listed).toHaveLength(1);
  const letter = listed[0]!;
  expect(letter.errorType).toBe('UnparseableMessage');
  expect(letter.bodyLocation).toMatch(new RegExp(`^s3://${outputBucket}/dead-letters/\\d{4}-\\d{2}-\\d{2}/`));
  expect(letter.item).toBe(`(original body at ${letter.bodyLocation})`);
  expect(letter.body).toContain(letter.bodyLocation);
  expect(letter.body.length).toBeLessThan(300);
  expect((await runCli(p.env, 'dlq', 'list')).stdout).toContain('(original body at s3://');

  const redrive = await runCli(p.env, 'dlq', 'redrive');
  expect(redrive.stderr).toBe('');
  expect(redrive.stdout).toContain('Moved 1 message(s)');
  expect(await queueDepth(sqs, dlqUrl)).toBe(0);
  const back = await listDeadLetters(sqs, ingressQueueUrl, { max: 10 });
  expect(back).toHaveLength(1);
  expect(back[0]!.body).toBe(body);
  expect(await stored()).toHaveLength(0);
});
