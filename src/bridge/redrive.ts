/**
 * Reading and redriving the dead-letter queue: what `ebbflow dlq list` shows and `ebbflow dlq redrive` moves. The
 * original body goes back to the ingress queue unchanged; the bridge then derives the same workflow ids, so items that
 * already completed are absorbed as duplicates and only failed ones run again.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { peekDeadLetters, type ReceivedDeadLetter } from '../aws/dead-letter';
import { parseMessage } from './messages';
import { describeItem } from './plan';

/** A dead letter with what a person needs to decide about it. */
export interface DeadLetterView {
  messageId: string;
  sentAt?: string;
  ageMs?: number;
  errorType: string;
  reason: string;
  workflowId?: string;
  attempts?: number;
  source: string;
  /** The item the original message was about: `s3://bucket/key`, `workflow id`, or what was wrong with it. */
  item: string;
  body: string;
}

/** What a message body is about, in one line. */
export function describeBody(body: string): string {
  const parsed = parseMessage(body);
  if (parsed.kind === 'items') return parsed.items.map(describeItem).join(', ');
  if (parsed.kind === 'ignored') return parsed.reason;
  const snippet = body.replace(/\s+/g, ' ').trim();
  return `(unparseable) ${snippet.length > 40 ? `${snippet.slice(0, 40)}…` : snippet}`;
}

export function viewDeadLetter(letter: ReceivedDeadLetter, now = Date.now()): DeadLetterView {
  return {
    messageId: letter.messageId,
    sentAt: letter.sentAt,
    ageMs: letter.sentAt ? Math.max(0, now - Date.parse(letter.sentAt)) : undefined,
    errorType: letter.errorType,
    reason: letter.reason,
    workflowId: letter.workflowId,
    attempts: letter.attempts,
    source: letter.source,
    item: describeBody(letter.body),
    body: letter.body,
  };
}

/** Makes received messages visible again at once, so a listing does not hide them from the next command. */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const chunk = receiptHandles.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/** Up to `max` dead letters, left in the queue. */
export async function listDeadLetters(sqs: SQSClient, dlqUrl: string, max: number): Promise<DeadLetterView[]> {
  const letters = await peekDeadLetters(sqs, dlqUrl, max, 30);
  await releaseMessages(
    sqs,
    dlqUrl,
    letters.map((l) => l.receiptHandle),
  );
  const now = Date.now();
  return letters.map((l) => viewDeadLetter(l, now)).sort((a, b) => (b.ageMs ?? 0) - (a.ageMs ?? 0));
}

export interface RedriveOptions {
  dlqUrl: string;
  ingressQueueUrl: string;
  /** Most messages to move. */
  max: number;
  /** Only list what would move. */
  dryRun?: boolean;
  /** Called after each message moved. */
  onMoved?: (letter: DeadLetterView) => void;
}

/** Sends up to `max` dead letters' original bodies to the ingress queue and deletes them from the DLQ. */
export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<DeadLetterView[]> {
  if (options.dryRun) return listDeadLetters(sqs, options.dlqUrl, options.max);
  // Held invisible long enough to move them one by one; a crash part-way leaves the rest in the DLQ.
  const letters = await peekDeadLetters(sqs, options.dlqUrl, options.max, 120);
  const moved: DeadLetterView[] = [];
  const now = Date.now();
  for (const letter of letters) {
    await sqs.send(new SendMessageCommand({ QueueUrl: options.ingressQueueUrl, MessageBody: letter.body }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: letter.receiptHandle }));
    const view = viewDeadLetter(letter, now);
    moved.push(view);
    options.onMoved?.(view);
  }
  return moved;
}
