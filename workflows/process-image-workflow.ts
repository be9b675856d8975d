import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { Activities } from '../activities';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import {
  RESIZE_LIMITS,
  localResizeActivityOptions,
  resizeActivityOptions,
  RESIZE_DEFAULTS,
  resizesLocally,
  resolveVariants,
  type ImageErrorType,
  type ProcessImageInput,
  type ProcessImageResult,
  type VariantSpec,
} from '../src/common/image-variants';
import { wholeNumberProblem } from '../src/common/bounds';

const SOURCE_BUCKET = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceBucket, 'KEYWORD');
const SOURCE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.sourceKey, 'KEYWORD');

/** Sending to the DLQ is what keeps a failed item from being lost, so it is retried longer, but still bounded. */
const { sendToDeadLetterQueue } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** A whole number of the input within its limits (as the bridge admits it), or the fallback when it is absent. */
function bounded(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  const problem = wholeNumberProblem(value, min, max, what);
  if (problem) throw new Error(problem);
  return value;
}

/** Why the resize failed for good: the typed cause's message and type, and how many attempts were made. */
function describeFailure(err: unknown, maxAttempts: number): { reason: string; errorType: string; attempts: number } {
  const activity = err instanceof ActivityFailure ? err : undefined;
  const cause = activity?.cause ?? err;
  let attempts = activity?.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maxAttempts : 1;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') attempts = detail.attempt;
    return { reason: cause.message, errorType: cause.type ?? 'Error', attempts };
  }
  if (cause instanceof TimeoutFailure) {
    // A timed-out attempt is always retried (there is no schedule-to-close timeout), so ending on a timeout means every
    // attempt was made; a local activity reports that retry state as CANCEL_REQUESTED, so it is not read here.
    return {
      reason: `resize attempt timed out (${cause.timeoutType ?? 'timeout'})`,
      errorType: 'Timeout',
      attempts: maxAttempts,
    };
  }
  const error = cause instanceof Error ? cause : new Error(String(cause));
  return { reason: error.message, errorType: error.name, attempts };
}

/**
 * Resizes one uploaded image into its variants (thumbnail, medium, large by default) and writes them next to each
 * other under `processed/<variant>/<source bucket>/<key>` (the activity makes the key safe: see `variantKey`).
 *
 * Retries: the one resize activity gets `maxAttempts` attempts (3 by default) with exponential backoff from 1 s,
 * doubling, capped at 1 min, so a passing S3 or worker problem heals by itself while a poisoned message cannot loop.
 * Bad input (empty, corrupt, unsupported, too large, a decompression bomb, a missing object) is non-retryable and
 * fails on its first attempt. Each attempt has a start-to-close timeout and heartbeats, so a worker that dies mid-way
 * is noticed within the heartbeat timeout rather than the full timeout.
 *
 * An original whose size the input gives (the bridge copies it from the S3 event) and that is at most
 * `localActivityMaxBytes` (8 MiB by default) is resized by a local activity instead: the same attempts and timeout,
 * run by the worker holding the workflow task. Its history is six events instead of eleven, and the server spends
 * about a third less CPU per image. A worker that dies mid-way is then noticed when the workflow task times out
 * (10 s). Images of unknown size (started by hand) and larger ones keep the regular, heartbeating activity.
 *
 * After the last failed attempt the original message (for a run started by hand, an envelope of its input) goes to
 * the DLQ with the reason, error type, workflow id and attempts, and the workflow fails with that reason. The history
 * is a handful of events, so there is no continue-as-new.
 *
 * Search attributes EbbflowSourceBucket/EbbflowSourceKey must be registered on the namespace (`ebbflow dev` does it);
 * start with `"searchAttributes": false` on a namespace without them, or the workflow task fails until they exist.
 */
export async function processImageWorkflow(input: ProcessImageInput): Promise<ProcessImageResult> {
  // What the DLQ keeps: the message the bridge started this run from, or else (a run started by hand) an envelope of
  // this run's input, which the bridge starts again when the letter is redriven.
  const body =
    input?.message ??
    JSON.stringify({ workflow: workflowInfo().workflowType, id: workflowInfo().workflowId, input: input ?? null });
  const deadLetter = async (reason: string, errorType: string, attempts: number): Promise<never> => {
    try {
      await sendToDeadLetterQueue({ body, reason, errorType, workflowId: workflowInfo().workflowId, attempts });
    } catch (err) {
      // Still fail with the reason, saying where the item is not, so the failed run itself is the record.
      const why = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      throw ApplicationFailure.nonRetryable(`${reason} (not dead-lettered: ${why})`, errorType);
    }
    throw ApplicationFailure.nonRetryable(reason, errorType);
  };

  let variants: VariantSpec[];
  let maxAttempts: number;
  let initialInterval: number;
  let timeout: number;
  let local: boolean;
  try {
    if (typeof input?.bucket !== 'string' || input.bucket === '') throw new Error('input.bucket is required');
    if (typeof input.key !== 'string' || input.key === '') throw new Error('input.key is required');
    variants = resolveVariants(input.variants);
    const limit = <K extends keyof typeof RESIZE_LIMITS>(name: K, fallback: number): number =>
      bounded(input[name], fallback, RESIZE_LIMITS[name].min, RESIZE_LIMITS[name].max, name);
    maxAttempts = limit('maxAttempts', RESIZE_DEFAULTS.maxAttempts);
    initialInterval = limit('initialRetryIntervalMs', RESIZE_DEFAULTS.initialRetryIntervalMs);
    timeout = limit('activityTimeoutMs', RESIZE_DEFAULTS.activityTimeoutMs);
    const size =
      input.sizeBytes === undefined ? undefined : bounded(input.sizeBytes, 0, 0, Number.MAX_SAFE_INTEGER, 'sizeBytes');
    const localMax = limit('localActivityMaxBytes', RESIZE_DEFAULTS.localActivityMaxBytes);
    local = resizesLocally(size, localMax);
  } catch (err) {
    return deadLetter(`invalid input: ${(err as Error).message}`, 'InvalidImageInputError' satisfies ImageErrorType, 0);
  }

  if (input.searchAttributes !== false) {
    const wanted = [
      { key: SOURCE_BUCKET, value: input.bucket },
      { key: SOURCE_KEY, value: input.key },
    ];
    // The bridge sets both at start; upserting them again would cost the server a visibility write per image.
    const current = workflowInfo().typedSearchAttributes;
    const missing = wanted.filter(({ key, value }) => current.get(key) !== value);
    if (missing.length > 0) upsertSearchAttributes(missing);
  }

  const settings = { maxAttempts, initialRetryIntervalMs: initialInterval, activityTimeoutMs: timeout };
  const { resizeImage } = local
    ? proxyLocalActivities<Activities>(localResizeActivityOptions(settings))
    : proxyActivities<Activities>(resizeActivityOptions(settings));
  try {
    return await resizeImage({ bucket: input.bucket, key: input.key, outputBucket: input.outputBucket, variants });
  } catch (err) {
    // A cancelled run was stopped on purpose: nothing to dead-letter.
    if (isCancellation(err)) throw err;
    const failure = describeFailure(err, maxAttempts);
    return deadLetter(failure.reason, failure.errorType, failure.attempts);
  }
}
