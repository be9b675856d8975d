import { formatBytes, formatDuration, table } from '../../../src/terminal/format';
import { ProgressBar } from '../../../src/terminal/progress-bar';

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
    [47 * 3_600_000, '47 h 0 min'],
    [(3 * 24 + 5) * 3_600_000 + 600_000, '3 d 5 h'],
    [365 * 24 * 3_600_000, '365 d'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));
});

describe('ProgressBar', () => {
  it('prints the first step and then each tenth once on a non-terminal stream', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar('uploading ', 20, stream);
    for (let i = 0; i < 20; i++) bar.tick(1, 'note');
    bar.finish();
    expect(written.map((line) => /(\d+)%/.exec(line)?.[1])).toEqual([
      '5',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    expect(written.at(-1)).toMatch(/^uploading {2}\[█{24}\] 20\/20 100% {2}[\d.]+\/s {2}note\n$/);
  });
});
