/**
 * Processing what is already in a bucket: one image workflow per object, with the workflow id and reuse policy the
 * SQS bridge uses for that object's notification, so an object is processed once whichever of the two comes first.
 *
 * Each object becomes the S3 notification S3 would have sent for it; the bridge's own parser and planner turn it into
 * the start request, so the id, the input and the search attributes are the bridge's by construction. The
 * notification also travels as the workflow's `message`: if the image fails for good it reaches the DLQ as a normal
 * S3 event, and `ebbflow dlq redrive` derives the same id again.
 *
 * The listing is read one page at a time (never held whole) and starts are paced by a rate limiter.
 */
import { paginateListObjectsV2, type _Object, type S3Client } from '@aws-sdk/client-s3';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WORKFLOW_ID_REUSE_POLICY } from '../bridge/bridge';
import { parseMessage } from '../bridge/messages';
import { IMAGE_WORKFLOW, operatorRules, planMessage, type PlanOptions, type StartRequest } from '../bridge/plan';
import { UsageError } from '../errors';
import { searchAttributePairs } from '../temporal/search-attributes';
import { forEachConcurrently } from '../async';
import { RateLimiter } from './rate-limit';

/** Starts a second by default: a tenth of Temporal Cloud's default namespace limit of 500 actions a second. */
export const DEFAULT_BACKFILL_RATE = 50;

/** Where to read objects from: `s3://bucket/prefix`. */
interface BucketLocation {
  bucket: string;
  prefix: string;
}

export function parseS3Url(url: string): BucketLocation {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  if (!match) throw new UsageError(`expected an S3 location like s3://bucket/prefix/, got "${url}"`);
  return { bucket: match[1]!, prefix: match[2]! };
}

/** `50/s`, `50`, `3000/min` → starts per second. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute))?\s*$/i.exec(text);
  const value = match ? Number(match[1]) : NaN;
  if (!match || !(value > 0)) throw new UsageError('expected a rate above 0 such as 50/s or 600/min');
  return /^m/i.test(match[2] ?? 's') ? value / 60 : value;
}

/** `.jpg,.png` or `jpg, PNG` → `['.jpg', '.png']`. */
export function parseSuffixes(text: string): string[] {
  const suffixes = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('.') ? s : `.${s}`));
  if (suffixes.length === 0) throw new UsageError(`--suffix expects a list like .jpg,.png, got "${text}"`);
  return suffixes;
}

/** The notification body S3 sends for a created object (keys URL-encoded with `+` for a space, ETag unquoted). */
export function notificationFor(bucket: string, object: { key: string; size?: number; eTag?: string }): string {
  return JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Backfill',
        s3: {
          bucket: { name: bucket },
          object: {
            key: encodeURIComponent(object.key).replace(/%20/g, '+'),
            ...(object.size === undefined ? {} : { size: object.size }),
            ...(object.eTag === undefined ? {} : { eTag: object.eTag.replace(/"/g, '') }),
          },
        },
      },
    ],
  });
}

/** The start the bridge would make for this object's notification. */
export function backfillStart(
  bucket: string,
  object: { key: string; size?: number; eTag?: string },
  imageInput: PlanOptions['imageInput'],
): StartRequest {
  const body = notificationFor(bucket, object);
  const plan = planMessage(parseMessage(body), {
    messageId: `backfill:${bucket}/${object.key}`,
    body,
    knownWorkflows: new Set([IMAGE_WORKFLOW]),
    // The listing chose the objects (its own prefix and suffixes): plan every one of them.
    rules: operatorRules([bucket]),
    imageInput,
  });
  if (plan.kind !== 'start' || plan.starts.length !== 1) {
    throw new Error(`s3://${bucket}/${object.key} did not plan as one image workflow (${plan.kind})`);
  }
  return plan.starts[0]!;
}

export interface BackfillCounts {
  /** Objects read from the listing so far. */
  listed: number;
  /** Workflows started (with --dry-run: that would start). */
  started: number;
  /** Objects whose workflow already ran to completion or is running. */
  alreadyDone: number;
  /** Objects left alone: folder markers and keys without a wanted suffix. */
  skipped: number;
  /** Objects whose start failed after its retries. */
  failed: number;
}

export interface BackfillFailure {
  key: string;
  workflowId: string;
  error: string;
}

interface BackfillOptions {
  s3: S3Client;
  client: Client;
  taskQueue: string;
  location: BucketLocation;
  /** Lower-case suffixes a key must end with; every key when absent. */
  suffixes?: readonly string[];
  /** Starts a second. */
  rate: number;
  /** Only count what would start; starts nothing. */
  dryRun?: boolean;
  /**
   * Run objects again whose last run completed before this time (for new variants). Runs that closed after it (the
   * ones an interrupted reprocess already redid) and running ones are left alone, so repeating the command with the
   * same time resumes it.
   */
  reprocessBefore?: Date;
  /** The image workflow's input for an object, with the configured settings (processImageInput). */
  imageInput: PlanOptions['imageInput'];
  /** Starts in flight at once (each still waits for the rate limiter). */
  concurrency?: number;
  /** Objects listed per page. */
  pageSize?: number;
  /** Attempts per start before the object counts as failed. */
  maxAttempts?: number;
  onProgress?: (counts: Readonly<BackfillCounts>) => void;
  onFailure?: (failure: BackfillFailure) => void;
}

const TERMINAL_FAILURES = new Set(['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT']);

type Outcome = 'started' | 'alreadyDone';

async function describeOrUndefined(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** Whether a start is needed, from the latest run of the id. */
function needsStart(latest: WorkflowExecutionDescription | undefined, reprocessBefore: Date | undefined): boolean {
  if (!latest) return true;
  const status = latest.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') return false;
  if (TERMINAL_FAILURES.has(status)) return true;
  // Completed: only a reprocess runs it again, once.
  return reprocessBefore !== undefined && (latest.closeTime?.getTime() ?? 0) < reprocessBefore.getTime();
}

async function startOne(options: BackfillOptions, start: StartRequest): Promise<Outcome> {
  const { client, reprocessBefore } = options;
  if (options.dryRun || reprocessBefore) {
    const latest = await describeOrUndefined(client, start.workflowId);
    if (!needsStart(latest, reprocessBefore)) return 'alreadyDone';
    if (options.dryRun) return 'started';
  }
  try {
    await client.workflow.start(start.workflowType, {
      taskQueue: options.taskQueue,
      workflowId: start.workflowId,
      args: [start.input],
      // A reprocess replaces a completed run; the conflict policy still refuses one that is running.
      workflowIdReusePolicy: reprocessBefore ? 'ALLOW_DUPLICATE' : WORKFLOW_ID_REUSE_POLICY,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: searchAttributePairs(start.searchAttributes),
    });
    return 'started';
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return 'alreadyDone';
    throw err;
  }
}

function wanted(object: _Object, suffixes: readonly string[] | undefined): object is _Object & { Key: string } {
  const key = object.Key;
  if (!key || key.endsWith('/')) return false;
  const lower = key.toLowerCase();
  return !suffixes || suffixes.some((s) => lower.endsWith(s));
}

/** Starts one image workflow per object under the location; resolves with the counts once every page is done. */
export async function backfillBucket(options: BackfillOptions): Promise<BackfillCounts> {
  const counts: BackfillCounts = { listed: 0, started: 0, alreadyDone: 0, skipped: 0, failed: 0 };
  const limiter = new RateLimiter(options.rate);
  const maxAttempts = options.maxAttempts ?? 3;
  const { bucket, prefix } = options.location;
  const pages = paginateListObjectsV2(
    { client: options.s3, pageSize: options.pageSize ?? 1000 },
    { Bucket: bucket, Prefix: prefix || undefined },
  );
  for await (const page of pages) {
    const objects = page.Contents ?? [];
    counts.listed += objects.length;
    await forEachConcurrently(objects, options.concurrency ?? 16, async (object) => {
      if (!wanted(object, options.suffixes)) {
        counts.skipped++;
        options.onProgress?.(counts);
        return;
      }
      const start = backfillStart(
        bucket,
        { key: object.Key, size: object.Size, eTag: object.ETag },
        options.imageInput,
      );
      for (let attempt = 1; ; attempt++) {
        await limiter.take();
        try {
          counts[await startOne(options, start)]++;
          break;
        } catch (err) {
          if (attempt >= maxAttempts) {
            counts.failed++;
            options.onFailure?.({ key: object.Key, workflowId: start.workflowId, error: (err as Error).message });
            break;
          }
          await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
        }
      }
      options.onProgress?.(counts);
    });
  }
  return counts;
}

/** How many objects are under the location (read page by page, nothing kept): the total a progress bar needs. */
export async function countObjects(s3: S3Client, location: BucketLocation): Promise<number> {
  let total = 0;
  const pages = paginateListObjectsV2(
    { client: s3, pageSize: 1000 },
    { Bucket: location.bucket, Prefix: location.prefix || undefined },
  );
  for await (const page of pages) total += page.KeyCount ?? page.Contents?.length ?? 0;
  return total;
}
