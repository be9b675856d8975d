import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateSamplePhoto, writeSamplePhotos } from '../../../src/images/sample-photos';

describe('sample photos', () => {
  it('are camera-sized JPEGs whose EXIF orientation turns them upright', async () => {
    const photos = [];
    for (let i = 0; i < 3; i++) photos.push(await generateSamplePhoto(i));
    expect(photos.map((p) => p.name)).toEqual(['sample-0000.jpg', 'sample-0001.jpg', 'sample-0002.jpg']);
    for (const photo of photos) {
      expect(Math.max(photo.width, photo.height)).toBeGreaterThanOrEqual(2000);
      expect(Math.max(photo.width, photo.height)).toBeLessThanOrEqual(4000);
      expect(photo.data.length).toBeGreaterThan(400_000);
      expect(photo.data.length).toBeLessThan(4_000_000);
      const meta = await sharp(photo.data).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.orientation ?? 1).toBe(photo.orientation);
      expect(meta.autoOrient).toEqual({ width: photo.width, height: photo.height });
    }
    expect(photos[2]!.orientation).toBe(6);
    // Stored sideways: the file's own width is the upright height.
    expect((await sharp(photos[2]!.data).metadata()).width).toBe(photos[2]!.height);
  });

  it('are the same bytes for the same seed and index, and differ across seeds', async () => {
    const small = { minSide: 400, maxSide: 600 };
    const [a, b, c] = await Promise.all([
      generateSamplePhoto(5, small),
      generateSamplePhoto(5, small),
      generateSamplePhoto(5, { ...small, seed: 2 }),
    ]);
    expect(a.data.equals(b.data)).toBe(true);
    expect(a.data.equals(c.data)).toBe(false);
  });
});

describe('writeSamplePhotos', () => {
  it('draws several at once yet writes the same photos, and returns their paths in order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-samples-'));
    const options = { minSide: 300, maxSide: 400 };
    const reported: number[] = [];
    const files = await writeSamplePhotos(dir, 5, {
      ...options,
      concurrency: 3,
      onPhoto: (_, done) => reported.push(done),
    });
    expect(files).toEqual([0, 1, 2, 3, 4].map((i) => path.join(dir, `sample-000${i}.jpg`)));
    expect(reported).toEqual([1, 2, 3, 4, 5]);
    for (const [i, file] of files.entries()) {
      expect(readFileSync(file).equals((await generateSamplePhoto(i, options)).data)).toBe(true);
    }
  });
});
