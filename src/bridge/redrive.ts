/**
 * Reading and redriving the dead-letter queue: what `ebbflow dlq list` shows and `ebbflow dlq redrive` moves. The
 * original body goes back to the ingress queue unchanged, marked as a redrive; the bridge then derives the same
 * workflow ids, so items that already completed are absorbed as duplicates and only failed ones run again (a message
 * that is not marked never reruns a failed id).
 *
 * A letter whose body was too large for the DLQ points to it in S3: a redrive sends the original body from there, and
 * a redrive or a purge deletes the object after the letter (a crash in between leaves an object nothing refers to;
 * a lifecycle rule on `dead-letters/` longer than the DLQ's retention removes those).
 *
 * Letters are moved a batch at a time as they are received, so each is invisible from its receive to its delete; each
 * is handled at most once per command (by message id), however long the command runs and however many there are.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { deleteStoredBody, originalBody, peekDeadLetters, type ReceivedDeadLetter } from '../aws/dead-letter';
import { parseMessage } from './messages';
import { describeItem } from './plan';

/** Message attribute a redrive sets on what it sends to the ingress queue: the bridge may rerun failed ids for it. */
export const REDRIVE_ATTRIBUTE = 'ebbflow-redrive';

/** How long a listing hides the letters it reads, should it fail to show them again (it makes them visible at once). */
const LIST_VISIBILITY_SECONDS = 30;
/** How long a redrive or purge holds each letter while it sends and deletes it. */
const ACTION_VISIBILITY_SECONDS = 120;

/** Letters received per read while walking the queue (SQS's most per receive). */
const RECEIVE_BATCH = 10;

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
  /** `s3://bucket/key` of the original body when it was too large for the queue (`body` is then a pointer). */
  bodyLocation?: string;
}

/** What a message body is about, in one line. */
function describeBody(body: string): string {
  const parsed = parseMessage(body);
  if (parsed.kind === 'items') return parsed.items.map(describeItem).join(', ');
  if (parsed.kind === 'ignored') return parsed.reason;
  const snippet = body.replace(/\s+/g, ' ').trim();
  return `(unparseable) ${snippet.length > 40 ? `${snippet.slice(0, 40)}…` : snippet}`;
}

function viewDeadLetter(letter: ReceivedDeadLetter, now = Date.now()): DeadLetterView {
  return {
    messageId: letter.messageId,
    sentAt: letter.sentAt,
    ageMs: letter.sentAt ? Math.max(0, now - Date.parse(letter.sentAt)) : undefined,
    errorType: letter.errorType,
    reason: letter.reason,
    workflowId: letter.workflowId,
    attempts: letter.attempts,
    source: letter.source,
    item: letter.bodyLocation ? `(original body at ${letter.bodyLocation})` : describeBody(letter.body),
    body: letter.body,
    bodyLocation: letter.bodyLocation,
  };
}

/** Tries of each ChangeMessageVisibilityBatch entry that SQS refused for a fault of its own (throttling, an outage). */
const RELEASE_TRIES = 3;

/**
 * Makes received messages visible again at once, so a listing does not hide them from the next command. An entry SQS
 * refuses for a fault of its own is sent again, up to {@link RELEASE_TRIES} times in all; one refused for the
 * request's fault (the message was deleted meanwhile, or is visible already) is left. Returns how many stay hidden
 * until the visibility timeout they were received with ends.
 */
async function releaseMessages(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<number> {
  let hidden = 0;
  for (let i = 0; i < receiptHandles.length; i += 10) {
    let chunk = receiptHandles.slice(i, i + 10);
    for (let tries = 0; chunk.length > 0 && tries < RELEASE_TRIES; tries++) {
      const { Failed = [] } = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
        }),
      );
      const refused = chunk;
      chunk = Failed.filter((entry) => !entry.SenderFault).map((entry) => refused[Number(entry.Id)]!);
    }
    hidden += chunk.length;
  }
  return hidden;
}

/** Which dead letters a command applies to. */
export interface DeadLetterSelection {
  /** Most messages to act on. */
  max: number;
  /** Only these error types (as `dlq list` shows them); every type when absent or empty. */
  errorTypes?: readonly string[];
  /**
   * Told when letters the command received but did not act on could not be made visible again: they stay hidden from
   * other commands and consumers for `seconds` more at most.
   */
  onStillHidden?: (count: number, seconds: number) => void;
}

/**
 * Walks the queue a batch at a time and hands each selected letter to `act` as soon as it is received (so it stays
 * invisible while `act` runs), until `max` were handled or the queue has nothing new. Each letter is handled at most
 * once (by message id); letters of other types are held while the queue is read, so each is seen once, and released
 * at the end.
 */
async function walkDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  selection: DeadLetterSelection,
  visibilitySeconds: number,
  act: (letter: ReceivedDeadLetter) => Promise<void>,
): Promise<void> {
  const types = selection.errorTypes?.length ? new Set(selection.errorTypes) : undefined;
  const seen = new Set<string>();
  const passed: string[] = [];
  let handled = 0;
  try {
    while (handled < selection.max) {
      const batch = await peekDeadLetters(
        sqs,
        dlqUrl,
        Math.min(RECEIVE_BATCH, selection.max - handled),
        visibilitySeconds,
      );
      const fresh = batch.filter((letter) => !seen.has(letter.messageId));
      if (fresh.length === 0) break;
      for (const letter of fresh) {
        seen.add(letter.messageId);
        if (types && !types.has(letter.errorType)) passed.push(letter.receiptHandle);
        else if (handled < selection.max) {
          handled++;
          await act(letter);
        } else passed.push(letter.receiptHandle);
      }
    }
  } finally {
    const hidden = await releaseMessages(sqs, dlqUrl, passed);
    if (hidden > 0) selection.onStillHidden?.(hidden, visibilitySeconds);
  }
}

/** Up to `max` dead letters (of the selected types), left in the queue. */
export async function listDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  selection: DeadLetterSelection,
): Promise<DeadLetterView[]> {
  const letters: ReceivedDeadLetter[] = [];
  await walkDeadLetters(sqs, dlqUrl, selection, LIST_VISIBILITY_SECONDS, async (letter) => void letters.push(letter));
  const hidden = await releaseMessages(
    sqs,
    dlqUrl,
    letters.map((l) => l.receiptHandle),
  );
  if (hidden > 0) selection.onStillHidden?.(hidden, LIST_VISIBILITY_SECONDS);
  const now = Date.now();
  return letters.map((l) => viewDeadLetter(l, now)).sort((a, b) => (b.ageMs ?? 0) - (a.ageMs ?? 0));
}

export interface DeadLetterActionOptions extends DeadLetterSelection {
  dlqUrl: string;
  /** Only list what would be done. */
  dryRun?: boolean;
  /** Called after each message is handled. */
  onDone?: (letter: DeadLetterView) => void;
  /** Reads and deletes the bodies of letters too large for the queue; needed only when there are some. */
  s3?: S3Client;
}

/** Applies `act` to the selected dead letters as they are received, then deletes each from the DLQ. */
async function eachDeadLetter(
  sqs: SQSClient,
  options: DeadLetterActionOptions,
  act: (letter: ReceivedDeadLetter) => Promise<void>,
): Promise<DeadLetterView[]> {
  if (options.dryRun) return listDeadLetters(sqs, options.dlqUrl, options);
  const done: DeadLetterView[] = [];
  const now = Date.now();
  // A crash part-way leaves the letters not yet deleted in the DLQ; one sent but not deleted is redriven again later,
  // which its derived workflow id absorbs.
  await walkDeadLetters(sqs, options.dlqUrl, options, ACTION_VISIBILITY_SECONDS, async (letter) => {
    await act(letter);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: letter.receiptHandle }));
    await deleteStoredBody(options.s3, letter);
    const view = viewDeadLetter(letter, now);
    done.push(view);
    options.onDone?.(view);
  });
  return done;
}

/** Sends the selected dead letters' original bodies to the ingress queue and deletes them from the DLQ. */
export function redriveDeadLetters(
  sqs: SQSClient,
  options: DeadLetterActionOptions & { ingressQueueUrl: string },
): Promise<DeadLetterView[]> {
  return eachDeadLetter(sqs, options, async (letter) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: options.ingressQueueUrl,
        MessageBody: await originalBody(options.s3, letter),
        MessageAttributes: { [REDRIVE_ATTRIBUTE]: { DataType: 'String', StringValue: letter.messageId } },
      }),
    );
  });
}

/** Deletes the selected dead letters for good: items nobody will process (a corrupt upload, a test message). */
export function purgeDeadLetters(sqs: SQSClient, options: DeadLetterActionOptions): Promise<DeadLetterView[]> {
  return eachDeadLetter(sqs, options, async () => undefined);
}
