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

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const optSize = (v: unknown): number | undefined =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined;

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
  const items: MessageItem[] = [];
  let skipped = 0;
  for (const [i, record] of records.entries()) {
    if (!isObject(record) || !isObject(record.s3)) return invalid(`Records[${i}] is not an S3 event record`);
    const s3 = record.s3;
    const bucket = isObject(s3.bucket) ? optString(s3.bucket.name) : undefined;
    const object = isObject(s3.object) ? s3.object : undefined;
    const rawKey = object ? optString(object.key) : undefined;
    if (!bucket || !object || !rawKey) return invalid(`Records[${i}] has no s3.bucket.name or s3.object.key`);
    const eventName = optString(record.eventName);
    if (eventName && !eventName.startsWith('ObjectCreated')) {
      skipped++;
      continue;
    }
    items.push({
      kind: 's3',
      bucket,
      key: decodeS3Key(rawKey),
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

function parseEventBridge(event: Json): ParsedMessage {
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
    return {
      kind: 'items',
      items: [
        {
          kind: 's3',
          bucket,
          // EventBridge delivers keys URL-encoded like notifications do.
          key: decodeS3Key(key),
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
  return parseValue(detail, 'EventBridge detail');
}

function parseValue(value: unknown, where: string): ParsedMessage {
  if (!isObject(value)) return invalid(`${where} is not a JSON object`);
  if (value.Event === 's3:TestEvent') return { kind: 'ignored', reason: 's3:TestEvent' };
  if (Array.isArray(value.Records)) return parseS3Records(value.Records);
  if (typeof value['detail-type'] === 'string' && 'detail' in value) return parseEventBridge(value);
  // An SNS notification delivered to SQS without raw delivery wraps the real message.
  if (value.Type === 'Notification' && typeof value.Message === 'string') {
    return parseBody(value.Message, 'SNS Message');
  }
  if ('workflow' in value) return parseEnvelope(value);
  return invalid(
    `${where} is neither an S3 event notification, an EventBridge event nor an envelope {"workflow","id","input"}`,
  );
}

function parseBody(body: string, where: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const snippet = body.length > 60 ? `${body.slice(0, 60)}…` : body;
    return invalid(`${where} is not JSON (${(err as Error).message}): ${JSON.stringify(snippet)}`);
  }
  return parseValue(value, where);
}

/** Understands one SQS message body. Never throws. */
export function parseMessage(body: string | undefined): ParsedMessage {
  if (body === undefined || body.trim() === '') return invalid('message body is empty');
  return parseBody(body, 'message body');
}
