import { formatBytes, formatDuration, table } from '../../src/cli/format';

describe('table', () => {
  it('aligns columns and right-aligns numbers', () => {
    const out = table(
      ['queue', 'visible'],
      [
        ['ingress', 5],
        ['dead-letter', 120],
      ],
    ).split('\n');
    expect(out).toEqual([
      'queue        visible',
      '───────────  ───────',
      'ingress            5',
      'dead-letter      120',
    ]);
  });

  it('shows a dash for missing cells', () => {
    expect(table(['a', 'b'], [['x', undefined]]).split('\n')[2]).toBe('x  —');
  });
});

describe('formatting', () => {
  it.each([
    [512, '512 B'],
    [1536, '1.5 KB'],
    [5 * 1024 * 1024, '5.0 MB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each([
    [250, '250 ms'],
    [12_300, '12.3 s'],
    [185_000, '3 min 5 s'],
    [7_500_000, '2 h 5 min'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));
});
