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

/** Which dead letters a command applies to. */
export interface DeadLetterSelection {
  /** Most messages to act on. */
  max: number;
  /** Only these error types (as `dlq list` shows them); every type when absent or empty. */
  errorTypes?: readonly string[];
}

/**
 * Up to `max` dead letters of the selected types, held invisible for `visibilitySeconds`. Letters of other types are
 * held while the queue is read (so each is seen once) and released as soon as it has been.
 */
async function selectDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  selection: DeadLetterSelection,
  visibilitySeconds: number,
): Promise<ReceivedDeadLetter[]> {
  const types = selection.errorTypes?.length ? new Set(selection.errorTypes) : undefined;
  const selected: ReceivedDeadLetter[] = [];
  const passed: string[] = [];
  try {
    for (;;) {
      const batch = await peekDeadLetters(
        sqs,
        dlqUrl,
        Math.min(100, selection.max - selected.length),
        visibilitySeconds,
      );
      if (batch.length === 0) break;
      for (const letter of batch) {
        if (!types || types.has(letter.errorType)) selected.push(letter);
        else passed.push(letter.receiptHandle);
      }
      if (!types || selected.length >= selection.max) break;
    }
  } finally {
    await releaseMessages(sqs, dlqUrl, passed);
  }
  return selected;
}

/** Up to `max` dead letters (of the selected types), left in the queue. */
export async function listDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  selection: DeadLetterSelection,
): Promise<DeadLetterView[]> {
  const letters = await selectDeadLetters(sqs, dlqUrl, selection, 30);
  await releaseMessages(
    sqs,
    dlqUrl,
    letters.map((l) => l.receiptHandle),
  );
  const now = Date.now();
  return letters.map((l) => viewDeadLetter(l, now)).sort((a, b) => (b.ageMs ?? 0) - (a.ageMs ?? 0));
}

export interface DeadLetterActionOptions extends DeadLetterSelection {
  dlqUrl: string;
  /** Only list what would be done. */
  dryRun?: boolean;
  /** Called after each message is handled. */
  onDone?: (letter: DeadLetterView) => void;
}

/** Applies `act` to the selected dead letters one at a time, then deletes each from the DLQ. */
async function eachDeadLetter(
  sqs: SQSClient,
  options: DeadLetterActionOptions,
  act: (letter: ReceivedDeadLetter) => Promise<void>,
): Promise<DeadLetterView[]> {
  if (options.dryRun) return listDeadLetters(sqs, options.dlqUrl, options);
  // Held invisible long enough to handle them one by one; a crash part-way leaves the rest in the DLQ.
  const letters = await selectDeadLetters(sqs, options.dlqUrl, options, 120);
  const done: DeadLetterView[] = [];
  const now = Date.now();
  for (const letter of letters) {
    await act(letter);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: letter.receiptHandle }));
    const view = viewDeadLetter(letter, now);
    done.push(view);
    options.onDone?.(view);
  }
  return done;
}

/** Sends the selected dead letters' original bodies to the ingress queue and deletes them from the DLQ. */
export function redriveDeadLetters(
  sqs: SQSClient,
  options: DeadLetterActionOptions & { ingressQueueUrl: string },
): Promise<DeadLetterView[]> {
  return eachDeadLetter(sqs, options, async (letter) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: options.ingressQueueUrl, MessageBody: letter.body }));
  });
}

/** Deletes the selected dead letters for good: items nobody will process (a corrupt upload, a test message). */
export function purgeDeadLetters(sqs: SQSClient, options: DeadLetterActionOptions): Promise<DeadLetterView[]> {
  return eachDeadLetter(sqs, options, async () => undefined);
}
