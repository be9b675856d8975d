/**
 * Workflow ids derived from idempotency keys, so that the same item always maps to the same id and Temporal itself
 * refuses a second execution. Ids stay readable (`image-<bucket>/<key>-<hash>`) for the UI and `temporal workflow
 * list`, and a hash of the full key keeps them unique after sanitising and truncation.
 */
import { createHash } from 'node:crypto';
import type { EnvelopeItem, S3ObjectItem } from './messages';

/** Longest readable part kept in an id (Temporal accepts 1000 characters; the UI shows far fewer). */
export const MAX_READABLE_LENGTH = 160;

/** Replaces what does not belong in an id (whitespace, control characters, quotes) and shortens it. */
export function sanitizeIdPart(text: string, max = MAX_READABLE_LENGTH): string {
  const safe = text.replace(/[^A-Za-z0-9._~/=@:+,-]/g, '_');
  return safe.length <= max ? safe : safe.slice(0, max);
}

export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `<prefix>-<readable>-<hash of key>`. */
export function deriveWorkflowId(prefix: string, readable: string, idempotencyKey: string): string {
  return `${prefix}-${sanitizeIdPart(readable)}-${shortHash(idempotencyKey)}`;
}

/**
 * The idempotency key of an S3 object: bucket, key and the object's ETag (a digest of its content), which a
 * notification, an EventBridge event and a bucket listing all carry, so `ebbflow backfill` derives the same id for an
 * object the bridge saw or will see. Uploading the same bytes again is the same object; changed bytes are a new one.
 * Without an ETag: the version id, else the event sequencer, else the event time.
 */
export function s3IdempotencyKey(item: S3ObjectItem): string {
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

export function s3WorkflowId(item: S3ObjectItem, prefix = 'image'): string {
  return deriveWorkflowId(prefix, `${item.bucket}/${item.key}`, s3IdempotencyKey(item));
}

/** `echoWorkflow` → `echo`, `processImageWorkflow` → `process-image`. */
export function workflowIdPrefix(workflowType: string): string {
  const base = workflowType.replace(/Workflow$/, '') || workflowType;
  return sanitizeIdPart(base.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase(), 60);
}

/** An envelope's id comes from its `id`, or from the SQS message id when it has none. */
export function envelopeWorkflowId(item: EnvelopeItem, messageId: string): string {
  const key = item.id !== undefined ? `id\n${item.id}` : `msg\n${messageId}`;
  return deriveWorkflowId(workflowIdPrefix(item.workflow), item.id ?? `msg-${messageId}`, `${item.workflow}\n${key}`);
}
