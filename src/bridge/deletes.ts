/**
 * The bridge's deletes from the ingress queue, in batches. The messages whose starts Temporal accepted while the last
 * delete request was out go together in the next one, up to ten (SQS's limit for DeleteMessageBatch), and one request
 * is out at a time. A burst then costs up to ten times fewer delete requests, which SQS bills one by one, and a
 * message waits for at most the one request before its own.
 *
 * One request at a time also means this bridge never sends two deletes on its queue at once. The AWS emulator used
 * locally (moto 5.1) rebuilds a queue's list of messages on each delete without a lock, so of two deletes that overlap
 * one can be undone: its message returns after its visibility timeout and is absorbed as a duplicate, but holds the
 * queue's in-flight count (and so a scaled fleet) above zero until then.
 */
import type { DeleteMessageBatchRequestEntry, DeleteMessageBatchResult } from '@aws-sdk/client-sqs';

/** SQS takes at most this many entries in one DeleteMessageBatch. */
export const MAX_DELETE_BATCH = 10;

/** Sends one DeleteMessageBatch request for these entries; `Failed` lists the entries SQS kept. */
export type SendDeleteBatch = (
  entries: DeleteMessageBatchRequestEntry[],
) => Promise<Pick<DeleteMessageBatchResult, 'Failed'>>;

/** SQS kept a message of a batch: the error code and message it gave for that entry. */
export class DeleteRefusedError extends Error {
  override readonly name = 'DeleteRefusedError';
}

interface Waiting {
  receiptHandle: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface BatchDeleter {
  /** Resolves once SQS deleted the message; rejects with SQS's reason when it kept it or the request failed. */
  delete(receiptHandle: string): Promise<void>;
}

export function batchDeleter(send: SendDeleteBatch): BatchDeleter {
  const waiting: Waiting[] = [];
  let sending = false;

  const sendBatch = async (batch: Waiting[]): Promise<void> => {
    try {
      const { Failed = [] } = await send(batch.map((w, i) => ({ Id: String(i), ReceiptHandle: w.receiptHandle })));
      const failed = new Map(Failed.map((f) => [f.Id, f]));
      batch.forEach((w, i) => {
        const failure = failed.get(String(i));
        if (failure)
          w.reject(new DeleteRefusedError(`${failure.Code ?? 'error'}: ${failure.Message ?? 'not deleted'}`));
        else w.resolve();
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const w of batch) w.reject(error);
    }
  };

  const drain = async (): Promise<void> => {
    while (waiting.length > 0) await sendBatch(waiting.splice(0, MAX_DELETE_BATCH));
    sending = false;
  };

  return {
    delete(receiptHandle) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ receiptHandle, resolve, reject });
        if (sending) return;
        sending = true;
        // The starts that Temporal answered in this turn of the event loop join the first request.
        setImmediate(() => void drain());
      });
    },
  };
}
