/**
 * Workflow ids derived from idempotency keys, so that the same item always maps to the same id and Temporal itself
 * refuses a second execution. Ids stay readable (`image-<bucket>/<key>-<hash>`) for the UI and `temporal workflow
 * list`, and a hash of the full key keeps them unique after sanitising and truncation.
 */
import { createHash } from 'node:crypto';
import type { EnvelopeItem, S3ObjectItem } from './messages';

/** Longest readable part kept in an id (Temporal accepts 1000 characters; the UI shows far fewer). */
const MAX_READABLE_LENGTH = 160;

/** Replaces what does not belong in an id (whitespace, control characters, quotes) and shortens it. */
export function sanitizeIdPart(text: string, max = MAX_READABLE_LENGTH): string {
  const safe = text.replace(/[^A-Za-z0-9._~/=@:+,-]/g, '_');
  return safe.length <= max ? safe : safe.slice(0, max);
}

/**
 * Hex characters of the hash kept in an id: 128 bits, so that two different items never share an id by chance (a
 * shared id would absorb the second item as a duplicate of the first, silently).
 */
const ID_HASH_LENGTH = 32;

function shortHash(text: string, length = ID_HASH_LENGTH): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `<prefix>-<readable>-<hash of key>`. */
export function deriveWorkflowId(prefix: string, readable: string, idempotencyKey: string): string {
  return `${prefix}-${sanitizeIdPart(readable)}-${shortHash(idempotencyKey)}`;
}

/** What identifies one upload of an S3 object: from an event, or from a listing (bucket, key, version id or ETag). */
export type S3ObjectIdentity = Pick<S3ObjectItem, 'bucket' | 'key' | 'versionId' | 'sequencer' | 'eTag' | 'eventTime'>;

/**
 * The idempotency key of an S3 object: bucket, key and the object's ETag (a digest of its content), which a
 * notification, an EventBridge event and a bucket listing all carry, so `ebbflow backfill` derives the same id for an
 * object the bridge saw or will see. Uploading the same bytes again is the same object; changed bytes are a new one.
 * Without an ETag: the version id, else the event sequencer, else the event time.
 */
function s3IdempotencyKey(item: S3ObjectIdentity): string {
  // A listing quotes the ETag, a notification does not.
  const eTag = item.eTag?.replace(/"/g, '');
  const upload = eTag
    ? `e:${eTag}`
    : item.versionId
      ? `v:${item.versionId}`
      : item.sequencer
        ? `s:${item.sequencer}`
        : `t:${item.eventTime ?? ''}`;
  return `s3\n${item.bucket}\n${item.key}\n${upload}`;
}

/**
 * The id of the image run for one upload of an S3 object: the bridge starts it under this id, and anything else that
 * starts image runs (a backfill, a rerun by hand) derives it here too, so an upload is never processed twice.
 */
export function s3WorkflowId(item: S3ObjectIdentity, prefix = 'image'): string {
  return deriveWorkflowId(prefix, `${item.bucket}/${item.key}`, s3IdempotencyKey(item));
}

/** `echoWorkflow` → `echo`, `processImageWorkflow` → `process-image`. */
export function workflowIdPrefix(workflowType: string): string {
  const base = workflowType.replace(/Workflow$/, '') || workflowType;
  return sanitizeIdPart(base.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase(), 60);
}

/**
 * An envelope's id comes from its `id`; without one, from a hash of the message body, which a redelivery and a redrive
 * carry unchanged (an SNS or EventBridge wrapper adds its own message or event id, so each publish differs). An
 * envelope meant to run again with the same body needs an `id`.
 */
export function envelopeWorkflowId(item: EnvelopeItem, body: string): string {
  if (item.id !== undefined) {
    return deriveWorkflowId(workflowIdPrefix(item.workflow), item.id, `${item.workflow}\nid\n${item.id}`);
  }
  return `${workflowIdPrefix(item.workflow)}-body-${shortHash(`${item.workflow}\nbody\n${body}`)}`;
}
