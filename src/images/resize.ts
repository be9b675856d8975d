/**
 * The resize core of the image activity, free of S3 so that the benchmark measures exactly what the activity runs.
 *
 * The original is decoded once: one libvips pipeline reads it (JPEG and WebP shrink on load when the largest variant
 * is much smaller than the original), applies the EXIF orientation, flattens transparency onto white, converts to
 * sRGB and resizes to the largest variant, into raw pixels. The variants are then made from largest to smallest, each
 * resized from the pixels of the one before it, so no step touches more pixels than it must. An embedded profile that
 * is sRGB already (src/images/icc.ts) is not converted: that transform would change nothing. Any other RGB profile
 * (Display P3, Adobe RGB) is converted after the first resize, at the largest variant's size rather than the
 * original's. The same bytes in give the same bytes out, so a retried attempt overwrites its outputs with identical
 * objects.
 */
import sharp from 'sharp';
import { fitInside, largestVariant, VARIANT_JPEG_QUALITY, type VariantSpec } from '../common/image-variants';
import { CorruptImageError, DecompressionBombError, EmptyImageError, UnsupportedImageError } from './errors';
import { isSrgbProfile } from './icc';

/** Formats read by the activity; anything else fails as UnsupportedImageError. */
const READABLE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface RenderOptions {
  /** Largest accepted width × height (EBBFLOW_IMAGE_MAX_PIXELS). */
  maxPixels: number;
  /** Called between steps, for heartbeats. */
  onProgress?: (step: string) => void;
}

interface RenderedVariant {
  name: string;
  width: number;
  height: number;
  /** The variant as JPEG. */
  data: Buffer;
}

interface RenderedImage {
  format: string;
  /** Size of the original once upright (EXIF orientation applied). */
  width: number;
  height: number;
  variants: RenderedVariant[];
}

/** Reads the header only: format, size and orientation, with the permanent failures a header can show. */
async function inspectImage(
  input: Buffer,
  maxPixels: number,
): Promise<{ format: string; width: number; height: number; orientation: number; space?: string; icc?: Buffer }> {
  if (input.length === 0) throw new EmptyImageError('the image is empty (0 bytes)');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new UnsupportedImageError(`not an image in a format ebbflow reads (${(err as Error).message})`, {
      cause: err,
    });
  }
  const format = meta.format ?? 'unknown';
  if (!READABLE_FORMATS.has(format)) {
    throw new UnsupportedImageError(
      `${format} images are not supported (readable: ${[...READABLE_FORMATS].join(', ')})`,
    );
  }
  const { width, height } = meta;
  if (!width || !height) throw new CorruptImageError(`the ${format} header declares no size`);
  if (width * height > maxPixels) {
    throw new DecompressionBombError(
      `the ${format} header declares ${width}×${height} = ${width * height} pixels, above the limit of ${maxPixels} ` +
        '(EBBFLOW_IMAGE_MAX_PIXELS)',
    );
  }
  return {
    format,
    width,
    height,
    orientation: meta.orientation ?? 1,
    ...(meta.space ? { space: meta.space } : {}),
    ...(meta.icc ? { icc: meta.icc } : {}),
  };
}

/** Decodes `input` once and encodes every variant as JPEG (quality 85, sRGB, upright, flattened onto white). */
export async function renderVariants(
  input: Buffer,
  variants: readonly VariantSpec[],
  options: RenderOptions,
): Promise<RenderedImage> {
  const header = await inspectImage(input, options.maxPixels);
  // EXIF orientations 5–8 are quarter turns: the upright image has width and height swapped.
  const upright =
    header.orientation >= 5
      ? { width: header.height, height: header.width }
      : { width: header.width, height: header.height };
  const largest = largestVariant(upright, variants);
  options.onProgress?.('decode');

  // An embedded profile other than sRGB (Display P3 from phones, Adobe RGB) must be converted, but that transform
  // is dear per pixel: an RGB image is resized first, still in its own colour space with its profile kept, and
  // converted at the size of the largest variant. (CMYK and greyscale stay on the plain path, where sharp converts
  // their colour space as it decodes.)
  const srgbAlready = header.icc !== undefined && isSrgbProfile(header.icc);
  const shrinks = largest.width !== upright.width || largest.height !== upright.height;
  const convertAfterResize = header.icc !== undefined && !srgbAlready && shrinks && header.space === 'srgb';
  // A 16-bit image is converted into sharp's working profile for its depth, Display P3, not sRGB: named explicitly,
  // the output profile makes the conversion go to sRGB (otherwise P3 numbers would be written as sRGB ones).
  const sixteenBitProfile = header.icc !== undefined && !srgbAlready && header.space === 'rgb16';
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    let pipeline = sharp(input, {
      limitInputPixels: options.maxPixels,
      failOn: 'error',
      sequentialRead: true,
      ignoreIcc: srgbAlready,
    })
      .rotate()
      .flatten({ background: '#ffffff' });
    if (shrinks) pipeline = pipeline.resize(largest.width, largest.height, { fit: 'fill' });
    if (convertAfterResize) {
      // Uncompressed TIFF carries the pixels with their profile to the conversion.
      const resized = await pipeline.keepIccProfile().tiff({ compression: 'none' }).toBuffer();
      pipeline = sharp(resized, { limitInputPixels: false });
    }
    if (sixteenBitProfile) pipeline = pipeline.withIccProfile('srgb');
    decoded = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new DecompressionBombError(`the image exceeds ${options.maxPixels} pixels (${message})`, { cause: err });
    }
    throw new CorruptImageError(`the ${header.format} image data is damaged or truncated (${message})`, {
      cause: err,
    });
  }

  const { channels } = decoded.info;
  const decodedPixels: Pixels = { data: decoded.data, width: decoded.info.width, height: decoded.info.height };
  const fromPixels = (pixels: Pixels) =>
    sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels } });
  const largestFirst = variants
    .map((variant, index) => ({ variant, index, size: fitInside(upright, variant) }))
    .sort((a, b) => b.size.width * b.size.height - a.size.width * a.size.height);
  const rendered: RenderedVariant[] = new Array<RenderedVariant>(variants.length);
  let source = decodedPixels;
  for (const [position, { variant, index, size }] of largestFirst.entries()) {
    options.onProgress?.(variant.name);
    if (size.width > source.width || size.height > source.height) source = decodedPixels;
    let pipeline = fromPixels(source);
    if (size.width !== source.width || size.height !== source.height) {
      pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
      if (position < largestFirst.length - 1) {
        // A smaller variant follows: keep these pixels as its source.
        source = { data: await pipeline.raw().toBuffer(), width: size.width, height: size.height };
        pipeline = fromPixels(source);
      }
    }
    const data = await pipeline.jpeg({ quality: VARIANT_JPEG_QUALITY, chromaSubsampling: '4:2:0' }).toBuffer();
    rendered[index] = { name: variant.name, width: size.width, height: size.height, data };
  }
  return { format: header.format, width: upright.width, height: upright.height, variants: rendered };
}

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}
