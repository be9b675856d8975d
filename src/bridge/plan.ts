/**
 * From a parsed message to the workflow starts it asks for, without I/O: which workflow, which id, which input and
 * search attributes. A message naming a workflow the worker does not serve is rejected as a whole, before anything
 * starts, so it can go to the DLQ at once.
 */
import { SEARCH_ATTRIBUTES } from '../common/constants';
import type { ProcessImageInput } from '../common/image-variants';
import { PROCESS_IMAGE_WORKFLOW } from '../images/workflow-input';
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
  | { kind: 'reject'; errorType: 'UnparseableMessage' | 'UnknownWorkflow'; reason: string };

export interface PlanOptions {
  messageId: string;
  /** The original body, handed to the image workflow so it can dead-letter it after its last attempt. */
  body: string;
  knownWorkflows: ReadonlySet<string>;
  /** The image workflow's input for an object, with the configured settings (the bridge uses processImageInput). */
  imageInput: (source: { bucket: string; key: string }) => ProcessImageInput;
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
  for (const item of parsed.items) {
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
    starts.push({
      workflowType,
      workflowId: envelopeWorkflowId(item, options.body),
      input: item.input,
      item: describeItem(item),
    });
  }
  // Several records for the same object in one message start it once.
  const unique = new Map(starts.map((s) => [s.workflowId, s]));
  return { kind: 'start', starts: [...unique.values()] };
}
