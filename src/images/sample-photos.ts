/**
 * Sample photos for the demo, tests and benchmarks, made locally with sharp: nothing is downloaded. Each is a small
 * landscape scene (sky gradient, sun, layered hills, a lake, scattered shapes) with film-like grain, so JPEG sizes
 * and decode costs look like a camera's: 2000–4000 px on the long side, about 1–3 MB. Some are stored sideways or
 * upside down with the EXIF orientation that turns them upright, as phones do. The same seed and index always give
 * the same photo.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../common/random';
import { forEachConcurrently } from '../async';

export interface SamplePhoto {
  /** File name, e.g. `sample-0007.jpg`. */
  name: string;
  /** The JPEG file. */
  data: Buffer;
  /** Size once upright (after the EXIF orientation is applied). */
  width: number;
  height: number;
  /** EXIF orientation written into the file (1 = upright already). */
  orientation: 1 | 3 | 6 | 8;
}

export interface SamplePhotoOptions {
  /** Varies the whole series. @defaultValue 1 */
  seed?: number;
  /** Longest side is drawn from [minSide, maxSide]. @defaultValue 2000, 4000 */
  minSide?: number;
  maxSide?: number;
}

const ASPECTS = [4 / 3, 3 / 2, 16 / 9, 1, 3 / 4, 2 / 3] as const;
const ORIENTATIONS = [1, 1, 6, 1, 8, 1, 3, 1] as const;
const PALETTES = [
  ['#0b1d3a', '#f08a4b', '#ffd27f', '#3b4a2f', '#6b7f3a', '#2a5d7c'],
  ['#1a6fb5', '#9fd3f5', '#fff6d5', '#2f5e2e', '#79a548', '#2d7fa8'],
  ['#2b1638', '#d9546b', '#ffc46b', '#402a3e', '#7b4c5c', '#4a3b6b'],
  ['#4c6e8a', '#c9d8e3', '#f4f1e8', '#5d6a5a', '#a3a88e', '#6c8ea3'],
] as const;

function hills(rand: () => number, w: number, h: number, base: number, rough: number): string {
  const points = [`0,${h}`];
  const steps = 12 + Math.floor(rand() * 12);
  for (let i = 0; i <= steps; i++) {
    const x = (i / steps) * w;
    const y = base + (rand() - 0.5) * rough;
    points.push(`${x.toFixed(0)},${y.toFixed(0)}`);
  }
  points.push(`${w},${h}`);
  return points.join(' ');
}

function sceneSvg(rand: () => number, w: number, h: number): string {
  const p = PALETTES[Math.floor(rand() * PALETTES.length)]!;
  const horizon = h * (0.45 + rand() * 0.2);
  const sun = {
    x: w * (0.15 + rand() * 0.7),
    y: horizon * (0.3 + rand() * 0.5),
    r: Math.min(w, h) * (0.04 + rand() * 0.06),
  };
  const shapes: string[] = [];
  for (let i = 0; i < 25; i++) {
    const x = rand() * w;
    const y = horizon + rand() * (h - horizon);
    const r = Math.min(w, h) * (0.005 + rand() * 0.03);
    shapes.push(`<circle cx="${x.toFixed(0)}" cy="${y.toFixed(0)}" r="${r.toFixed(0)}" fill="${p[4]}" opacity="0.6"/>`);
  }
  return (
    // Drawn at half size: the scene is smooth, the grain added at full size gives the detail, and it is 4× faster.
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(w / 2)}" height="${Math.ceil(h / 2)}" viewBox="0 0 ${w} ${h}">` +
    '<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">' +
    `<stop offset="0" stop-color="${p[0]}"/><stop offset="0.7" stop-color="${p[1]}"/>` +
    `<stop offset="1" stop-color="${p[2]}"/></linearGradient>` +
    '<radialGradient id="sun"><stop offset="0" stop-color="#fffbe8"/>' +
    `<stop offset="1" stop-color="${p[2]}" stop-opacity="0"/></radialGradient></defs>` +
    `<rect width="${w}" height="${h}" fill="url(#sky)"/>` +
    `<circle cx="${sun.x.toFixed(0)}" cy="${sun.y.toFixed(0)}" r="${(sun.r * 3).toFixed(0)}" fill="url(#sun)"/>` +
    `<circle cx="${sun.x.toFixed(0)}" cy="${sun.y.toFixed(0)}" r="${sun.r.toFixed(0)}" fill="#fffdf2"/>` +
    `<polygon points="${hills(rand, w, h, horizon - h * 0.08, h * 0.15)}" fill="${p[3]}" opacity="0.7"/>` +
    `<polygon points="${hills(rand, w, h, horizon, h * 0.08)}" fill="${p[3]}"/>` +
    `<rect y="${(horizon + h * 0.12).toFixed(0)}" width="${w}" height="${h}" fill="${p[5]}" opacity="0.8"/>` +
    `<polygon points="${hills(rand, w, h, h * 0.9, h * 0.1)}" fill="${p[4]}"/>` +
    shapes.join('') +
    '</svg>'
  );
}

/** Grain: seeded noise at a quarter of the pixels, enlarged so it clumps like film grain; raw sRGB. */
async function grain(rand: () => number, w: number, h: number): Promise<Buffer> {
  const gw = Math.ceil(w / 2);
  const gh = Math.ceil(h / 2);
  const noise = Buffer.alloc(gw * gh);
  for (let i = 0; i < noise.length; i++) noise[i] = 98 + Math.floor(rand() * 60);
  return sharp(noise, { raw: { width: gw, height: gh, channels: 1 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .toColourspace('srgb')
    .raw()
    .toBuffer();
}

/** The stored pixels are turned so that applying `orientation` shows the photo upright. */
const STORED_ROTATION: Record<SamplePhoto['orientation'], number> = { 1: 0, 3: 180, 6: 270, 8: 90 };

/** Makes sample photo number `index` of the series `seed`. */
export async function generateSamplePhoto(index: number, options: SamplePhotoOptions = {}): Promise<SamplePhoto> {
  const { seed = 1, minSide = 2000, maxSide = 4000 } = options;
  const rand = seededRandom(seed * 1_000_003 + index);
  const long = Math.round(minSide + rand() * (maxSide - minSide));
  const aspect = ASPECTS[Math.floor(rand() * ASPECTS.length)]!;
  const width = aspect >= 1 ? long : Math.round(long * aspect);
  const height = aspect >= 1 ? Math.round(long / aspect) : long;
  const orientation = ORIENTATIONS[index % ORIENTATIONS.length]!;
  const raw = { width, height, channels: 3 as const };
  const scene = await sharp(Buffer.from(sceneSvg(rand, width, height)))
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .composite([{ input: await grain(rand, width, height), raw, blend: 'soft-light' }])
    .raw()
    .toBuffer();
  const data = await sharp(scene, { raw })
    .rotate(STORED_ROTATION[orientation])
    .withMetadata({ orientation })
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name: `sample-${String(index).padStart(4, '0')}.jpg`, data, width, height, orientation };
}

/**
 * Writes `count` sample photos into `dir` (created if needed) and returns their paths in order. Photos are drawn a
 * few at a time, one per core up to four: drawing one keeps about one core busy.
 */
export async function writeSamplePhotos(
  dir: string,
  count: number,
  options: SamplePhotoOptions & { concurrency?: number; onPhoto?: (photo: SamplePhoto, done: number) => void } = {},
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = new Array<string>(count);
  const indices = Array.from({ length: count }, (_, index) => index);
  let done = 0;
  await forEachConcurrently(indices, options.concurrency ?? Math.min(4, availableParallelism()), async (index) => {
    const photo = await generateSamplePhoto(index, options);
    const file = path.join(dir, photo.name);
    writeFileSync(file, photo.data);
    files[index] = file;
    options.onPhoto?.(photo, ++done);
  });
  return files;
}
