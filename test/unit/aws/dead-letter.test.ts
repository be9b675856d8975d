import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  messageBytes,
  originalBody,
  pointerBody,
  sendDeadLetter,
  SQS_CLASSIC_MAX_MESSAGE_BYTES,
  SQS_MAX_MESSAGE_BYTES,
  type ReceivedDeadLetter,
} from '../../../src/aws/dead-letter';
import { DLQ_ATTRIBUTES } from '../../../src/common/constants';

type Command = { constructor: { name: string }; input: Record<string, unknown> };

/** A client that records each command and answers it with `answer`. */
function fakeClient<T>(answer: (command: Command) => unknown = () => ({})): T & { sent: Command[] } {
  const sent: Command[] = [];
  return {
    sent,
    send: async (command: Command) => {
      sent.push(command);
      return answer(command);
    },
  } as unknown as T & { sent: Command[] };
}

/** An SQS fake whose queues report this MaximumMessageSize (or refuse to say). */
function fakeSqs(maximumMessageSize?: number) {
  return fakeClient<SQSClient>((command) => {
    if (command.constructor.name === 'GetQueueAttributesCommand') {
      if (maximumMessageSize === undefined) throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
      return { Attributes: { MaximumMessageSize: String(maximumMessageSize) } };
    }
    return { MessageId: 'm-1' };
  });
}

let queue = 0;
/** Each test its own queue URL: the limit is read once per queue and process. */
const queueUrl = () => `http://sqs.test/000000000000/dlq-${++queue}`;
const letter = { reason: 'message body is not JSON', errorType: 'UnparseableMessage', source: 'bridge' } as const;

describe('messageBytes', () => {
  it('counts the UTF-8 body and every attribute name, type and value, as SQS does', () => {
    expect(messageBytes('abc')).toBe(3);
    expect(messageBytes('é€😀')).toBe(2 + 3 + 4);
    expect(
      messageBytes('body', {
        name: { DataType: 'String', StringValue: 'välue' },
        n: { DataType: 'Number', StringValue: '12' },
        bin: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
      }),
    ).toBe(4 + (4 + 6 + 6) + (1 + 6 + 2) + (3 + 6 + 5));
  });

  it('knows the limits: 1 MiB today, 256 KiB for queues that were never raised', () => {
    expect(SQS_MAX_MESSAGE_BYTES).toBe(1024 * 1024);
    expect(SQS_CLASSIC_MAX_MESSAGE_BYTES).toBe(256 * 1024);
  });
});

describe('sendDeadLetter', () => {
  function sentBody(sqs: { sent: Command[] }): { body: string; attributes: Record<string, { StringValue?: string }> } {
    const send = sqs.sent.find((c) => c.constructor.name === 'SendMessageCommand')!;
    return {
      body: send.input.MessageBody as string,
      attributes: send.input.MessageAttributes as Record<string, { StringValue?: string }>,
    };
  }

  it('keeps a body that fits with its attributes in the message', async () => {
    const sqs = fakeSqs(SQS_CLASSIC_MAX_MESSAGE_BYTES);
    const s3 = fakeClient<S3Client>();
    await sendDeadLetter(sqs, queueUrl(), { ...letter, body: 'x'.repeat(200_000) }, { s3, bucket: 'out' });
    expect(s3.sent).toHaveLength(0);
    expect(sentBody(sqs).body).toHaveLength(200_000);
    expect(sentBody(sqs).attributes[DLQ_ATTRIBUTES.bodyLocation]).toBeUndefined();
  });

  it('stores a body in S3 when body and attributes together exceed the queue, though the body alone fits', async () => {
    const sqs = fakeSqs(SQS_CLASSIC_MAX_MESSAGE_BYTES);
    const s3 = fakeClient<S3Client>();
    const body = 'x'.repeat(SQS_CLASSIC_MAX_MESSAGE_BYTES - 20);
    await sendDeadLetter(sqs, queueUrl(), { ...letter, body }, { s3, bucket: 'out' });
    const put = s3.sent[0]!;
    expect(put.constructor.name).toBe('PutObjectCommand');
    expect(put.input).toMatchObject({ Bucket: 'out', Body: body });
    expect(put.input.Key).toMatch(/^dead-letters\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}$/);
    const location = `s3://out/${put.input.Key as string}`;
    const sent = sentBody(sqs);
    expect(sent.attributes[DLQ_ATTRIBUTES.bodyLocation]?.StringValue).toBe(location);
    expect(sent.attributes[DLQ_ATTRIBUTES.reason]?.StringValue).toBe(letter.reason);
    expect(sent.body).toBe(pointerBody(location, body.length));
  });

  it('measures against the queue limit it reads, and the classic 256 KiB when it cannot read it', async () => {
    const body = 'x'.repeat(300_000);
    const roomy = fakeSqs(SQS_MAX_MESSAGE_BYTES);
    const s3 = fakeClient<S3Client>();
    await sendDeadLetter(roomy, queueUrl(), { ...letter, body }, { s3, bucket: 'out' });
    expect(s3.sent).toHaveLength(0);

    const unknown = fakeSqs(undefined);
    await sendDeadLetter(unknown, queueUrl(), { ...letter, body }, { s3, bucket: 'out' });
    expect(s3.sent).toHaveLength(1);
  });

  it('counts multi-byte characters as the bytes they take', async () => {
    const sqs = fakeSqs(SQS_CLASSIC_MAX_MESSAGE_BYTES);
    const s3 = fakeClient<S3Client>();
    // 100,000 characters, 300,000 bytes.
    await sendDeadLetter(sqs, queueUrl(), { ...letter, body: '€'.repeat(100_000) }, { s3, bucket: 'out' });
    expect(s3.sent).toHaveLength(1);
  });

  it('refuses an oversized letter it has nowhere to store', async () => {
    const sqs = fakeSqs(SQS_CLASSIC_MAX_MESSAGE_BYTES);
    await expect(sendDeadLetter(sqs, queueUrl(), { ...letter, body: 'x'.repeat(300_000) })).rejects.toThrow(
      /exceeds the queue's limit of 262144/,
    );
  });
});

describe('originalBody', () => {
  const received = (extra: Partial<ReceivedDeadLetter>): ReceivedDeadLetter => ({
    ...letter,
    messageId: 'm-1',
    receiptHandle: 'r',
    body: 'pointer',
    ...extra,
  });

  it('is the message body when there is no stored body, and the object when there is', async () => {
    expect(await originalBody(undefined, received({ body: 'plain' }))).toBe('plain');
    const s3 = fakeClient<S3Client>(() => ({ Body: { transformToString: async () => 'the original' } }));
    expect(await originalBody(s3, received({ bodyLocation: 's3://out/dead-letters/2026-12-05/abc' }))).toBe(
      'the original',
    );
    expect(s3.sent[0]!.input).toEqual({ Bucket: 'out', Key: 'dead-letters/2026-12-05/abc' });
  });
});
