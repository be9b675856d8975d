import sharp from 'sharp';
import { DEFAULT_VARIANTS, fitInside } from '../../../src/common/image-variants';
import { renderVariants } from '../../../src/images/resize';
import { badImages, colourAt, colourName, goodImages } from '../../fixtures/images';

const limits = { maxPixels: 100_000_000 };

describe('renderVariants', () => {
  it.each(['exif-rotated', 'cmyk', 'greyscale', 'png-alpha', 'webp', 'panorama', 'tiny'])(
    '%s: upright, sRGB JPEG, white where transparent, never enlarged',
    async (kind) => {
      const image = (await goodImages()).find((g) => g.kind === kind)!;
      const out = await renderVariants(image.data, DEFAULT_VARIANTS, limits);
      expect({ width: out.width, height: out.height }).toEqual({ width: image.width, height: image.height });
      for (const variant of out.variants) {
        const spec = DEFAULT_VARIANTS.find((v) => v.name === variant.name)!;
        const meta = await sharp(variant.data).metadata();
        expect(meta.format).toBe('jpeg');
        expect(meta.space).toBe('srgb');
        expect(meta.channels).toBe(3);
        expect(meta.orientation ?? 1).toBe(1);
        expect({ width: meta.width, height: meta.height }).toEqual(fitInside(image, spec));
        expect({ width: variant.width, height: variant.height }).toEqual(fitInside(image, spec));
        expect(meta.width).toBeLessThanOrEqual(image.width);
        const cx = Math.floor(variant.width / 2);
        expect(colourName(await colourAt(variant.data, cx, Math.floor(variant.height / 4)))).toBe(image.top);
        expect(colourName(await colourAt(variant.data, cx, Math.floor((variant.height * 3) / 4)))).toBe(image.bottom);
      }
    },
  );

  it('writes identical bytes for the same input', async () => {
    const image = (await goodImages()).find((g) => g.kind === 'webp')!;
    const [a, b] = await Promise.all([
      renderVariants(image.data, DEFAULT_VARIANTS, limits),
      renderVariants(image.data, DEFAULT_VARIANTS, limits),
    ]);
    for (const [i, v] of a.variants.entries()) expect(v.data.equals(b.variants[i]!.data)).toBe(true);
  });

  it.each(['corrupt-jpeg', 'zero-bytes', 'text-as-jpeg', 'header-declares-enormous'])(
    '%s fails with its typed error',
    async (kind) => {
      const image = (await badImages()).find((b) => b.kind === kind)!;
      await expect(renderVariants(image.data, DEFAULT_VARIANTS, limits)).rejects.toMatchObject({
        name: image.errorType,
      });
    },
  );

  it('refuses an image above the pixel limit before decoding it', async () => {
    const image = (await goodImages()).find((g) => g.kind === 'panorama')!;
    await expect(renderVariants(image.data, DEFAULT_VARIANTS, { maxPixels: 1_000_000 })).rejects.toMatchObject({
      name: 'DecompressionBombError',
      message: expect.stringMatching(/6000×1000/),
    });
  });
});

describe('renderVariants colour handling', () => {
  /** A vivid gradient, so that a colour transform that should or should not run shows in the pixels. */
  async function photoWithProfile(name: string): Promise<Buffer> {
    const width = 400;
    const height = 300;
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 3;
        pixels[at] = Math.round((x / width) * 255);
        pixels[at + 1] = Math.round((y / height) * 255);
        pixels[at + 2] = 200;
      }
    }
    // keepIccProfile would convert; withIccProfile on raw input tags the pixels as they are.
    return sharp(pixels, { raw: { width, height, channels: 3 } })
      .withIccProfile(name)
      .jpeg({ quality: 95 })
      .toBuffer();
  }

  const decodeLikeAViewer = async (jpeg: Buffer, width: number) =>
    sharp(jpeg).resize(width).toColourspace('srgb').raw().toBuffer();

  /** Per-channel differences between two decodings: the 99th percentile, the largest and the mean. */
  const differences = (a: Buffer, b: Buffer) => {
    const all = Array.from(a, (v, i) => Math.abs(v - b[i]!)).sort((x, y) => x - y);
    return {
      p99: all[Math.floor(all.length * 0.99)]!,
      max: all[all.length - 1]!,
      mean: all.reduce((s, d) => s + d, 0) / all.length,
    };
  };

  it('gives the same pixels for an embedded sRGB profile as a full colour-managed conversion', async () => {
    const input = await photoWithProfile('srgb');
    const out = await renderVariants(input, [{ name: 'medium', width: 200, height: 200 }], limits);
    const managed = await sharp(input).resize(200).jpeg({ quality: 85 }).toBuffer();
    expect(
      differences(await decodeLikeAViewer(out.variants[0]!.data, 200), await decodeLikeAViewer(managed, 200)).max,
    ).toBeLessThanOrEqual(2);
  });

  it('converts a Display P3 image to sRGB, after the resize, as a full colour-managed conversion would', async () => {
    const input = await photoWithProfile('p3');
    const out = await renderVariants(input, [{ name: 'medium', width: 200, height: 200 }], limits);
    expect((await sharp(out.variants[0]!.data).metadata()).icc).toBeUndefined();
    const managed = await sharp(input).resize(200).jpeg({ quality: 85 }).toBuffer();
    const unmanaged = await sharp(input, { ignoreIcc: true }).resize(200).jpeg({ quality: 85 }).toBuffer();
    const ours = await decodeLikeAViewer(out.variants[0]!.data, 200);
    // Converting after the resize averages colours outside sRGB before they are clipped, not after: a few pixels on
    // the gamut's edge differ by a few levels, the rest as JPEG rounding does.
    const fromManaged = differences(ours, await decodeLikeAViewer(managed, 200));
    expect(fromManaged.p99).toBeLessThanOrEqual(2);
    expect(fromManaged.max).toBeLessThanOrEqual(8);
    expect(differences(ours, await decodeLikeAViewer(unmanaged, 200)).mean).toBeGreaterThan(5);
  });

  it.each([
    ['shrunk', 400],
    ['kept at its size', 50],
  ])('converts a 16-bit image with a Display P3 profile to sRGB, %s', async (_, side) => {
    // sRGB red, converted to P3 and stored as 16 bits with the P3 profile, as an editor exports it.
    const red = Buffer.alloc(side * side * 3);
    for (let i = 0; i < red.length; i += 3) red[i] = 255;
    const input = await sharp(red, { raw: { width: side, height: side, channels: 3 } })
      .withIccProfile('p3')
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    const out = await renderVariants(input, [{ name: 'medium', width: 100, height: 100 }], limits);
    const [r, g, b] = await colourAt(out.variants[0]!.data, 10, 10);
    expect(r).toBeGreaterThan(248);
    expect(Math.max(g, b)).toBeLessThan(8);
  });

  it('converts a Display P3 PNG with transparency and an EXIF turn: upright, white where transparent', async () => {
    // Left half opaque red in P3, right half transparent; EXIF orientation 6 turns it a quarter clockwise.
    const [width, height] = [400, 300];
    const pixels = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width / 2; x++) pixels.set([255, 0, 0, 255], (y * width + x) * 4);
    }
    const input = await sharp(pixels, { raw: { width, height, channels: 4 } })
      .withIccProfile('p3')
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const out = await renderVariants(input, [{ name: 'medium', width: 150, height: 150 }], limits);
    const variant = out.variants[0]!;
    expect({ width: variant.width, height: variant.height }).toEqual({ width: 113, height: 150 });
    // Turned clockwise, the left half is now on top; P3's red lies outside sRGB, so it comes out pure sRGB red.
    const top = await colourAt(variant.data, 56, 30);
    const bottom = await colourAt(variant.data, 56, 120);
    expect(top[0]).toBeGreaterThan(240);
    expect(Math.max(top[1], top[2])).toBeLessThan(30);
    expect(Math.min(...bottom)).toBeGreaterThan(245);
  });

  it('returns the variants in the order asked, each at its own size, whatever that order', async () => {
    const image = (await goodImages()).find((g) => g.kind === 'panorama')!;
    const asked = [DEFAULT_VARIANTS[0]!, DEFAULT_VARIANTS[2]!, DEFAULT_VARIANTS[1]!];
    const out = await renderVariants(image.data, asked, limits);
    expect(out.variants.map((v) => v.name)).toEqual(asked.map((v) => v.name));
    for (const [i, variant] of out.variants.entries()) {
      expect({ width: variant.width, height: variant.height }).toEqual(fitInside(image, asked[i]!));
      const meta = await sharp(variant.data).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual(fitInside(image, asked[i]!));
    }
  });
});
