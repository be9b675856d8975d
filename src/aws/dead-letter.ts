/**
 * The dead-letter queue: one queue for messages the bridge cannot start and for work that failed for good. Each
 * message keeps the original body and carries why it is there as message attributes, so `ebbflow dlq list` can show
 * the reason and `ebbflow dlq redrive` can send the original back unchanged.
 *
 * A letter SQS would refuse as too large (the original body plus the reason attributes over the queue's limit) keeps its
 * body in S3 instead: the message body is then a short pointer, and the `ebbflow-body-location` attribute names the
 * object, which a redrive reads back and deletes.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DLQ_ATTRIBUTES } from '../common/constants';

/**
 * Largest message SQS accepts, body and message attributes (names, types and values) together: 1 MiB since 2025 (it
 * was 256 KiB). A queue may be set lower with its MaximumMessageSize attribute, which is what a letter is measured
 * against when it can be read. Source: Amazon SQS API Reference, MessageAttributeValue and SetQueueAttributes
 * (MaximumMessageSize, 1,024 to 1,048,576 bytes).
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** The limit assumed when a queue's MaximumMessageSize cannot be read: 256 KiB, what older queues still have. */
export const SQS_CLASSIC_MAX_MESSAGE_BYTES = 262_144;

/** Prefix of the S3 objects that hold the bodies of letters too large for the queue. */
export const DEAD_LETTER_BODY_PREFIX = 'dead-letters/';

/** Where the bodies of oversized letters go: the output bucket, under DEAD_LETTER_BODY_PREFIX. */
export interface DeadLetterBodyStore {
  s3: S3Client;
  bucket: string;
}

export interface DeadLetter {
  /** The original message body (or, for a workflow started by hand, its input as JSON). */
  body: string;
  /** Why it failed, in words a person can act on. */
  reason: string;
  /** Error type, e.g. `CorruptImageError`, `UnparseableMessage`, `UnknownWorkflow`. */
  errorType: string;
  workflowId?: string;
  attempts?: number;
  /** Where it came from: `bridge` or `workflow`. */
  source: 'bridge' | 'workflow';
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value.slice(0, 4000) });

/** Size of a message as SQS counts it against its limit: UTF-8 body plus each attribute's name, type and value. */
export function messageBytes(body: string, attributes: Record<string, MessageAttributeValue> = {}): number {
  let total = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    total += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) total += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) total += value.BinaryValue.byteLength;
  }
  return total;
}

const queueLimits = new Map<string, Promise<number>>();

/** The queue's MaximumMessageSize, read once per process; the classic 256 KiB when it cannot be read. */
function queueMessageLimit(sqs: SQSClient, queueUrl: string): Promise<number> {
  let limit = queueLimits.get(queueUrl);
  if (!limit) {
    limit = sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['MaximumMessageSize'] }))
      .then(({ Attributes }) => Number(Attributes?.MaximumMessageSize) || SQS_CLASSIC_MAX_MESSAGE_BYTES)
      .then((bytes) => Math.min(bytes, SQS_MAX_MESSAGE_BYTES))
      .catch(() => {
        queueLimits.delete(queueUrl);
        return SQS_CLASSIC_MAX_MESSAGE_BYTES;
      });
    queueLimits.set(queueUrl, limit);
  }
  return limit;
}

/** `s3://bucket/key` of a stored body, and back. */
const s3Url = (bucket: string, key: string): string => `s3://${bucket}/${key}`;
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

/** The body of a letter whose original is in S3: says where, for a person who finds it without the attribute. */
export function pointerBody(location: string, bytes: number): string {
  return `The original body (${bytes} bytes) was too large for the dead-letter queue; it is stored at ${location}.`;
}

/**
 * Sends a letter to the DLQ. When body and attributes together exceed the queue's limit, the body goes to `store`
 * (under `dead-letters/<date>/<uuid>`) and the message carries a pointer; without a store such a letter is an error.
 */
export async function sendDeadLetter(
  sqs: SQSClient,
  queueUrl: string,
  letter: DeadLetter,
  store?: DeadLetterBodyStore,
): Promise<string> {
  const attributes: Record<string, MessageAttributeValue> = {
    [DLQ_ATTRIBUTES.reason]: text(letter.reason || 'unknown'),
    [DLQ_ATTRIBUTES.errorType]: text(letter.errorType || 'Error'),
    [DLQ_ATTRIBUTES.source]: text(letter.source),
  };
  if (letter.workflowId) attributes[DLQ_ATTRIBUTES.workflowId] = text(letter.workflowId);
  if (letter.attempts !== undefined) {
    attributes[DLQ_ATTRIBUTES.attempts] = { DataType: 'Number', StringValue: String(letter.attempts) };
  }
  let body = letter.body || '(empty)';
  const limit = await queueMessageLimit(sqs, queueUrl);
  const bytes = messageBytes(body, attributes);
  if (bytes > limit) {
    if (!store) {
      throw new Error(`dead letter of ${bytes} bytes exceeds the queue's limit of ${limit} and no bucket was given`);
    }
    const key = `${DEAD_LETTER_BODY_PREFIX}${new Date().toISOString().slice(0, 10)}/${randomUUID()}`;
    await store.s3.send(
      new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body, ContentType: 'text/plain; charset=utf-8' }),
    );
    const location = s3Url(store.bucket, key);
    attributes[DLQ_ATTRIBUTES.bodyLocation] = text(location);
    body = pointerBody(location, Buffer.byteLength(body, 'utf8'));
  }
  const result = await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
  );
  return result.MessageId ?? '';
}

/** The original body of a letter: the message body, or the object its pointer names. */
export async function originalBody(s3: S3Client | undefined, letter: ReceivedDeadLetter): Promise<string> {
  if (!letter.bodyLocation) return letter.body;
  const where = parseS3Url(letter.bodyLocation);
  if (!where) throw new Error(`dead letter ${letter.messageId}: unreadable body location "${letter.bodyLocation}"`);
  if (!s3) throw new Error(`dead letter ${letter.messageId}: its body is at ${letter.bodyLocation}; S3 is needed`);
  const object = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
  if (!object.Body) throw new Error(`dead letter ${letter.messageId}: ${letter.bodyLocation} is empty`);
  return object.Body.transformToString('utf-8');
}

/** Deletes the stored body of a letter, if it has one: once the letter itself is gone, nothing refers to it. */
export async function deleteStoredBody(s3: S3Client | undefined, letter: ReceivedDeadLetter): Promise<void> {
  const where = letter.bodyLocation ? parseS3Url(letter.bodyLocation) : undefined;
  if (where && s3) await s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key }));
}

/** A dead letter as read back from the queue. */
export interface ReceivedDeadLetter extends DeadLetter {
  messageId: string;
  receiptHandle: string;
  sentAt?: string;
  /** `s3://bucket/key` of the original body when it was too large for the queue; `body` is then a pointer. */
  bodyLocation?: string;
}

/** Reads up to `max` dead letters without consuming them (they become visible again after `visibilitySeconds`). */
export async function peekDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  max = 100,
  visibilitySeconds = 5,
): Promise<ReceivedDeadLetter[]> {
  const seen = new Map<string, ReceivedDeadLetter>();
  let emptyReads = 0;
  while (seen.size < max && emptyReads < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    if (Messages.length === 0) emptyReads++;
    for (const m of Messages) {
      if (!m.MessageId || seen.has(m.MessageId)) continue;
      const attr = (name: string) => m.MessageAttributes?.[name]?.StringValue;
      const attempts = attr(DLQ_ATTRIBUTES.attempts);
      const sent = m.Attributes?.SentTimestamp;
      seen.set(m.MessageId, {
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        reason: attr(DLQ_ATTRIBUTES.reason) ?? 'moved here by SQS after too many receives',
        errorType: attr(DLQ_ATTRIBUTES.errorType) ?? 'MaxReceiveCountExceeded',
        workflowId: attr(DLQ_ATTRIBUTES.workflowId),
        attempts: attempts === undefined ? undefined : Number(attempts),
        source: (attr(DLQ_ATTRIBUTES.source) as DeadLetter['source'] | undefined) ?? 'bridge',
        sentAt: sent ? new Date(Number(sent)).toISOString() : undefined,
        bodyLocation: attr(DLQ_ATTRIBUTES.bodyLocation),
      });
    }
  }
  return [...seen.values()];
}
