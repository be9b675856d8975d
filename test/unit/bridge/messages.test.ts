import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeS3Key, MAX_S3_RECORDS, parseMessage, type MessageItem } from '../../../src/bridge/messages';

const fixture = (name: string): string =>
  readFileSync(path.join(__dirname, '../../fixtures/messages', `${name}.json`), 'utf8');

function items(body: string): MessageItem[] {
  const parsed = parseMessage(body);
  if (parsed.kind !== 'items') throw new Error(`expected items, got ${JSON.stringify(parsed)}`);
  return parsed.items;
}

describe('decodeS3Key', () => {
  it.each([
    ['photos/my+cat%2B1.jpg', 'photos/my cat+1.jpg'],
    ['photos%2Fmy+cat%2B1.jpg', 'photos/my cat+1.jpg'],
    ['b/Caf%C3%A9+%282%29.png', 'b/Café (2).png'],
    ['plain.jpg', 'plain.jpg'],
    ['100%+sure.jpg', '100% sure.jpg'],
  ])('%s → %s', (raw, decoded) => {
    expect(decodeS3Key(raw)).toBe(decoded);
  });
});

describe('parseMessage', () => {
  it('reads an S3 notification with the key decoded and what identifies the upload', () => {
    expect(items(fixture('s3-object-created'))).toEqual([
      {
        kind: 's3',
        bucket: 'ebbflow-input',
        key: 'photos/my cat+1.jpg',
        versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
        sequencer: '0055AED6DCD90281E5',
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        size: 1024,
        eventTime: '2025-03-14T09:26:53.123Z',
        eventName: 'ObjectCreated:Put',
      },
    ]);
  });

  it('reads the emulator’s notification, which encodes the slash too and has no sequencer', () => {
    const [item] = items(fixture('s3-moto-object-created'));
    expect(item).toMatchObject({ kind: 's3', bucket: 'probe-input', key: 'photos/my cat+1.jpg', sequencer: undefined });
  });

  it('acknowledges s3:TestEvent without items', () => {
    expect(parseMessage(fixture('s3-test-event'))).toEqual({ kind: 'ignored', reason: 's3:TestEvent' });
  });

  it('returns one item per ObjectCreated record and skips other events', () => {
    const result = items(fixture('s3-two-records'));
    expect(result.map((i) => (i.kind === 's3' ? i.key : i.workflow))).toEqual(['a/first.jpg', 'b/Café (2).png']);
  });

  it('refuses a body with more S3 records than a notification has, naming the count', () => {
    const record = (i: number) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'in' }, object: { key: `a${i}.jpg` } },
    });
    const many = (n: number) =>
      parseMessage(JSON.stringify({ Records: Array.from({ length: n }, (_, i) => record(i)) }));
    expect(many(MAX_S3_RECORDS)).toMatchObject({ kind: 'items', items: { length: MAX_S3_RECORDS } });
    expect(many(1000)).toEqual({
      kind: 'invalid',
      errorType: 'UnparseableMessage',
      reason: `message has 1000 S3 records; at most ${MAX_S3_RECORDS} are read (S3 sends one)`,
    });
  });

  it('reads an S3 "Object Created" event delivered through EventBridge', () => {
    expect(items(fixture('eventbridge-object-created'))).toEqual([
      expect.objectContaining({
        kind: 's3',
        bucket: 'ebbflow-input',
        key: 'photos/my cat+1.jpg',
        versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
        sequencer: '617f08299329d189',
        size: 5,
      }),
    ]);
  });

  it('keeps an object size only when it is a byte count', () => {
    const record = (size: unknown) =>
      JSON.stringify({
        Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k.jpg', size } } }],
      });
    expect(items(record(0))[0]).toMatchObject({ size: 0 });
    for (const bad of [-1, 1.5, '12', null, 2 ** 60]) expect(items(record(bad))[0]).toMatchObject({ size: undefined });
  });

  it('reads an envelope sent as EventBridge detail', () => {
    expect(items(fixture('eventbridge-envelope'))).toEqual([
      { kind: 'envelope', workflow: 'echoWorkflow', id: 'order-42', input: { orderId: 42 } },
    ]);
  });

  it('reads a plain envelope', () => {
    expect(items(fixture('envelope'))).toEqual([
      { kind: 'envelope', workflow: 'echoWorkflow', id: 'nightly 2025-03-14', input: { day: '2025-03-14' } },
    ]);
  });

  it('unwraps an S3 notification published through SNS', () => {
    expect(items(fixture('sns-wrapped-s3'))).toEqual([
      expect.objectContaining({ bucket: 'ebbflow-input', key: 'x/y z.jpg' }),
    ]);
  });

  it('ignores S3 events that create nothing', () => {
    const removed = JSON.stringify({
      Records: [{ eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'b' }, object: { key: 'k' } } }],
    });
    expect(parseMessage(removed)).toEqual({ kind: 'ignored', reason: 'no ObjectCreated records' });
  });

  it.each([
    ['not JSON', 'hello {', /not JSON/],
    ['empty', '', /empty/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['an unknown shape', '{"foo":1}', /neither an S3 event notification/],
    ['an envelope without a workflow', '{"workflow":"","input":{}}', /no "workflow"/],
    ['an S3 record without a key', '{"Records":[{"s3":{"bucket":{"name":"b"},"object":{}}}]}', /no s3.bucket.name/],
    ['an envelope with an object id', '{"workflow":"w","id":{"a":1}}', /"id" must be/],
  ])('reports %s as unparseable with the reason', (_what, body, reason) => {
    const parsed = parseMessage(body);
    expect(parsed).toMatchObject({ kind: 'invalid', errorType: 'UnparseableMessage' });
    expect(parsed.kind === 'invalid' && parsed.reason).toMatch(reason);
  });
});
