import type { BatchResultErrorEntry, DeleteMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { batchDeleter, MAX_DELETE_BATCH } from '../../../src/bridge/deletes';

/** A DeleteMessageBatch stand-in whose requests the test answers one by one. */
function fakeSqs() {
  const requests: {
    entries: DeleteMessageBatchRequestEntry[];
    answer: (failed?: string[]) => void;
    fail: (e: Error) => void;
  }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const send = (entries: DeleteMessageBatchRequestEntry[]) =>
    new Promise<{ Failed: BatchResultErrorEntry[] }>((resolve, reject) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const done = (): void => void inFlight--;
      requests.push({
        entries,
        answer: (failed = []) => {
          done();
          const ids = new Map(entries.map((e) => [e.ReceiptHandle, e.Id]));
          resolve({
            Failed: failed.map((h) => ({
              Id: ids.get(h),
              SenderFault: true,
              Code: 'ReceiptHandleIsInvalid',
              Message: `bad ${h}`,
            })),
          });
        },
        fail: (e) => {
          done();
          reject(e);
        },
      });
    });
  return { send, requests, mostInFlight: () => mostInFlight };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const settled = <T>(p: Promise<T>) =>
  p.then(
    () => 'deleted',
    (e: Error) => `${e.name}: ${e.message}`,
  );

describe('batchDeleter', () => {
  it('sends the deletes asked for in one turn as one request', async () => {
    const sqs = fakeSqs();
    const deletes = batchDeleter(sqs.send);
    const outcomes = ['a', 'b', 'c'].map((h) => settled(deletes.delete(h)));
    await turn();
    expect(sqs.requests.map((r) => r.entries.map((e) => e.ReceiptHandle))).toEqual([['a', 'b', 'c']]);
    sqs.requests[0]!.answer();
    expect(await Promise.all(outcomes)).toEqual(['deleted', 'deleted', 'deleted']);
  });

  it('keeps one request out at a time, at most ten handles each, and sends what waited next', async () => {
    const sqs = fakeSqs();
    const deletes = batchDeleter(sqs.send);
    const first = settled(deletes.delete('first'));
    await turn();
    const later = Array.from({ length: 23 }, (_, i) => settled(deletes.delete(`h${i}`)));
    await turn();
    expect(sqs.requests).toHaveLength(1);

    sqs.requests[0]!.answer();
    await turn();
    expect(sqs.requests).toHaveLength(2);
    sqs.requests[1]!.answer();
    await turn();
    sqs.requests[2]!.answer();
    await turn();
    sqs.requests[3]!.answer();

    expect(await first).toBe('deleted');
    expect(await Promise.all(later)).toEqual(later.map(() => 'deleted'));
    expect(sqs.requests.map((r) => r.entries.length)).toEqual([1, MAX_DELETE_BATCH, MAX_DELETE_BATCH, 3]);
    expect(sqs.mostInFlight()).toBe(1);
    // Each request numbers its own entries.
    expect(sqs.requests[3]!.entries.map((e) => e.Id)).toEqual(['0', '1', '2']);
  });

  it('fails only the entries SQS kept, with its reason', async () => {
    const sqs = fakeSqs();
    const deletes = batchDeleter(sqs.send);
    const outcomes = ['a', 'b', 'c'].map((h) => settled(deletes.delete(h)));
    await turn();
    sqs.requests[0]!.answer(['b']);
    expect(await Promise.all(outcomes)).toEqual([
      'deleted',
      'DeleteRefusedError: ReceiptHandleIsInvalid: bad b',
      'deleted',
    ]);
  });

  it('fails every entry of a request that failed, and goes on with the next', async () => {
    const sqs = fakeSqs();
    const deletes = batchDeleter(sqs.send);
    const lost = ['a', 'b'].map((h) => settled(deletes.delete(h)));
    await turn();
    sqs.requests[0]!.fail(new Error('socket hang up'));
    expect(await Promise.all(lost)).toEqual(['Error: socket hang up', 'Error: socket hang up']);

    const next = settled(deletes.delete('c'));
    await turn();
    sqs.requests[1]!.answer();
    expect(await next).toBe('deleted');
  });
});
