/**
 * What arrives on the ingress queue, understood without I/O: S3 event notifications (direct, or wrapped by SNS),
 * EventBridge events (S3 "Object Created", or an envelope as the event's detail) and plain envelopes
 * `{ "workflow": "<type>", "id": "<idempotency key>", "input": { … } }`.
 */

/** An object created in S3, from a notification or an EventBridge event. */
export interface S3ObjectItem {
  kind: 's3';
  bucket: string;
  /** The object key, decoded (S3 notifications URL-encode it, with `+` for a space). */
  key: string;
  versionId?: string;
  sequencer?: string;
  eTag?: string;
  /** Size of the object in bytes, as the event reports it. */
  size?: number;
  eventTime?: string;
  eventName?: string;
}

/** A request to start a named workflow with an input. */
export interface EnvelopeItem {
  kind: 'envelope';
  workflow: string;
  /** Idempotency key; the message id is used when absent. */
  id?: string;
  input: unknown;
}

export type MessageItem = S3ObjectItem | EnvelopeItem;

export type ParsedMessage =
  | { kind: 'items'; items: MessageItem[] }
  /** Understood, but nothing to start (S3's `s3:TestEvent`, non-create S3 events): acknowledged and dropped. */
  | { kind: 'ignored'; reason: string }
  /** Not understood: goes to the DLQ with the reason. */
  | { kind: 'invalid'; errorType: 'UnparseableMessage'; reason: string };

type Json = Record<string, unknown>;

/**
 * Largest body understood: 256 KiB, SQS's limit until 2025 and still every queue's unless raised (up to 1 MiB). Each
 * workflow a message starts carries its body, to dead-letter it as it came: a larger one is refused with its size.
 */
export const MAX_BODY_BYTES = 256 * 1024;
/**
 * Most S3 records read from one message. S3 sends one per notification; a body holding thousands (each would start a
 * workflow carrying the whole body) is not one AWS sends, and would take the bridge's memory with it.
 */
export const MAX_S3_RECORDS = 100;
/**
 * Most wrappers around the item (an SNS notification around an EventBridge event around an envelope is three): a
 * deeper body is not something AWS sends, and following it without a bound is how a crafted body exhausts the stack.
 */
export const MAX_WRAPPING_DEPTH = 4;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const optSize = (v: unknown): number | undefined =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined;

/** Half of a UTF-16 pair on its own: not Unicode text; Temporal and S3 would refuse it further on. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Decodes an S3 notification key the way S3 encodes it: `+` is a space, the rest is percent-encoding. */
export function decodeS3Key(key: string): string {
  const spaced = key.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A key with a stray '%' that S3 did not encode: keep it as it came.
    return spaced;
  }
}

function invalid(reason: string): ParsedMessage {
  return { kind: 'invalid', errorType: 'UnparseableMessage', reason };
}

function parseS3Records(records: unknown[]): ParsedMessage {
  if (records.length > MAX_S3_RECORDS) {
    return invalid(`message has ${records.length} S3 records; at most ${MAX_S3_RECORDS} are read (S3 sends one)`);
  }
  const items: MessageItem[] = [];
  let skipped = 0;
  for (const [i, record] of records.entries()) {
    if (!isObject(record) || !isObject(record.s3)) return invalid(`Records[${i}] is not an S3 event record`);
    const s3 = record.s3;
    const bucket = isObject(s3.bucket) ? optString(s3.bucket.name) : undefined;
    const object = isObject(s3.object) ? s3.object : undefined;
    const rawKey = object ? optString(object.key) : undefined;
    if (!bucket || !object || !rawKey) return invalid(`Records[${i}] has no s3.bucket.name or s3.object.key`);
    const key = decodeS3Key(rawKey);
    if (LONE_SURROGATE.test(key)) return invalid(`Records[${i}] has an object key that is not valid Unicode`);
    const eventName = optString(record.eventName);
    if (eventName && !eventName.startsWith('ObjectCreated')) {
      skipped++;
      continue;
    }
    items.push({
      kind: 's3',
      bucket,
      key,
      versionId: optString(object.versionId),
      sequencer: optString(object.sequencer),
      eTag: optString(object.eTag),
      size: optSize(object.size),
      eventTime: optString(record.eventTime),
      eventName,
    });
  }
  if (items.length === 0) {
    return { kind: 'ignored', reason: skipped > 0 ? 'no ObjectCreated records' : 'empty Records' };
  }
  return { kind: 'items', items };
}

function parseEnvelope(value: Json): ParsedMessage {
  const workflow = optString(value.workflow);
  if (!workflow) return invalid('envelope has no "workflow" name');
  if (value.id !== undefined && typeof value.id !== 'string' && typeof value.id !== 'number') {
    return invalid('envelope "id" must be a string or a number');
  }
  const id = value.id === undefined || value.id === '' ? undefined : String(value.id);
  return { kind: 'items', items: [{ kind: 'envelope', workflow, id, input: value.input ?? {} }] };
}

function parseEventBridge(event: Json, depth: number): ParsedMessage {
  const detail = event.detail;
  if (!isObject(detail)) return invalid(`EventBridge event "${String(event['detail-type'])}" has no detail object`);
  if (event.source === 'aws.s3') {
    if (event['detail-type'] !== 'Object Created') {
      return { kind: 'ignored', reason: `S3 event "${String(event['detail-type'])}" starts nothing` };
    }
    const bucket = isObject(detail.bucket) ? optString(detail.bucket.name) : undefined;
    const object = isObject(detail.object) ? detail.object : undefined;
    const key = object ? optString(object.key) : undefined;
    if (!bucket || !object || !key) return invalid('S3 "Object Created" event has no detail.bucket.name or object.key');
    // EventBridge delivers keys URL-encoded like notifications do.
    const decoded = decodeS3Key(key);
    if (LONE_SURROGATE.test(decoded))
      return invalid('S3 "Object Created" event has an object key that is not valid Unicode');
    return {
      kind: 'items',
      items: [
        {
          kind: 's3',
          bucket,
          key: decoded,
          versionId: optString(object['version-id']),
          sequencer: optString(object.sequencer),
          eTag: optString(object.etag),
          size: optSize(object.size),
          eventTime: optString(event.time),
          eventName: 'Object Created',
        },
      ],
    };
  }
  return parseValue(detail, 'EventBridge detail', depth + 1);
}

function parseValue(value: unknown, where: string, depth: number): ParsedMessage {
  if (depth > MAX_WRAPPING_DEPTH) return invalid(`${where} is wrapped more than ${MAX_WRAPPING_DEPTH} levels deep`);
  if (!isObject(value)) return invalid(`${where} is not a JSON object`);
  if (value.Event === 's3:TestEvent') return { kind: 'ignored', reason: 's3:TestEvent' };
  if (Array.isArray(value.Records)) return parseS3Records(value.Records);
  if (typeof value['detail-type'] === 'string' && 'detail' in value) return parseEventBridge(value, depth);
  // An SNS notification delivered to SQS without raw delivery wraps the real message.
  if (value.Type === 'Notification' && typeof value.Message === 'string') {
    return parseBody(value.Message, 'SNS Message', depth + 1);
  }
  if ('workflow' in value) return parseEnvelope(value);
  return invalid(
    `${where} is neither an S3 event notification, an EventBridge event nor an envelope {"workflow","id","input"}`,
  );
}

function parseBody(body: string, where: string, depth: number): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const snippet = body.length > 60 ? `${body.slice(0, 60)}…` : body;
    return invalid(`${where} is not JSON (${(err as Error).message}): ${JSON.stringify(snippet)}`);
  }
  return parseValue(value, where, depth);
}

/** Understands one SQS message body. Never throws: whatever it cannot understand is an `invalid` result. */
export function parseMessage(body: string | undefined): ParsedMessage {
  if (body === undefined || body.trim() === '') return invalid('message body is empty');
  const bytes = Buffer.byteLength(body);
  if (bytes > MAX_BODY_BYTES) return invalid(`message body is ${bytes} bytes; at most ${MAX_BODY_BYTES} are read`);
  try {
    return parseBody(body, 'message body', 0);
  } catch (err) {
    // A structure deep enough to exhaust the stack inside JSON.parse, or anything else not foreseen.
    return invalid(`message body could not be read: ${(err as Error).message}`);
  }
}
