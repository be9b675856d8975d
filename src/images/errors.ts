/**
 * Why an image cannot be processed, ever. Each class is a permanent failure: the resize activity turns it into a
 * non-retryable `ApplicationFailure` whose type is the class name, and the workflow sends the item to the DLQ with
 * that type. Compare `name`, not `instanceof` (it breaks across the workflow sandbox and under Jest).
 */
import { IMAGE_ERROR_TYPES, type ImageErrorType } from '../common/image-variants';

export { IMAGE_ERROR_TYPES, type ImageErrorType };

/** Base of every permanent image failure. */
export abstract class ImageError extends Error {
  abstract override readonly name: ImageErrorType;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown when the original has zero bytes. */
export class EmptyImageError extends ImageError {
  override readonly name = 'EmptyImageError';
}

/** Thrown when the original is larger than EBBFLOW_IMAGE_MAX_BYTES. */
export class ImageTooLargeError extends ImageError {
  override readonly name = 'ImageTooLargeError';
}

/** Thrown when the bytes are not an image format we read (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF). */
export class UnsupportedImageError extends ImageError {
  override readonly name = 'UnsupportedImageError';
}

/** Thrown when the header declares more pixels than EBBFLOW_IMAGE_MAX_PIXELS (a decompression bomb). */
export class DecompressionBombError extends ImageError {
  override readonly name = 'DecompressionBombError';
}

/** Thrown when the header is readable but the image data is damaged or truncated. */
export class CorruptImageError extends ImageError {
  override readonly name = 'CorruptImageError';
}

/** Thrown when the original does not exist (deleted after its upload notification was sent). */
export class ImageNotFoundError extends ImageError {
  override readonly name = 'ImageNotFoundError';
}

/** Thrown when the workflow input itself is malformed (missing bucket or key, bad variants). */
export class InvalidImageInputError extends ImageError {
  override readonly name = 'InvalidImageInputError';
}

export function isImageError(err: unknown): err is ImageError {
  return err instanceof Error && (IMAGE_ERROR_TYPES as readonly string[]).includes(err.name);
}
