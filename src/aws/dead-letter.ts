/**
 * The dead-letter queue: one queue for messages the bridge cannot start and for work that failed for good. Each
 * message keeps the original body and carries why it is there as message attributes, so `ebbflow dlq list` can show
 * the reason and `ebbflow dlq redrive` can send the original back unchanged.
 */
import {
  ReceiveMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DLQ_ATTRIBUTES } from '../common/constants';

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

export async function sendDeadLetter(sqs: SQSClient, queueUrl: string, letter: DeadLetter): Promise<string> {
  const attributes: Record<string, MessageAttributeValue> = {
    [DLQ_ATTRIBUTES.reason]: text(letter.reason || 'unknown'),
    [DLQ_ATTRIBUTES.errorType]: text(letter.errorType || 'Error'),
    [DLQ_ATTRIBUTES.source]: text(letter.source),
  };
  if (letter.workflowId) attributes[DLQ_ATTRIBUTES.workflowId] = text(letter.workflowId);
  if (letter.attempts !== undefined) {
    attributes[DLQ_ATTRIBUTES.attempts] = { DataType: 'Number', StringValue: String(letter.attempts) };
  }
  const result = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: letter.body || '(empty)',
      MessageAttributes: attributes,
    }),
  );
  return result.MessageId ?? '';
}

/** A dead letter as read back from the queue. */
export interface ReceivedDeadLetter extends DeadLetter {
  messageId: string;
  receiptHandle: string;
  sentAt?: string;
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
      });
    }
  }
  return [...seen.values()];
}
