import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  MAX_OBJECT_KEY_BYTES,
  variantKey,
  type ProcessImageResult,
  type ResizeImageInput,
  type VariantOutput,
} from '../src/common/image-variants';
import {
  ImageNotFoundError,
  ImageTooLargeError,
  InvalidImageInputError,
  isImageError,
  UnsupportedImageError,
} from '../src/images/errors';
import { renderVariants } from '../src/images/resize';
import type { ActivityDeps } from './deps';

/** Reads an object whole, refusing it before download when it is larger than `maxBytes`. */
async function readOriginal(
  s3: S3Client,
  bucket: string,
  key: string,
  maxBytes: number,
  abortSignal: AbortSignal,
): Promise<Buffer> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
  } catch (err) {
    // What no retry changes: the object or its bucket is gone, or the object is archived and must be restored first.
    // (AccessDenied stays retryable: a role's new permission takes a moment to reach every reader.)
    const name = (err as Error).name;
    if (name === 'NoSuchKey') throw new ImageNotFoundError(`s3://${bucket}/${key} does not exist`, { cause: err });
    if (name === 'NoSuchBucket') {
      throw new ImageNotFoundError(`bucket ${bucket} does not exist (reading s3://${bucket}/${key})`, { cause: err });
    }
    if (name === 'InvalidObjectState') {
      throw new UnsupportedImageError(
        `s3://${bucket}/${key} is archived (an archive storage class): restore it, then redrive its dead letter`,
        { cause: err },
      );
    }
    throw err;
  }
  const declared = response.ContentLength ?? 0;
  if (declared > maxBytes) {
    response.Body?.transformToWebStream()
      .cancel()
      .catch(() => undefined);
    throw new ImageTooLargeError(
      `s3://${bucket}/${key} is ${declared} bytes, above the limit of ${maxBytes} (EBBFLOW_IMAGE_MAX_BYTES)`,
    );
  }
  const bytes = await response.Body?.transformToByteArray();
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
}

/** Longest an attempt runs before its first heartbeat. */
const HEARTBEAT_AFTER_MS = 5000;

/** What the heartbeats need of the activity context. */
export interface HeartbeatTarget {
  info: { heartbeatTimeoutMs?: number; isLocal?: boolean };
  heartbeat(details?: unknown): void;
}

/**
 * Heartbeats only once the attempt has run for a while (a quarter of its heartbeat timeout, at most 5 s), then at that
 * interval until stopped, with the current step as details. Most images take well under a second and never
 * heartbeat: a heartbeat is a write on the Temporal server. A long attempt keeps heartbeating while libvips works on
 * its own threads, so one long step (a 100-megapixel PNG on half a vCPU) is not taken for a dead worker, and a
 * cancellation is heard within a beat. A new step heartbeats at once when the attempt is already long. A local
 * activity has no heartbeats (its worker extends the workflow task instead), so it gets none.
 */
export function heartbeatWhenLong(ctx: HeartbeatTarget): { step(name: string): void; stop(): void } {
  if (ctx.info.isLocal) return { step: () => undefined, stop: () => undefined };
  const timeout = ctx.info.heartbeatTimeoutMs;
  const after = timeout && timeout > 0 ? Math.min(HEARTBEAT_AFTER_MS, timeout / 4) : HEARTBEAT_AFTER_MS;
  let current = 'start';
  // The attempt is long once the first beat has fired.
  let long = false;
  let timer = setTimeout(function beat() {
    long = true;
    ctx.heartbeat(current);
    timer = setTimeout(beat, after);
  }, after);
  return {
    step(name) {
      current = name;
      if (long) ctx.heartbeat(name);
    },
    stop: () => clearTimeout(timer),
  };
}

export function createImageActivities(deps: ActivityDeps) {
  return {
    /**
     * Reads the original once, decodes it once and writes every variant to its `variantKey`
     * (`processed/<variant>/<source bucket>/<key>`, made safe). Permanent problems (empty, unsupported, damaged, too
     * many bytes or pixels, missing, an output key too long for S3) fail as non-retryable with the error class name as
     * type; anything else (S3 hiccups) is retried by the workflow's policy. Heartbeats between steps once the attempt
     * has run for a while.
     */
    async resizeImage(input: ResizeImageInput): Promise<ProcessImageResult> {
      const ctx = Context.current();
      const { config } = deps;
      const outputBucket = input.outputBucket ?? config.pipeline.outputBucket;
      const tags = { format: 'unknown' };
      const meter = ctx.metricMeter;
      const where = { workflowId: ctx.info.workflowExecution?.workflowId, bucket: input.bucket, key: input.key };
      const heartbeats = heartbeatWhenLong(ctx);
      try {
        const keys = new Map(input.variants.map((v) => [v.name, variantKey(v.name, input.bucket, input.key)]));
        for (const key of keys.values()) {
          if (Buffer.byteLength(key) > MAX_OBJECT_KEY_BYTES) {
            throw new InvalidImageInputError(
              `the output key ${key.slice(0, 80)}… would be ${Buffer.byteLength(key)} bytes, above S3's limit of ` +
                `${MAX_OBJECT_KEY_BYTES}; shorten the original's key`,
            );
          }
        }
        heartbeats.step('download');
        const original = await readOriginal(
          deps.aws.s3,
          input.bucket,
          input.key,
          config.image.maxInputBytes,
          ctx.cancellationSignal,
        );
        meter.createCounter('ebbflow_image_bytes_in', 'bytes', 'Bytes of originals read').add(original.length);
        const rendered = await renderVariants(original, input.variants, {
          maxPixels: config.image.maxPixels,
          onProgress: heartbeats.step,
        });
        tags.format = rendered.format;
        const variants: VariantOutput[] = [];
        for (const v of rendered.variants) {
          heartbeats.step(`upload ${v.name}`);
          const key = keys.get(v.name)!;
          await deps.aws.s3.send(
            new PutObjectCommand({ Bucket: outputBucket, Key: key, Body: v.data, ContentType: 'image/jpeg' }),
            { abortSignal: ctx.cancellationSignal },
          );
          variants.push({
            variant: v.name,
            bucket: outputBucket,
            key,
            width: v.width,
            height: v.height,
            bytes: v.data.length,
          });
        }
        const bytesOut = variants.reduce((sum, v) => sum + v.bytes, 0);
        meter.createCounter('ebbflow_image_bytes_out', 'bytes', 'Bytes of variants written').add(bytesOut);
        meter.createCounter('ebbflow_images_processed', '1', 'Images resized into every variant').add(1, tags);
        deps.logger.info('image resized', { ...where, bytesIn: original.length, bytesOut });
        return {
          source: {
            bucket: input.bucket,
            key: input.key,
            bytes: original.length,
            width: rendered.width,
            height: rendered.height,
            format: rendered.format,
          },
          variants,
        };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        meter
          .createCounter('ebbflow_image_failures', '1', 'Failed resize attempts, by error type')
          .add(1, { error_type: error.name });
        // The attempt number rides along, so the workflow can tell the DLQ how many attempts were made.
        const details = [{ attempt: ctx.info.attempt }];
        if (isImageError(error)) {
          ctx.log.warn('image refused', {
            bucket: input.bucket,
            key: input.key,
            type: error.name,
            reason: error.message,
          });
          throw ApplicationFailure.create({ message: error.message, type: error.name, nonRetryable: true, details });
        }
        if (ctx.cancellationSignal.aborted) throw error;
        throw ApplicationFailure.create({ message: error.message, type: error.name, details, cause: error });
      } finally {
        heartbeats.stop();
      }
    },
  };
}
