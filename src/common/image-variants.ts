/**
 * Image variants and the types of `processImageWorkflow`: pure geometry and shapes shared by the workflow (which
 * runs in Temporal's sandbox), the resize activity, the bridge and the CLI. No Node APIs here.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';

/** One output size: the image is fitted inside `width` × `height`, aspect kept, never enlarged. */
export interface VariantSpec {
  /** Folder name under `processed/` (see variantKey): letters, digits, `-` and `_`. */
  name: string;
  width: number;
  height: number;
}

/** The three variants written when the input names none. */
export const DEFAULT_VARIANTS: readonly VariantSpec[] = [
  { name: 'thumbnail', width: 150, height: 150 },
  { name: 'medium', width: 800, height: 800 },
  { name: 'large', width: 1920, height: 1920 },
];

/**
 * Types of the permanent image failures (the error classes in src/images/errors.ts): never retried, the item goes
 * to the DLQ at once.
 */
export const IMAGE_ERROR_TYPES = [
  'EmptyImageError',
  'ImageTooLargeError',
  'UnsupportedImageError',
  'DecompressionBombError',
  'CorruptImageError',
  'ImageNotFoundError',
  'InvalidImageInputError',
] as const;

export type ImageErrorType = (typeof IMAGE_ERROR_TYPES)[number];

/** The resize activity's retry and timeout settings when the workflow input names none. */
export const RESIZE_DEFAULTS = {
  maxAttempts: 3,
  initialRetryIntervalMs: 1000,
  activityTimeoutMs: 120_000,
  localActivityMaxBytes: 8 * 1024 * 1024,
} as const;

/** Largest `localActivityMaxBytes` a workflow input may set. */
export const LOCAL_ACTIVITY_MAX_BYTES_LIMIT = 1024 * 1024 * 1024;

/** What a workflow input may set the resize's settings to, bounds included: the workflow refuses anything else. */
export const RESIZE_LIMITS = {
  maxAttempts: { min: 1, max: 20 },
  initialRetryIntervalMs: { min: 1, max: 3_600_000 },
  activityTimeoutMs: { min: 1000, max: 3_600_000 },
  localActivityMaxBytes: { min: 0, max: LOCAL_ACTIVITY_MAX_BYTES_LIMIT },
} as const;

/** Attempts, first retry delay and attempt timeout of the resize. */
interface ResizeSettings {
  maxAttempts: number;
  initialRetryIntervalMs: number;
  activityTimeoutMs: number;
}

function resizeRetry({ maxAttempts, initialRetryIntervalMs }: ResizeSettings): ActivityOptions['retry'] {
  return {
    maximumAttempts: maxAttempts,
    initialInterval: initialRetryIntervalMs,
    backoffCoefficient: 2,
    maximumInterval: Math.max(initialRetryIntervalMs, 60_000),
    nonRetryableErrorTypes: [...IMAGE_ERROR_TYPES],
  };
}

/**
 * How `processImageWorkflow` schedules the resize: each attempt bounded by its timeout and heartbeating (so a worker
 * that dies mid-way is noticed within 30 s at most), retries with exponential backoff from the initial interval,
 * doubling, capped at a minute, and the permanent image failures never retried.
 */
export function resizeActivityOptions(settings: ResizeSettings = RESIZE_DEFAULTS): ActivityOptions {
  return {
    startToCloseTimeout: settings.activityTimeoutMs,
    heartbeatTimeout: Math.min(settings.activityTimeoutMs, 30_000),
    retry: resizeRetry(settings),
  };
}

/**
 * The same resize as a local activity, for an original known to be small: the same timeout and retries, run by the
 * worker that holds the workflow task. No heartbeats: the worker extends its workflow task while the resize runs, and
 * a worker that dies mid-way is noticed when that task times out (10 s), after which another worker runs it again.
 */
export function localResizeActivityOptions(settings: ResizeSettings = RESIZE_DEFAULTS): LocalActivityOptions {
  return { startToCloseTimeout: settings.activityTimeoutMs, retry: resizeRetry(settings) };
}

/**
 * Whether the resize of an original of `sizeBytes` runs as a local activity: only when its size is known (S3 reports
 * it in the event) and at most `maxBytes` (0 = never). An unknown size, or a larger original, gets a regular activity,
 * which any worker with a free slot can take and which heartbeats.
 */
export function resizesLocally(sizeBytes: number | undefined, maxBytes: number): boolean {
  return maxBytes > 0 && sizeBytes !== undefined && sizeBytes <= maxBytes;
}

/** JPEG quality of every variant. */
export const VARIANT_JPEG_QUALITY = 85;

/** Input of `processImageWorkflow`; typeable into `temporal workflow start --input`. */
export interface ProcessImageInput {
  /** Bucket of the original. */
  bucket: string;
  /** Object key of the original (already URL-decoded). */
  key: string;
  /** Where the variants go; the worker's EBBFLOW_OUTPUT_BUCKET when absent. */
  outputBucket?: string;
  /** Variants to write: names of default variants or full specs; the three defaults when absent. */
  variants?: (string | VariantSpec)[];
  /** Attempts of the resize activity before the item goes to the DLQ (1–20). @defaultValue 3 */
  maxAttempts?: number;
  /** First retry delay in milliseconds; doubles on each attempt. @defaultValue 1000 */
  initialRetryIntervalMs?: number;
  /** Start-to-close timeout of one resize attempt, in milliseconds. @defaultValue 120000 */
  activityTimeoutMs?: number;
  /** Size of the original in bytes, as S3 reported it in the event; unknown when absent. */
  sizeBytes?: number;
  /**
   * Resize originals of a known size up to this many bytes as a local activity (cheaper for Temporal per image);
   * 0 = always a regular activity. @defaultValue 8388608 (8 MiB)
   */
  localActivityMaxBytes?: number;
  /** The original SQS message body; sent to the DLQ unchanged on failure (the input as JSON otherwise). */
  message?: string;
  /**
   * Upsert the EbbflowSourceBucket/EbbflowSourceKey search attributes. The server must have them registered
   * (`ebbflow dev` does); set `false` against a namespace without them. @defaultValue true
   */
  searchAttributes?: boolean;
}

/** One written variant. */
export interface VariantOutput {
  variant: string;
  bucket: string;
  key: string;
  width: number;
  height: number;
  bytes: number;
}

/** Result of `processImageWorkflow` (and of the `resizeImage` activity). */
export interface ProcessImageResult {
  source: { bucket: string; key: string; bytes: number; width: number; height: number; format: string };
  variants: VariantOutput[];
}

/** Input of the `resizeImage` activity: the workflow input with variants resolved. */
export interface ResizeImageInput {
  bucket: string;
  key: string;
  outputBucket?: string;
  variants: VariantSpec[];
}

/** Size of an image fitted inside `box`: aspect kept (rounded to whole pixels, at least 1), never enlarged. */
export function fitInside(
  source: { width: number; height: number },
  box: { width: number; height: number },
): { width: number; height: number } {
  const scale = Math.min(box.width / source.width, box.height / source.height, 1);
  if (scale >= 1) return { width: source.width, height: source.height };
  return {
    width: Math.max(1, Math.min(box.width, Math.round(source.width * scale))),
    height: Math.max(1, Math.min(box.height, Math.round(source.height * scale))),
  };
}

/** Characters escaped in every segment of an output key: `%` itself, `\` and control characters. */
const UNSAFE_IN_SEGMENT = /[%\\\p{Cc}]/gu;

/**
 * One segment of an output key, made unable to climb or hide: `%`, `\` and control characters are percent-encoded
 * (`%25`, `%5C`, `%0A`), and the segments `.` and `..` become `%2E` and `%2E%2E`, an empty one (a leading or doubled
 * slash) `%2F`. Distinct segments stay distinct.
 */
function safeSegment(segment: string): string {
  if (segment === '') return '%2F';
  if (segment === '.') return '%2E';
  if (segment === '..') return '%2E%2E';
  return segment.replace(UNSAFE_IN_SEGMENT, (c) => encodeURIComponent(c));
}

/** Largest S3 object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * Key of a variant in the output bucket: `processed/<variant>/<source bucket>/<source key>`. The source bucket keeps
 * originals of the same key in different buckets apart. The key is the object key as S3 stores it (already decoded
 * from the event's URL encoding, never decoded again), its segments made safe so that the result always lies under
 * `processed/<variant>/<source bucket>/`, whoever reads it as a path: a plain key comes out unchanged, `..` and `.`
 * segments, leading or doubled slashes, `%`, `\` and control characters come out escaped, and two different
 * originals never share a variant key.
 */
export function variantKey(variant: string, bucket: string, key: string): string {
  const source = [bucket.split('/').map(safeSegment).join('%2F'), ...key.split('/').map(safeSegment)];
  return `processed/${safeSegment(variant)}/${source.join('/')}`;
}

const VARIANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_SIDE = 16384;

/**
 * Resolves the input's variants (names of defaults or full specs) to specs; throws an Error with a readable message
 * for an unknown name, a bad name, a bad size or a duplicate.
 */
export function resolveVariants(variants: ProcessImageInput['variants']): VariantSpec[] {
  if (variants === undefined) return DEFAULT_VARIANTS.map((v) => ({ ...v }));
  if (!Array.isArray(variants) || variants.length === 0) throw new Error('variants must be a non-empty list');
  const specs = variants.map((v): VariantSpec => {
    if (typeof v === 'string') {
      const known = DEFAULT_VARIANTS.find((d) => d.name === v);
      if (!known) throw new Error(`unknown variant "${v}" (known: ${DEFAULT_VARIANTS.map((d) => d.name).join(', ')})`);
      return { ...known };
    }
    if (typeof v !== 'object' || v === null || typeof v.name !== 'string' || !VARIANT_NAME.test(v.name)) {
      throw new Error(`a variant needs a name of letters, digits, - or _ (got ${JSON.stringify(v)})`);
    }
    for (const side of ['width', 'height'] as const) {
      const value = v[side];
      if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
        throw new Error(`variant "${v.name}": ${side} must be a whole number from 1 to ${MAX_SIDE}`);
      }
    }
    return { name: v.name, width: v.width, height: v.height };
  });
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new Error(`variant "${s.name}" is listed twice`);
    names.add(s.name);
  }
  return specs;
}

/** The variant with the largest area once fitted to `source`: the one the others can be derived from. */
export function largestVariant(
  source: { width: number; height: number },
  variants: readonly VariantSpec[],
): { width: number; height: number } {
  let best = { width: 0, height: 0 };
  for (const v of variants) {
    const size = fitInside(source, v);
    if (size.width * size.height > best.width * best.height) best = size;
  }
  return best;
}
