/**
 * The parser against bodies nobody should send: deep wrapping, oversize, random structures, Unicode and encoded keys.
 * Whatever arrives, parseMessage returns a result (the bridge dead-letters what it cannot read) and never throws.
 */
import { MAX_BODY_BYTES, MAX_WRAPPING_DEPTH, parseMessage, type ParsedMessage } from '../../../src/bridge/messages';
import { seededRandom, type Random } from '../../../src/common/random';

const s3Record = (key: string): object => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'in' }, object: { key, size: 1 } } }],
});

/** An envelope wrapped in `depth` EventBridge events. */
function eventBridgeNest(depth: number): string {
  const open = '{"detail-type":"x","source":"y","detail":';
  return `${open.repeat(depth)}{"workflow":"echoWorkflow","id":"1","input":{}}${'}'.repeat(depth)}`;
}

/** An S3 notification wrapped in `depth` SNS notifications. */
function snsNest(depth: number): string {
  let body = JSON.stringify(s3Record('uploads/a.jpg'));
  for (let i = 0; i < depth; i++) body = JSON.stringify({ Type: 'Notification', Message: body });
  return body;
}

function expectInvalid(result: ParsedMessage, reason: RegExp): void {
  expect(result).toMatchObject({ kind: 'invalid', errorType: 'UnparseableMessage' });
  expect(result.kind === 'invalid' && result.reason).toMatch(reason);
}

describe('parseMessage under fuzzing', () => {
  it('refuses EventBridge details nested beyond the bound, up to a body of SQS size, without throwing', () => {
    expect(parseMessage(eventBridgeNest(MAX_WRAPPING_DEPTH)).kind).toBe('items');
    expectInvalid(parseMessage(eventBridgeNest(MAX_WRAPPING_DEPTH + 1)), /wrapped more than/);
    const deepest = Math.floor((MAX_BODY_BYTES - 100) / 45);
    expect(eventBridgeNest(deepest).length).toBeGreaterThan(128 * 1024);
    expectInvalid(parseMessage(eventBridgeNest(deepest)), /wrapped more than/);
  });

  it('refuses SNS notifications wrapped in each other beyond the bound', () => {
    expect(parseMessage(snsNest(MAX_WRAPPING_DEPTH)).kind).toBe('items');
    expectInvalid(parseMessage(snsNest(MAX_WRAPPING_DEPTH + 1)), /wrapped more than/);
  });

  it('refuses deep JSON arrays and bodies larger than SQS carries', () => {
    const depth = 120_000;
    expectInvalid(parseMessage(`${'['.repeat(depth)}${']'.repeat(depth)}`), /./);
    const big = JSON.stringify({ workflow: 'echoWorkflow', id: '1', input: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    expectInvalid(parseMessage(big), /bytes; at most/);
  });

  it('decodes Unicode and percent-encoded keys, and refuses keys that are not Unicode text', () => {
    const keyOf = (key: string): string | undefined => {
      const result = parseMessage(JSON.stringify(s3Record(key)));
      return result.kind === 'items' && result.items[0]?.kind === 's3' ? result.items[0].key : undefined;
    };
    expect(keyOf('uploads/caf%C3%A9+%F0%9F%90%88.jpg')).toBe('uploads/café 🐈.jpg');
    expect(keyOf('uploads/日本語 写真.jpg')).toBe('uploads/日本語 写真.jpg');
    expect(keyOf('uploads/100%.jpg')).toBe('uploads/100%.jpg');
    // An encoded lone surrogate does not decode: kept as it came, which is valid text.
    expect(keyOf('uploads/%ED%A0%80.jpg')).toBe('uploads/%ED%A0%80.jpg');
    expectInvalid(parseMessage(JSON.stringify(s3Record('uploads/\ud800.jpg'))), /not valid Unicode/);
    expectInvalid(
      parseMessage(
        JSON.stringify({
          'detail-type': 'Object Created',
          source: 'aws.s3',
          detail: { bucket: { name: 'in' }, object: { key: 'a\udfff.jpg' } },
        }),
      ),
      /not valid Unicode/,
    );
  });

  it('never throws on random structures built from the shapes it knows', () => {
    const random = seededRandom(21);
    const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
    const strings = ['', 'uploads/a.jpg', '%', '%E0%A4%A', '\u0000', '\ud83d', '𝒳', 'Notification', 'aws.s3', '+'];
    const keys = ['Records', 's3', 'bucket', 'object', 'key', 'name', 'detail', 'detail-type', 'source', 'Type'];
    const more = ['Message', 'workflow', 'id', 'input', 'Event', 'eventName', 'size', '__proto__', 'constructor'];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 6 || roll < 0.3) return pick(random, [...strings, 0, -1, 1.5, true, null, 2 ** 60]);
      if (roll < 0.45) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      if (roll < 0.55) return JSON.stringify(value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) object[pick(random, [...keys, ...more])] = value(depth + 1);
      return object;
    };
    for (let i = 0; i < 3000; i++) {
      const body = JSON.stringify(value(0)) ?? '';
      const cut = random() < 0.1 ? body.slice(0, Math.floor(random() * body.length)) : body;
      const result = parseMessage(cut);
      expect(['items', 'ignored', 'invalid']).toContain(result.kind);
      if (result.kind === 'items') {
        for (const item of result.items) if (item.kind === 's3') expect(item.key).not.toMatch(/\p{Cs}/u);
      }
    }
  });
});
