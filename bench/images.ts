/**
 * Image throughput per core: the resize core of our activity (src/images/resize.ts, exactly what `resizeImage` runs
 * between its S3 read and writes) against the article's Pillow code (bench/reference/pillow_resize.py), and against
 * a floor measured with sharp in the same run: decode plus the largest variant only, which no three-variant
 * implementation can beat. Both sides run one image at a time on real photographs held in memory, and each is
 * charged the CPU time its process used (user + system), not the wall time: libvips writes JPEG on a background
 * thread even at `sharp.concurrency(1)`, so wall time would give sharp part of a second core for free. Every round
 * runs every implementation, in a rotating order; rates are the median round's, and each ratio is the median of the
 * rounds' own ratios, so drift between rounds does not enter the comparison.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { isSrgbProfile } from '../src/images/icc';
import { renderVariants } from '../src/images/resize';
import { PROJECT_ROOT } from '../src/paths';
import { pillowCpuSeconds } from './pillow';
import { median } from './stats';
import type { BenchSection } from './types';

const ROUNDS = 9;
const P3_ROUNDS = 5;
const PHOTOS = 10;
const MAX_PIXELS = 100_000_000;

/**
 * Where Debian's plasma-workspace-wallpapers package is unpacked; installed on first use (what
 * `node scripts/bootstrap.js --bench` does).
 */
function photoCorpusRoot(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensurePhotoCorpus } = require(path.join(PROJECT_ROOT, 'scripts', 'bootstrap.js')) as {
    ensurePhotoCorpus(): string;
  };
  return ensurePhotoCorpus();
}

/** Real photographs: every full-size wallpaper (2560×1600 and larger) in the corpus, in a stable order. */
function photoCorpusPool(): string[] {
  const root = path.join(photoCorpusRoot(), 'usr', 'share', 'wallpapers');
  const photos: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = path.join(root, name, 'contents', 'images');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const size = /^(\d+)x(\d+)\.jpe?g$/i.exec(file);
      if (size && Number(size[1]) >= 2560 && statSync(path.join(dir, file)).size > 200_000) {
        photos.push(path.join(dir, file));
      }
    }
  }
  if (photos.length === 0) throw new Error(`no full-size photographs under ${root}`);
  return photos;
}

/** `count` of the pool's photographs, spread over it so the mix of sizes does not depend on the first folders' names. */
export function photoCorpusFiles(count = PHOTOS): string[] {
  const photos = photoCorpusPool();
  if (photos.length < count)
    throw new Error(`only ${photos.length} full-size photographs in the corpus, need ${count}`);
  return Array.from({ length: count }, (_, i) => photos[Math.floor((i * photos.length) / count)]!);
}

/** A folder of `count` photographs: the image benchmark's full-size ones, each used in turn, under distinct names. */
export function photoCorpus(count: number): string {
  const photos = photoCorpusPool();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-photos-'));
  for (let i = 0; i < count; i++)
    copyFileSync(photos[i % photos.length]!, path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`));
  return dir;
}

/** CPU seconds (user + system, every thread of this process) to run `one` over the photos. */
async function timeRound(photos: Buffer[], one: (photo: Buffer) => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (const photo of photos) await one(photo);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const ours = (photo: Buffer) => renderVariants(photo, DEFAULT_VARIANTS, { maxPixels: MAX_PIXELS });

/**
 * The floor: one decode and the largest variant only, with sharp's own shrink-on-load and the same output as ours:
 * an sRGB JPEG (greyscale comes out as RGB; an embedded sRGB profile needs no transform, any other is converted).
 */
const floor = async (photo: Buffer) => {
  const { icc } = await sharp(photo).metadata();
  return sharp(photo, { limitInputPixels: MAX_PIXELS, ignoreIcc: icc !== undefined && isSrgbProfile(icc) })
    .rotate()
    .resize(1920, 1920, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .jpeg({ quality: 85 })
    .toBuffer();
};

/** What a first sharp version would do: one independent pipeline (and decode) per variant. */
const perVariant = async (photo: Buffer) => {
  for (const v of DEFAULT_VARIANTS) {
    await sharp(photo)
      .rotate()
      .resize(v.width, v.height, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality: 85 })
      .toBuffer();
  }
};

export async function run(): Promise<BenchSection> {
  const files = photoCorpusFiles();
  const photos = files.map((f) => readFileSync(f));
  const sizes = await Promise.all(photos.map(async (p) => sharp(p).metadata()));
  const previousConcurrency = sharp.concurrency();
  sharp.concurrency(1);
  sharp.cache(false);
  const seconds = {
    pillow: [] as number[],
    ours: [] as number[],
    floor: [] as number[],
    perVariant: [] as number[],
    p3Ours: [] as number[],
    p3Floor: [] as number[],
  };
  try {
    await timeRound(photos.slice(0, 2), ours); // warm up libvips
    const sharpSides = [
      ['ours', ours],
      ['floor', floor],
      ['perVariant', perVariant],
    ] as const;
    for (let r = 0; r < ROUNDS; r++) {
      seconds.pillow.push(pillowCpuSeconds(files));
      // Rotate the order each round, so that no implementation always runs first after Pillow's process.
      for (let k = 0; k < sharpSides.length; k++) {
        const [name, one] = sharpSides[(r + k) % sharpSides.length]!;
        seconds[name].push(await timeRound(photos, one));
      }
    }
    // The same photographs as a phone would deliver them: converted to Display P3 and tagged with its profile.
    const p3Photos: Buffer[] = [];
    for (const photo of photos) p3Photos.push(await sharp(photo).withIccProfile('p3').jpeg({ quality: 92 }).toBuffer());
    for (let r = 0; r < P3_ROUNDS; r++) {
      seconds.p3Ours.push(await timeRound(p3Photos, ours));
      seconds.p3Floor.push(await timeRound(p3Photos, floor));
    }
  } finally {
    sharp.concurrency(previousConcurrency);
  }
  const rate = (s: number[]) => photos.length / median(s);
  const r = { pillow: rate(seconds.pillow), ours: rate(seconds.ours), floor: rate(seconds.floor) };
  const perVariantRate = rate(seconds.perVariant);
  // How many times faster `a` is than `b`: the median of the rounds' ratios, each between two runs of the same
  // round, so that drift from one round to the next (10–20 % on a shared VM) cancels out of the comparison.
  const vs = (a: number[], b: number[]) => median(a.map((secondsA, i) => b[i]! / secondsA));
  const figures = {
    ours_vs_pillow: vs(seconds.ours, seconds.pillow),
    ours_vs_floor: vs(seconds.ours, seconds.floor),
    per_variant_decode_vs_pillow: vs(seconds.perVariant, seconds.pillow),
    ours_images_per_second_per_core: r.ours,
    pillow_images_per_second_per_core: r.pillow,
    p3_ours_vs_floor: vs(seconds.p3Ours, seconds.p3Floor),
  };
  const p3 = { ours: rate(seconds.p3Ours), floor: rate(seconds.p3Floor) };
  const floorRatios = seconds.ours.map((oursSeconds, i) => seconds.floor[i]! / oursSeconds);
  const counts = new Map<string, number>();
  for (const m of sizes) counts.set(`${m.width}×${m.height}`, (counts.get(`${m.width}×${m.height}`) ?? 0) + 1);
  const corpus = [...counts].map(([size, n]) => `${n} × ${size}`).join(', ');
  const pass = (ok: boolean) => (ok ? 'met' : '**missed**');
  const f2 = (x: number) => x.toFixed(2);
  const markdown = [
    `${photos.length} real photographs from Debian's plasma-workspace-wallpapers (${corpus}), held in memory; three`,
    'variants each (150, 800 and 1920 px boxes, JPEG quality 85). One image at a time, `sharp.concurrency(1)`; each',
    'implementation is charged the CPU time of its process (user + system, all threads), so a figure is images per',
    `CPU-second: per core. Pillow is single-threaded. ${ROUNDS} rounds, each running every implementation; rates are`,
    "the median round's, ratios the median of the rounds' ratios.",
    '',
    '| Implementation | Images per CPU-second | vs Pillow | vs floor |',
    '| --- | ---: | ---: | ---: |',
    `| Article's Pillow code (thumbnail LANCZOS, quality 85, optimize) | ${f2(r.pillow)} | 1.00× | ${f2(vs(seconds.pillow, seconds.floor))}× |`,
    `| sharp, one pipeline per variant (decodes three times) | ${f2(perVariantRate)} | ${f2(figures.per_variant_decode_vs_pillow)}× | ${f2(vs(seconds.perVariant, seconds.floor))}× |`,
    `| **ebbflow resizeImage core** (decode once, shrink-on-load, each variant from the next larger one's pixels, no identity colour transform, others after the resize) | ${f2(r.ours)} | ${f2(figures.ours_vs_pillow)}× | ${f2(figures.ours_vs_floor)}× |`,
    `| Floor: sharp decode + largest variant only | ${f2(r.floor)} | ${f2(vs(seconds.floor, seconds.pillow))}× | 1.00× |`,
    '',
    `Targets: at least 1.8× Pillow per core — ${pass(figures.ours_vs_pillow >= 1.8)} (${f2(figures.ours_vs_pillow)}×);`,
    `at least 85 % of the floor — ${pass(figures.ours_vs_floor >= 0.85)} (${(figures.ours_vs_floor * 100).toFixed(1)} %;`,
    `round by round from ${(Math.min(...floorRatios) * 100).toFixed(1)} to ${(Math.max(...floorRatios) * 100).toFixed(1)} %).`,
    '',
    'The same photographs converted to Display P3 and tagged with its profile, as phones deliver them (no target;',
    `median of ${P3_ROUNDS} rounds): the floor, sharp converting to sRGB as it decodes, at full size, makes`,
    `${f2(p3.floor)} images per CPU-second; ebbflow, resizing first and converting at the largest variant's size,`,
    `makes all three variants at ${f2(p3.ours)}: ${f2(figures.p3_ours_vs_floor)}× the floor.`,
  ].join('\n');
  return { title: 'Image resizing per core', markdown, figures };
}

if (require.main === module) {
  run().then(
    (section) => console.log(`${section.title}\n\n${section.markdown}\n\n${JSON.stringify(section.figures)}`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
