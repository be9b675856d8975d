import { isSrgbProfile } from '../../../src/images/icc';
import { CorruptImageError } from '../../../src/images/errors';
import { embeddedProfile } from '../../fixtures/images';

/** sRGB's transfer function, encoded (0–1) to linear. */
const srgbToLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);

const SRGB = { r: [0.4361, 0.2225, 0.0139], g: [0.3851, 0.7169, 0.0971], b: [0.1431, 0.0606, 0.7141] };
const ADOBE_RGB = { r: [0.6097, 0.3111, 0.0195], g: [0.2053, 0.6257, 0.0609], b: [0.1492, 0.0632, 0.7446] };

type Curve = { kind: 'table'; points: number } | { kind: 'gamma'; gamma: number } | { kind: 'srgb-para' };

/**
 * A minimal ICC v2 display profile: header, tag table, colorants and one curve for all three channels. `blueTrc`
 * replaces the bTRC tag, the last one in the file, with bytes of the caller's choosing.
 */
function profile(options: {
  colorants?: typeof SRGB;
  curve?: Curve;
  space?: string;
  extraTags?: string[];
  blueTrc?: Buffer;
}): Buffer {
  const colorants = options.colorants ?? SRGB;
  const curve = options.curve ?? { kind: 'table', points: 1024 };
  const xyz = (v: number[]) => {
    const b = Buffer.alloc(20);
    b.write('XYZ ', 0, 'latin1');
    v.forEach((n, k) => b.writeInt32BE(Math.round(n * 65536), 8 + 4 * k));
    return b;
  };
  let trc: Buffer;
  if (curve.kind === 'table') {
    trc = Buffer.alloc(12 + 2 * curve.points);
    trc.write('curv', 0, 'latin1');
    trc.writeUInt32BE(curve.points, 8);
    for (let i = 0; i < curve.points; i++) {
      trc.writeUInt16BE(Math.round(srgbToLinear(i / (curve.points - 1)) * 65535), 12 + 2 * i);
    }
  } else if (curve.kind === 'gamma') {
    trc = Buffer.alloc(14);
    trc.write('curv', 0, 'latin1');
    trc.writeUInt32BE(1, 8);
    trc.writeUInt16BE(Math.round(curve.gamma * 256), 12);
  } else {
    trc = Buffer.alloc(12 + 5 * 4);
    trc.write('para', 0, 'latin1');
    trc.writeUInt16BE(3, 8);
    [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045].forEach((n, k) =>
      trc.writeInt32BE(Math.round(n * 65536), 12 + 4 * k),
    );
  }
  const tags: [string, Buffer][] = [
    ['rXYZ', xyz(colorants.r)],
    ['gXYZ', xyz(colorants.g)],
    ['bXYZ', xyz(colorants.b)],
    ['rTRC', trc],
    ['gTRC', trc],
    ...(options.extraTags ?? []).map((name): [string, Buffer] => [name, Buffer.from('mft2\0\0\0\0', 'latin1')]),
  ];
  tags.push(['bTRC', options.blueTrc ?? trc]);
  const header = Buffer.alloc(128);
  header.write('mntr', 12, 'latin1');
  header.write(options.space ?? 'RGB ', 16, 'latin1');
  header.write('XYZ ', 20, 'latin1');
  header.write('acsp', 36, 'latin1');
  const table = Buffer.alloc(4 + 12 * tags.length);
  table.writeUInt32BE(tags.length, 0);
  let offset = 128 + table.length;
  const bodies: Buffer[] = [];
  tags.forEach(([name, body], i) => {
    table.write(name, 4 + 12 * i, 'latin1');
    table.writeUInt32BE(offset, 8 + 12 * i);
    table.writeUInt32BE(body.length, 12 + 12 * i);
    bodies.push(body);
    offset += body.length;
  });
  const icc = Buffer.concat([header, table, ...bodies]);
  icc.writeUInt32BE(icc.length, 0);
  return icc;
}

describe('isSrgbProfile', () => {
  it('recognises sRGB by its colorants and curves: a 1024-point table or the parametric sRGB curve', () => {
    expect(isSrgbProfile(profile({}))).toBe(true);
    expect(isSrgbProfile(profile({ curve: { kind: 'srgb-para' } }))).toBe(true);
  });

  it("recognises libvips' own sRGB profile and rejects its Display P3 and CMYK profiles", async () => {
    expect(isSrgbProfile(await embeddedProfile('srgb'))).toBe(true);
    expect(isSrgbProfile(await embeddedProfile('p3'))).toBe(false);
    expect(isSrgbProfile(await embeddedProfile('cmyk'))).toBe(false);
  });

  it('rejects other primaries, a plain gamma 2.2 curve, lookup tables and non-RGB spaces', () => {
    expect(isSrgbProfile(profile({ colorants: ADOBE_RGB }))).toBe(false);
    expect(isSrgbProfile(profile({ curve: { kind: 'gamma', gamma: 2.2 } }))).toBe(false);
    expect(isSrgbProfile(profile({ curve: { kind: 'table', points: 2 } }))).toBe(false);
    expect(isSrgbProfile(profile({ extraTags: ['A2B0'] }))).toBe(false);
    expect(isSrgbProfile(profile({ space: 'GRAY' }))).toBe(false);
  });

  it('rejects what is no ICC profile at all', () => {
    expect(isSrgbProfile(Buffer.alloc(0))).toBe(false);
    expect(isSrgbProfile(Buffer.from('not a profile at all, just some text that is long enough'.repeat(5)))).toBe(
      false,
    );
  });

  /** The error `isSrgbProfile` throws on `icc`; fails the test when it returns instead. */
  function thrownBy(icc: Buffer): Error {
    try {
      isSrgbProfile(icc);
    } catch (err) {
      return err as Error;
    }
    throw new Error('isSrgbProfile returned instead of throwing');
  }

  const tagBody = (type: string, ...fields: Buffer[]) => Buffer.concat([Buffer.from(`${type}\0\0\0\0`), ...fields]);
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

  it.each([
    ['a curv tag with no room for its entry count', tagBody('curv'), /bTRC tag \(curv\) holds 8 bytes/],
    [
      'a curv tag whose one gamma entry is missing',
      tagBody('curv', u32(1)),
      /bTRC tag \(curv\) holds 12 bytes.*1 entries/,
    ],
    ['a curv tag declaring 4 billion entries', tagBody('curv', u32(0xffffffff)), /4294967295 entries/],
    ['a para tag with no room for its function type', tagBody('para'), /bTRC tag \(para\) holds 8 bytes/],
    ['a para tag missing its parameters', tagBody('para', u32(4 << 16)), /7 parameters \(function type 4\)/],
    ['a tag shorter than its type signature', Buffer.from('cu'), /bTRC tag \(untyped\) holds 2 bytes/],
  ])('fails %s, at the end of the profile, as a corrupt image', (_, blueTrc, reason) => {
    const err = thrownBy(profile({ blueTrc }));
    expect(err.name).toBe('CorruptImageError');
    expect(err).toBeInstanceOf(CorruptImageError);
    expect(err.message).toMatch(/^the embedded ICC profile is damaged: /);
    expect(err.message).toMatch(reason);
  });

  it('fails a truncated profile, whose tags run past its end, as a corrupt image', () => {
    const good = profile({});
    expect(thrownBy(good.subarray(0, 200)).message).toMatch(/table of 6 tags runs past the end of its 200 bytes/);
    expect(thrownBy(good.subarray(0, good.length - 1)).message).toMatch(/bTRC tag \(2060 bytes at \d+\) runs past/);
  });
});
