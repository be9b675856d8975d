import type { SQSClient } from '@aws-sdk/client-sqs';
import { listDeadLetters } from '../../../src/bridge/redrive';

type Command = { constructor: { name: string }; input: Record<string, unknown> };
type Entry = { Id: string; ReceiptHandle: string };
type Failure = { Id: string; SenderFault: boolean; Code: string };

/**
 * A dead-letter queue of three letters whose ChangeMessageVisibilityBatch answers with `refuse(call, entries)`: the
 * entries it fails, by position in the call.
 */
function fakeDlq(refuse: (call: number, entries: Entry[]) => Failure[]) {
  const releases: string[][] = [];
  let received = false;
  const sqs = {
    send: async (command: Command) => {
      if (command.constructor.name === 'ReceiveMessageCommand') {
        if (received) return { Messages: [] };
        received = true;
        return {
          Messages: ['a', 'b', 'c'].map((id) => ({ MessageId: id, ReceiptHandle: `handle-${id}`, Body: '{}' })),
        };
      }
      if (command.constructor.name === 'ChangeMessageVisibilityBatchCommand') {
        const entries = command.input.Entries as Entry[];
        releases.push(entries.map((e) => e.ReceiptHandle));
        return { Successful: [], Failed: refuse(releases.length, entries) };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  } as unknown as SQSClient;
  return { sqs, releases };
}

describe('dlq list gives back the letters it read', () => {
  test("entries SQS refused for its own fault are sent again; the request's faults are left", async () => {
    const { sqs, releases } = fakeDlq((call, entries) =>
      call === 1
        ? [
            {
              Id: String(entries.findIndex((e) => e.ReceiptHandle === 'handle-b')),
              SenderFault: false,
              Code: 'InternalError',
            },
            {
              Id: String(entries.findIndex((e) => e.ReceiptHandle === 'handle-c')),
              SenderFault: true,
              Code: 'ReceiptHandleIsInvalid',
            },
          ]
        : [],
    );
    const hidden: [number, number][] = [];
    const letters = await listDeadLetters(sqs, 'https://dlq', {
      max: 10,
      onStillHidden: (count, seconds) => hidden.push([count, seconds]),
    });
    expect(letters.map((l) => l.messageId).sort()).toEqual(['a', 'b', 'c']);
    expect(releases).toEqual([['handle-a', 'handle-b', 'handle-c'], ['handle-b']]);
    expect(hidden).toEqual([]);
  });

  test('letters SQS keeps refusing are reported as still hidden, with how long at most', async () => {
    const { sqs, releases } = fakeDlq((_call, entries) => [
      {
        Id: String(entries.findIndex((e) => e.ReceiptHandle === 'handle-a')),
        SenderFault: false,
        Code: 'ServiceUnavailable',
      },
    ]);
    const hidden: [number, number][] = [];
    await listDeadLetters(sqs, 'https://dlq', {
      max: 10,
      onStillHidden: (count, seconds) => hidden.push([count, seconds]),
    });
    expect(releases).toEqual([['handle-a', 'handle-b', 'handle-c'], ['handle-a'], ['handle-a']]);
    expect(hidden).toEqual([[1, 30]]);
  });
});
