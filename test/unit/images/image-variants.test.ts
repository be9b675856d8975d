import {
  DEFAULT_VARIANTS,
  fitInside,
  IMAGE_ERROR_TYPES,
  largestVariant,
  localResizeActivityOptions,
  resizeActivityOptions,
  resizesLocally,
  resolveVariants,
  variantKey,
} from '../../../src/common/image-variants';

describe('fitInside', () => {
  it('fits a landscape photo inside the box, aspect kept', () => {
    expect(fitInside({ width: 4000, height: 3000 }, { width: 1920, height: 1920 })).toEqual({
      width: 1920,
      height: 1440,
    });
    expect(fitInside({ width: 4000, height: 3000 }, { width: 150, height: 150 })).toEqual({ width: 150, height: 113 });
  });

  it('fits a portrait photo by its height', () => {
    expect(fitInside({ width: 3000, height: 4000 }, { width: 800, height: 800 })).toEqual({ width: 600, height: 800 });
  });

  it('never enlarges an image smaller than the box', () => {
    expect(fitInside({ width: 100, height: 80 }, { width: 150, height: 150 })).toEqual({ width: 100, height: 80 });
    expect(fitInside({ width: 150, height: 150 }, { width: 150, height: 150 })).toEqual({ width: 150, height: 150 });
  });

  it('keeps at least one pixel on the short side of a very wide panorama', () => {
    expect(fitInside({ width: 60_000, height: 100 }, { width: 150, height: 150 })).toEqual({ width: 150, height: 1 });
    expect(fitInside({ width: 6000, height: 1000 }, { width: 1920, height: 1920 })).toEqual({
      width: 1920,
      height: 320,
    });
  });

  it('never exceeds the box on either side', () => {
    for (let w = 1; w < 3000; w += 97) {
      for (let h = 1; h < 3000; h += 89) {
        const size = fitInside({ width: w, height: h }, { width: 150, height: 150 });
        expect(size.width).toBeLessThanOrEqual(Math.min(150, w));
        expect(size.height).toBeLessThanOrEqual(Math.min(150, h));
        expect(Math.max(size.width, size.height)).toBe(Math.min(150, Math.max(w, h)));
      }
    }
  });
});

describe('variantKey', () => {
  it('writes under processed/<variant>/<source bucket>/<key>, keeping a plain key as it is', () => {
    expect(variantKey('medium', 'photos-in', 'photos/my cat+1.jpg')).toBe(
      'processed/medium/photos-in/photos/my cat+1.jpg',
    );
    expect(variantKey('large', 'a.b-c', 'ünïcødé/写真 (1).JPG')).toBe('processed/large/a.b-c/ünïcødé/写真 (1).JPG');
  });

  it('keeps originals of the same key in different buckets apart', () => {
    expect(variantKey('thumbnail', 'team-a', 'cat.jpg')).not.toBe(variantKey('thumbnail', 'team-b', 'cat.jpg'));
  });

  it.each([
    ['../../etc/passwd', '%2E%2E/%2E%2E/etc/passwd'],
    ['a/./b/../../c.jpg', 'a/%2E/b/%2E%2E/%2E%2E/c.jpg'],
    ['/absolute.jpg', '%2F/absolute.jpg'],
    ['//x//y.jpg', '%2F/%2F/x/%2F/y.jpg'],
    ['..', '%2E%2E'],
    ['dir/', 'dir/%2F'],
    ['new\nline\r\t\u0000\u007f\u0085.jpg', 'new%0Aline%0D%09%00%7F%C2%85.jpg'],
    ['..\\..\\windows.jpg', '..%5C..%5Cwindows.jpg'],
    ['100%25 literal %2E%2E.jpg', '100%2525 literal %252E%252E.jpg'],
    ['...', '...'],
    ['..jpg', '..jpg'],
  ])('makes %j safe under its prefix: %s', (key, safe) => {
    const out = variantKey('medium', 'in', key);
    expect(out).toBe(`processed/medium/in/${safe}`);
    const segments = out.split('/');
    expect(segments.slice(0, 3)).toEqual(['processed', 'medium', 'in']);
    for (const segment of segments) {
      expect(['', '.', '..']).not.toContain(segment);
      expect(segment).not.toMatch(/[\p{Cc}\\]/u);
    }
  });

  it('makes the bucket one safe segment', () => {
    expect(variantKey('medium', '..', 'x.jpg')).toBe('processed/medium/%2E%2E/x.jpg');
    expect(variantKey('medium', 'a/../b', 'x.jpg')).toBe('processed/medium/a%2F%2E%2E%2Fb/x.jpg');
  });

  it('never gives two different originals the same key', () => {
    const keys = [
      'a/b',
      'a//b',
      '/a/b',
      'a/b/',
      'a/%2F/b',
      'a/./b',
      'a/%2E/b',
      'a/../b',
      'a/%2E%2E/b',
      'a\\b',
      'a%5Cb',
    ];
    const outputs = new Set(keys.map((key) => variantKey('medium', 'in', key)));
    expect(outputs.size).toBe(keys.length);
  });

  it('takes keys as the bridge decodes them from S3 notifications, and never decodes them again', () => {
    // S3 URL-encodes the key in its event, space as `+`: what the bridge hands over is the key as stored.
    const fromEvent = (encoded: string) => decodeURIComponent(encoded.replace(/\+/g, ' '));
    expect(variantKey('thumbnail', 'in', fromEvent('photos%2Fmy+cat%2B1.jpg'))).toBe(
      'processed/thumbnail/in/photos/my cat+1.jpg',
    );
    expect(variantKey('thumbnail', 'in', fromEvent('%2E%2E%2F%2E%2E%2Fescape.jpg'))).toBe(
      'processed/thumbnail/in/%2E%2E/%2E%2E/escape.jpg',
    );
    // A key that really holds `%2E%2E` is not a climb, and keeps its percent signs apart from escapes.
    expect(variantKey('thumbnail', 'in', fromEvent('%252E%252E%2Fx.jpg'))).toBe(
      'processed/thumbnail/in/%252E%252E/x.jpg',
    );
  });
});

describe('resolveVariants', () => {
  it('defaults to thumbnail 150, medium 800 and large 1920', () => {
    expect(resolveVariants(undefined)).toEqual([
      { name: 'thumbnail', width: 150, height: 150 },
      { name: 'medium', width: 800, height: 800 },
      { name: 'large', width: 1920, height: 1920 },
    ]);
    expect(DEFAULT_VARIANTS).toHaveLength(3);
  });

  it('accepts default names and custom sizes', () => {
    expect(resolveVariants(['thumbnail', { name: 'square_512', width: 512, height: 512 }])).toEqual([
      { name: 'thumbnail', width: 150, height: 150 },
      { name: 'square_512', width: 512, height: 512 },
    ]);
  });

  it('rejects unknown names, bad sizes, unsafe names, duplicates and an empty list', () => {
    expect(() => resolveVariants(['huge'])).toThrow(/unknown variant "huge"/);
    expect(() => resolveVariants([{ name: 'x', width: 0, height: 10 }])).toThrow(/width must be/);
    expect(() => resolveVariants([{ name: '../up', width: 10, height: 10 }])).toThrow(/name of letters/);
    expect(() => resolveVariants(['medium', 'medium'])).toThrow(/listed twice/);
    expect(() => resolveVariants([])).toThrow(/non-empty/);
  });
});

describe('largestVariant', () => {
  it('is the biggest fitted size, capped by the original', () => {
    expect(largestVariant({ width: 4000, height: 3000 }, DEFAULT_VARIANTS)).toEqual({ width: 1920, height: 1440 });
    expect(largestVariant({ width: 1000, height: 500 }, DEFAULT_VARIANTS)).toEqual({ width: 1000, height: 500 });
  });
});

describe('resizeActivityOptions', () => {
  it('defaults to 3 attempts from 1 s, doubling to a minute, 2 min per attempt with a 30 s heartbeat', () => {
    expect(resizeActivityOptions()).toEqual({
      startToCloseTimeout: 120_000,
      heartbeatTimeout: 30_000,
      retry: {
        maximumAttempts: 3,
        initialInterval: 1000,
        backoffCoefficient: 2,
        maximumInterval: 60_000,
        nonRetryableErrorTypes: [...IMAGE_ERROR_TYPES],
      },
    });
  });

  it('never lets the heartbeat timeout or the backoff cap fall below what the settings ask', () => {
    const options = resizeActivityOptions({ maxAttempts: 5, initialRetryIntervalMs: 120_000, activityTimeoutMs: 5000 });
    expect(options.heartbeatTimeout).toBe(5000);
    expect(options.retry).toMatchObject({ maximumAttempts: 5, initialInterval: 120_000, maximumInterval: 120_000 });
  });
});

describe('local resizes', () => {
  it('run locally only for a known size within the limit, and never with a limit of 0', () => {
    expect(resizesLocally(1000, 1000)).toBe(true);
    expect(resizesLocally(0, 1000)).toBe(true);
    expect(resizesLocally(1001, 1000)).toBe(false);
    expect(resizesLocally(undefined, 1000)).toBe(false);
    expect(resizesLocally(0, 0)).toBe(false);
  });

  it('have the regular resize’s timeout and retries, and no heartbeat', () => {
    const settings = { maxAttempts: 4, initialRetryIntervalMs: 500, activityTimeoutMs: 10_000 };
    const { heartbeatTimeout, ...regular } = resizeActivityOptions(settings);
    expect(heartbeatTimeout).toBe(10_000);
    expect(localResizeActivityOptions(settings)).toEqual(regular);
  });
});
