/**
 * Recognises embedded ICC profiles that describe sRGB itself.
 *
 * Cameras and editors embed the standard sRGB profile in a large share of real photographs. Converting such an image
 * "from its profile to sRGB" changes nothing but costs a full-resolution colour transform (in libvips, about as much
 * as decoding the JPEG again), so the resize core skips the transform when the profile is sRGB by its colorimetry:
 * an RGB matrix/TRC profile whose primaries and tone curves are sRGB's. The decision reads the numbers, not the
 * profile's name; any profile that is not recognised keeps the full transform.
 *
 * The profile comes from the uploaded file, so every read is bounded by the tag it belongs to: an RGB profile whose
 * tag table or tags run past their end is damaged, and the image fails as a CorruptImageError (permanent), never as
 * a RangeError that would be retried.
 */
import { CorruptImageError } from './errors';

/** sRGB's primaries adapted to the D50 connection space (IEC 61966-2-1 as ICC v2 profiles carry them). */
const SRGB_COLORANTS: Record<'rXYZ' | 'gXYZ' | 'bXYZ', readonly [number, number, number]> = {
  rXYZ: [0.4361, 0.2225, 0.0139],
  gXYZ: [0.3851, 0.7169, 0.0971],
  bXYZ: [0.1431, 0.0606, 0.7141],
};

/** Largest difference in a colorant's XYZ (s15Fixed16 rounding and v2/v4 adaptation differ by about 0.0005). */
const COLORANT_TOLERANCE = 0.0025;
/** Largest error a tone curve makes in the encoded sRGB value, as a fraction of full scale: half an 8-bit level. */
const CURVE_TOLERANCE = 0.5 / 255;

/** Tags that make a colour management engine use lookup tables instead of the matrix and curves. */
const LUT_TAGS = new Set(['A2B0', 'A2B1', 'A2B2', 'B2A0', 'B2A1', 'B2A2', 'D2B0', 'B2D0']);

/** sRGB's transfer function: linear light (0–1) to the encoded value (0–1). */
function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055;
}

interface Tag {
  name: string;
  offset: number;
  size: number;
}

function damaged(detail: string): CorruptImageError {
  return new CorruptImageError(`the embedded ICC profile is damaged: ${detail}`);
}

/** Throws unless `tag` holds at least `bytes` bytes: what its type needs for the fields about to be read. */
function need(tag: Tag, type: string, bytes: number, what: string): void {
  if (tag.size < bytes) {
    throw damaged(
      `its ${tag.name} tag (${type.trim()}) holds ${tag.size} bytes, too few for its ${what} (${bytes} bytes)`,
    );
  }
}

function readTags(icc: Buffer): Map<string, Tag> | undefined {
  const count = icc.readUInt32BE(128);
  if (count > 200) return undefined;
  if (132 + count * 12 > icc.length) {
    throw damaged(`its table of ${count} tags runs past the end of its ${icc.length} bytes`);
  }
  const tags = new Map<string, Tag>();
  for (let i = 0; i < count; i++) {
    const at = 132 + i * 12;
    const name = icc.toString('latin1', at, at + 4);
    const offset = icc.readUInt32BE(at + 4);
    const size = icc.readUInt32BE(at + 8);
    if (offset + size > icc.length) {
      throw damaged(`its ${name} tag (${size} bytes at ${offset}) runs past the end of its ${icc.length} bytes`);
    }
    tags.set(name, { name, offset, size });
  }
  return tags;
}

function typeOf(icc: Buffer, tag: Tag): string {
  need(tag, 'untyped', 8, 'type signature');
  return icc.toString('latin1', tag.offset, tag.offset + 4);
}

function readXyz(icc: Buffer, tag: Tag | undefined): [number, number, number] | undefined {
  if (!tag || typeOf(icc, tag) !== 'XYZ ') return undefined;
  need(tag, 'XYZ ', 20, 'three s15Fixed16 values');
  const at = tag.offset + 8;
  return [0, 1, 2].map((k) => icc.readInt32BE(at + 4 * k) / 65536) as [number, number, number];
}

/** A tone curve as a function from encoded (0–1) to linear (0–1), or undefined when the tag is not a curve. */
function readCurve(icc: Buffer, tag: Tag | undefined): ((x: number) => number) | undefined {
  if (!tag) return undefined;
  const type = typeOf(icc, tag);
  if (type === 'curv') {
    need(tag, type, 12, 'entry count');
    const n = icc.readUInt32BE(tag.offset + 8);
    need(tag, type, 12 + 2 * n, `${n} entries`);
    if (n === 0) return (x) => x;
    if (n === 1) {
      const gamma = icc.readUInt16BE(tag.offset + 12) / 256;
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, i) => icc.readUInt16BE(tag.offset + 12 + 2 * i) / 65535);
    return (x) => {
      const pos = x * (n - 1);
      const i = Math.min(n - 2, Math.floor(pos));
      return table[i]! + (table[i + 1]! - table[i]!) * (pos - i);
    };
  }
  if (type === 'para') {
    need(tag, type, 12, 'function type');
    const fn = icc.readUInt16BE(tag.offset + 8);
    const counts = [1, 3, 4, 5, 7];
    const count = counts[fn];
    if (count === undefined) return undefined;
    need(tag, type, 12 + 4 * count, `${count} parameters (function type ${fn})`);
    const p = Array.from({ length: count }, (_, i) => icc.readInt32BE(tag.offset + 12 + 4 * i) / 65536);
    const [g, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = p as [number, ...number[]];
    switch (fn) {
      case 0:
        return (x) => x ** g;
      case 1:
        return (x) => (x >= -b / a ? (a * x + b) ** g : 0);
      case 2:
        return (x) => (x >= -b / a ? (a * x + b) ** g + c : c);
      case 3:
        return (x) => (x >= d ? (a * x + b) ** g : c * x);
      default:
        return (x) => (x >= d ? (a * x + b) ** g + e : c * x + f);
    }
  }
  return undefined;
}

/**
 * True when `icc` is an RGB display profile whose colorants and tone curves are sRGB's, so that converting from it
 * to sRGB is the identity (to within half an 8-bit level). False for anything else: other profiles, and bytes that
 * are no ICC profile at all. Throws a CorruptImageError when an RGB profile's tag table or a tag it reads runs past
 * its end.
 */
export function isSrgbProfile(icc: Buffer): boolean {
  if (icc.length < 132 || icc.toString('latin1', 36, 40) !== 'acsp') return false;
  if (icc.toString('latin1', 16, 20) !== 'RGB ' || icc.toString('latin1', 20, 24) !== 'XYZ ') return false;
  const tags = readTags(icc);
  if (!tags) return false;
  for (const name of tags.keys()) if (LUT_TAGS.has(name)) return false;
  for (const [name, expected] of Object.entries(SRGB_COLORANTS)) {
    const xyz = readXyz(icc, tags.get(name));
    if (!xyz || xyz.some((v, k) => Math.abs(v - expected[k]!) > COLORANT_TOLERANCE)) return false;
  }
  for (const name of ['rTRC', 'gTRC', 'bTRC']) {
    const curve = readCurve(icc, tags.get(name));
    if (!curve) return false;
    // Through this curve and back out through sRGB's, every 8-bit level must come back where it was.
    for (let level = 0; level <= 255; level++) {
      const x = level / 255;
      if (!(Math.abs(linearToSrgb(Math.max(0, curve(x))) - x) <= CURVE_TOLERANCE)) return false;
    }
  }
  return true;
}
