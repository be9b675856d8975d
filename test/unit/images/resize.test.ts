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
