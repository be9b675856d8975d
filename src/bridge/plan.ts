/**
 * From a parsed message to the workflow starts it asks for, without I/O: which workflow, which id, which input and
 * search attributes. A message naming a workflow the worker does not serve, or that the admission rules refuse, is
 * rejected as a whole, before anything starts, so it can go to the DLQ at once with the reason. S3 keys that are not
 * images (outside the image prefix, or another ending) start nothing.
 */
import { SEARCH_ATTRIBUTES } from '../common/constants';
import type { ProcessImageInput } from '../common/image-variants';
import { PROCESS_IMAGE_WORKFLOW } from '../images/workflow-input';
import { admitEnvelope, isImageKey, type AdmissionRules, type RefusalType } from './admission';
import type { MessageItem, ParsedMessage, S3ObjectItem } from './messages';
import { envelopeWorkflowId, s3WorkflowId } from './workflow-id';

/** The workflow type S3 "object created" items start. */
export const IMAGE_WORKFLOW = PROCESS_IMAGE_WORKFLOW;

export interface StartRequest {
  workflowType: string;
  workflowId: string;
  input: object;
  /** Keyword search attributes, name → value. */
  searchAttributes?: Record<string, string>;
  /** A short description of the source item, for logs. */
  item: string;
}

export type MessagePlan =
  | { kind: 'start'; starts: StartRequest[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'reject'; errorType: 'UnparseableMessage' | 'UnknownWorkflow' | RefusalType; reason: string };

export interface PlanOptions {
  messageId: string;
  /** The original body, handed to the image workflow so it can dead-letter it after its last attempt. */
  body: string;
  knownWorkflows: ReadonlySet<string>;
  /** What envelopes may start, and which S3 objects are images (admission.ts). */
  rules: AdmissionRules;
  /** The image workflow's input for an object, with the configured settings (the bridge uses processImageInput). */
  imageInput: (source: { bucket: string; key: string }) => ProcessImageInput;
}

/**
 * Rules that admit every S3 object of `buckets` and every envelope naming one of `workflows`: for work that was
 * admitted once already or is chosen by an operator (a backfill's own listing, a rerun), planned only to derive the
 * ids and inputs the bridge would.
 */
export function operatorRules(buckets: Iterable<string>, workflows: Iterable<string> = []): AdmissionRules {
  const all = new Set(buckets);
  return {
    envelopeWorkflows: new Set(workflows),
    imageKeys: { prefix: '', suffixes: [''] },
    readBuckets: all,
    writeBuckets: all,
    topics: new Set(),
  };
}

/** A one-line description of an item: `s3://bucket/key` or `workflow id`. */
export function describeItem(item: MessageItem): string {
  return item.kind === 's3' ? `s3://${item.bucket}/${item.key}` : `${item.workflow} ${item.id ?? '(no id)'}`;
}

function imageStart(item: S3ObjectItem, options: PlanOptions): StartRequest {
  const input: ProcessImageInput = {
    ...options.imageInput({ bucket: item.bucket, key: item.key }),
    ...(item.size === undefined ? {} : { sizeBytes: item.size }),
    message: options.body,
  };
  return {
    workflowType: IMAGE_WORKFLOW,
    workflowId: s3WorkflowId(item),
    input,
    ...(input.searchAttributes === false
      ? {}
      : {
          searchAttributes: { [SEARCH_ATTRIBUTES.sourceBucket]: item.bucket, [SEARCH_ATTRIBUTES.sourceKey]: item.key },
        }),
    item: describeItem(item),
  };
}

export function planMessage(parsed: ParsedMessage, options: PlanOptions): MessagePlan {
  if (parsed.kind === 'invalid') return { kind: 'reject', errorType: parsed.errorType, reason: parsed.reason };
  if (parsed.kind === 'ignored') return parsed;
  const starts: StartRequest[] = [];
  let notImages = 0;
  for (const item of parsed.items) {
    if (item.kind === 's3' && !options.rules.readBuckets.has(item.bucket)) {
      return {
        kind: 'reject',
        errorType: 'RefusedMessage',
        reason: `S3 event from bucket "${item.bucket}", which the bridge does not read (EBBFLOW_INPUT_BUCKET, or EBBFLOW_BRIDGE_ALLOWED_BUCKETS)`,
      };
    }
    if (item.kind === 's3' && !isImageKey(item.key, options.rules)) {
      notImages++;
      continue;
    }
    const workflowType = item.kind === 's3' ? IMAGE_WORKFLOW : item.workflow;
    if (!options.knownWorkflows.has(workflowType)) {
      const known = [...options.knownWorkflows].sort().join(', ') || 'none';
      return {
        kind: 'reject',
        errorType: 'UnknownWorkflow',
        reason: `unknown workflow "${workflowType}" (the worker serves: ${known})`,
      };
    }
    if (item.kind === 's3') {
      starts.push(imageStart(item, options));
      continue;
    }
    if (typeof item.input !== 'object' || item.input === null || Array.isArray(item.input)) {
      return { kind: 'reject', errorType: 'UnparseableMessage', reason: 'envelope "input" must be a JSON object' };
    }
    const admission = admitEnvelope(workflowType, item.input, options.rules);
    if (!admission.ok) return { kind: 'reject', errorType: admission.errorType, reason: admission.reason };
    starts.push({
      workflowType,
      workflowId: envelopeWorkflowId(item, options.body),
      // An image run dead-letters the message it came from, so that a redrive sends the envelope itself again.
      input: workflowType === IMAGE_WORKFLOW ? { ...item.input, message: options.body } : item.input,
      item: describeItem(item),
    });
  }
  if (starts.length === 0 && notImages > 0) {
    const { prefix, suffixes } = options.rules.imageKeys;
    return { kind: 'ignored', reason: `not an image: keys outside ${prefix}* with ${suffixes.join(', ')}` };
  }
  // Several records for the same object in one message start it once.
  const unique = new Map(starts.map((s) => [s.workflowId, s]));
  return { kind: 'start', starts: [...unique.values()] };
}
