/**
 * Fuzzing of what an upload controls: real ICC profiles (libvips' own sRGB, Display P3 and CMYK) and small real
 * photos in every readable format, mutated by bit flips, truncation and absurd lengths and counts, then run through
 * the ICC parser and through libvips by the resize core the activity runs. Every input must either give variants or
 * fail as one of the permanent image errors: never a crash, a hang, or a plain Error that the workflow would retry.
 *
 * Seeded: the same seed gives the same inputs, and a failure names the case to replay (`FUZZ_SEED=… npx jest …`).
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { seededRandom, type Random } from '../../../src/common/random';
import type { VariantSpec } from '../../../src/common/image-variants';
import { isImageError } from '../../../src/images/errors';
import { isSrgbProfile } from '../../../src/images/icc';
import { renderVariants } from '../../../src/images/resize';
import { generateSamplePhoto } from '../../../src/images/sample-photos';
import { embeddedProfile } from '../../fixtures/images';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const VARIANTS: VariantSpec[] = [
  { name: 'small', width: 24, height: 24 },
  { name: 'medium', width: 64, height: 64 },
];
/** Small, so that a header mutated into a large size is refused before anything big is decoded. */
const MAX_PIXELS = 2_000_000;
/** Far above what one of these inputs needs (milliseconds): only a hang gets near it, on a busy machine too. */
const HANG_MS = 30_000;

/** Values that break length and count fields: zero, one off, the signed and unsigned extremes. */
const ABSURD = [0, 1, 2, 7, 8, 11, 12, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

type Mutation = (data: Buffer, random: Random) => { data: Buffer; what: string };

const below = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, values: readonly T[]): T => values[below(random, values.length)]!;

const flipBits: Mutation = (data, random) => {
  const out = Buffer.from(data);
  const flips = 1 + below(random, 8);
  const at: number[] = [];
  for (let i = 0; i < flips; i++) {
    const bit = below(random, out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
    at.push(bit);
  }
  return { data: out, what: `bits ${at.join(',')} flipped` };
};

const truncate: Mutation = (data, random) => {
  const length = below(random, data.length);
  return { data: data.subarray(0, length), what: `cut to ${length} bytes` };
};

/** Overwrites a 16- or 32-bit big-endian field, at one of `fields` or anywhere, with an absurd value. */
function absurdField(fields: (data: Buffer) => number[]): Mutation {
  return (data, random) => {
    const out = Buffer.from(data);
    const known = fields(data).filter((at) => at + 4 <= data.length);
    const at = known.length > 0 && random() < 0.8 ? pick(random, known) : below(random, Math.max(1, data.length - 4));
    const value = random() < 0.8 ? pick(random, ABSURD) : below(random, 2 ** 32);
    if (random() < 0.5) out.writeUInt32BE(value >>> 0, at);
    else out.writeUInt16BE(value & 0xffff, at);
    return { data: out, what: `field at ${at} set to ${value}` };
  };
}

/** Where an ICC profile keeps its lengths and counts: size, tag count, each tag's offset and size, curve counts. */
function iccFields(icc: Buffer): number[] {
  if (icc.length < 132) return [0];
  const fields = [0, 128];
  const count = Math.min(icc.readUInt32BE(128), Math.floor((icc.length - 132) / 12));
  for (let i = 0; i < count; i++) {
    const at = 132 + 12 * i;
    fields.push(at + 4, at + 8);
    const offset = icc.readUInt32BE(at + 4);
    if (offset + 12 <= icc.length) fields.push(offset + 8);
  }
  return fields;
}

/** Where JPEG segments and PNG chunks keep their lengths, and the frame or header keeps the image's size. */
function imageFields(image: Buffer): number[] {
  const fields: number[] = [];
  if (image[0] === 0xff && image[1] === 0xd8) {
    for (let at = 2; at + 4 <= image.length && image[at] === 0xff;) {
      const marker = image[at + 1]!;
      fields.push(at + 2);
      if (marker >= 0xc0 && marker <= 0xc2) fields.push(at + 5, at + 7); // SOF: height, width
      if (marker === 0xda) break; // entropy-coded data follows
      at += 2 + image.readUInt16BE(at + 2);
    }
  } else if (image.subarray(1, 4).toString('latin1') === 'PNG') {
    for (let at = 8; at + 8 <= image.length; at += 12 + image.readUInt32BE(at)) {
      fields.push(at);
      if (image.toString('latin1', at + 4, at + 8) === 'IHDR') fields.push(at + 8, at + 12);
    }
  }
  return fields;
}

const ICC_MUTATIONS: Mutation[] = [flipBits, truncate, absurdField(iccFields), absurdField(iccFields)];
const IMAGE_MUTATIONS: Mutation[] = [flipBits, truncate, absurdField(imageFields)];

/** A JPEG carrying `icc` as its embedded profile, whatever the bytes are: APP2 segments right after SOI. */
function withEmbeddedIcc(jpeg: Buffer, icc: Buffer): Buffer {
  const chunkBytes = 65_519; // a segment's length field counts itself and the 14-byte ICC_PROFILE marker
  const chunks = Math.max(1, Math.ceil(icc.length / chunkBytes));
  const segments = Array.from({ length: chunks }, (_, i) => {
    const body = icc.subarray(i * chunkBytes, (i + 1) * chunkBytes);
    const head = Buffer.alloc(18);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + 14 + body.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head.writeUInt8(i + 1, 16);
    head.writeUInt8(chunks, 17);
    return Buffer.concat([head, body]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, ...segmentsOf(jpeg).filter((segment) => !isIcc(segment))]);
}

/** A JPEG cut into its segments up to the entropy-coded data, which stays with the last one. */
function segmentsOf(jpeg: Buffer): Buffer[] {
  const segments: Buffer[] = [];
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at + 1] !== 0xda) {
    const end = at + 2 + jpeg.readUInt16BE(at + 2);
    segments.push(jpeg.subarray(at, end));
    at = end;
  }
  return [...segments, jpeg.subarray(at)];
}

const isIcc = (segment: Buffer) =>
  segment.readUInt16BE(0) === 0xffe2 && segment.toString('latin1', 4, 15) === 'ICC_PROFILE';

/** A PNG carrying `icc` in an iCCP chunk, inserted after IHDR. */
function pngWithEmbeddedIcc(png: Buffer, icc: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from('fuzzed\0\0', 'latin1'), deflateSync(icc)]);
  const typed = Buffer.concat([Buffer.from('iCCP', 'latin1'), body]);
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  typed.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typed), 8 + body.length);
  const afterIhdr = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}

/** Small real photos (drawn by the sample-photo generator, EXIF orientation included) in every readable format. */
async function smallImages(): Promise<{ name: string; data: Buffer }[]> {
  const images: { name: string; data: Buffer }[] = [];
  for (const index of [0, 2, 4]) {
    const photo = (await generateSamplePhoto(index, { seed: SEED, minSide: 48, maxSide: 96 })).data;
    images.push({ name: `photo ${index} jpeg`, data: photo });
    if (index !== 0) continue;
    const p3 = await sharp(photo).withIccProfile('p3').jpeg().toBuffer();
    images.push({ name: 'photo 0 jpeg, Display P3', data: p3 });
    images.push({ name: 'photo 0 png', data: await sharp(photo).png().toBuffer() });
    images.push({ name: 'photo 0 webp', data: await sharp(photo).webp().toBuffer() });
    images.push({ name: 'photo 0 gif', data: await sharp(photo).gif().toBuffer() });
    images.push({ name: 'photo 0 tiff', data: await sharp(photo).tiff().toBuffer() });
  }
  return images;
}

/**
 * Runs one input through the resize core: `variants`, or the name of the permanent image error it failed as, or a
 * problem (anything else: a plain error, a hang, unusable output).
 */
async function resize(data: Buffer): Promise<{ outcome: string; problem?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS)));
  try {
    const result = await Promise.race([renderVariants(data, VARIANTS, { maxPixels: MAX_PIXELS }), hang]);
    if (result === 'hang') return { outcome: 'hang', problem: `no answer after ${HANG_MS} ms` };
    const bad = result.variants.filter((v) => v.width < 1 || v.height < 1 || v.data.readUInt16BE(0) !== 0xffd8);
    if (bad.length > 0) return { outcome: 'variants', problem: `unusable variants ${bad.map((v) => v.name)}` };
    return { outcome: 'variants' };
  } catch (err) {
    const { name, message } = err as Error;
    return isImageError(err) ? { outcome: name } : { outcome: name, problem: `threw ${name}: ${message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `count` mutated inputs through the resize core; returns the problems and how often each outcome came. */
async function fuzzResize(
  count: number,
  input: (i: number) => { name: string; data: Buffer },
): Promise<{ problems: string[]; outcomes: Record<string, number> }> {
  const problems: string[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const { name, data } = input(i);
    const { outcome, problem } = await resize(data);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (problem) problems.push(`case ${i}, ${name}: ${problem}`);
  }
  return { problems, outcomes };
}

describe(`image and ICC fuzzing (seed ${SEED})`, () => {
  let profiles: { name: string; data: Buffer }[];
  let images: { name: string; data: Buffer }[];
  beforeAll(async () => {
    profiles = await Promise.all(
      (['srgb', 'p3', 'cmyk'] as const).map(async (name) => ({ name, data: await embeddedProfile(name) })),
    );
    images = await smallImages();
  });

  it('the ICC parser answers every mutated profile with yes, no or a CorruptImageError', () => {
    const random = seededRandom(SEED);
    const problems: string[] = [];
    const outcomes = { srgb: 0, other: 0, corrupt: 0 };
    for (let i = 0; i < 3000; i++) {
      const profile = profiles[i % profiles.length]!;
      const mutated = pick(random, ICC_MUTATIONS)(profile.data, random);
      try {
        outcomes[isSrgbProfile(mutated.data) ? 'srgb' : 'other']++;
      } catch (err) {
        if ((err as Error).name === 'CorruptImageError') outcomes.corrupt++;
        else problems.push(`case ${i}, ${profile.name} with ${mutated.what}: ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
    // The mutations reach every outcome: some leave an sRGB profile sRGB, some damage its structure.
    expect(outcomes.srgb).toBeGreaterThan(0);
    expect(outcomes.corrupt).toBeGreaterThan(0);
  });

  it('the resize core takes photos with mutated embedded profiles, or fails them as permanent image errors', async () => {
    const random = seededRandom(SEED + 1);
    const jpeg = images[0]!.data;
    const png = images.find((image) => image.name.endsWith('png'))!.data;
    const { problems, outcomes } = await fuzzResize(120, (i) => {
      const profile = profiles[i % profiles.length]!;
      const mutated = pick(random, ICC_MUTATIONS)(profile.data, random);
      const inPng = i % 4 === 3;
      return {
        name: `${inPng ? 'png' : 'jpeg'} carrying ${profile.name} with ${mutated.what}`,
        data: inPng ? pngWithEmbeddedIcc(png, mutated.data) : withEmbeddedIcc(jpeg, mutated.data),
      };
    });
    expect(problems).toEqual([]);
    expect(outcomes.variants).toBeGreaterThan(0);
    expect(outcomes.CorruptImageError).toBeGreaterThan(0);
  });

  it('the resize core gives variants for every mutated image or fails it as a permanent image error', async () => {
    const random = seededRandom(SEED + 2);
    const { problems, outcomes } = await fuzzResize(240, (i) => {
      const image = images[i % images.length]!;
      const mutated = pick(random, IMAGE_MUTATIONS)(image.data, random);
      return { name: `${image.name} with ${mutated.what}`, data: mutated.data };
    });
    expect(problems).toEqual([]);
    expect(outcomes.variants).toBeGreaterThan(0);
    expect(Object.keys(outcomes).length).toBeGreaterThan(2);
  });
});
