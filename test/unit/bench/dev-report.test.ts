import type { ProcessMemory } from '../../../bench/dev-memory';
import { renderDevReport, type DevReportInput, type LongRun } from '../../../bench/dev-report';

const MB = 2 ** 20;

function proc(pid: number, role: string, peakMb: number, nowMb: number, gone = false): ProcessMemory {
  return { pid, role, peak: peakMb * MB, now: nowMb * MB, gone };
}

/** A long run whose worker held `rssMb[i]` at the i-th of the marks 200 … 1000. */
function longRun(rssMb: number[], workers = 1): LongRun {
  return {
    checkpoints: rssMb.map((rss, i) => ({ images: 200 * (i + 1), rss: rss * MB })),
    peak: 470 * MB,
    seconds: 78.4,
    workers,
    completed: 1000,
  };
}

function input(overrides: Partial<DevReportInput> = {}): DevReportInput {
  const afterRounds = [
    proc(10, 'ebbflow dev', 174, 124),
    proc(11, 'ebbflow sample-photos', 431, 0, true),
    proc(12, 'ebbflow worker', 300, 0, true),
    proc(13, 'ebbflow worker', 395, 0, true),
    proc(14, 'Temporal dev server', 183, 183),
    proc(15, 'ebbflow bridge', 148, 100),
    proc(16, 'ebbflow bridge', 120, 50),
  ];
  return {
    setup: {
      rounds: 5,
      roundPhotos: 4,
      photoSides: { minSide: 1200, maxSide: 3000 },
      scaleInCooldown: '3s',
      demoPhotos: 30,
      distinctPhotos: 16,
      longRun: 1000,
      checkpoints: [200, 400, 600, 800, 1000],
      coldStartGoalMs: 3000,
    },
    warm: [270, 440, 430, 380, 280],
    cold: [2720, 1840, 2140, 2480, 1660],
    scaleOuts: [420, 400, 450],
    backlogLag: [5070, 5090, 5060],
    devPid: 10,
    devAfterDemo: proc(10, 'ebbflow dev', 150, 147),
    afterRounds,
    atRest: {
      windowSeconds: 20,
      quick: { 'ebbflow scaler': 1.5, 'AWS emulator (moto)': 1.3, 'Temporal dev server': 1.2 },
      rested: { 'ebbflow scaler': 0.25, 'AWS emulator (moto)': 0.25, 'Temporal dev server': 0.5 },
    },
    atEnd: [proc(20, 'AWS emulator (moto)', 1300, 1200)],
    long: longRun([369, 411, 387, 428, 396]),
    ...overrides,
  };
}

describe('renderDevReport', () => {
  it('lays out the cold starts against the warm fleet, medians and the ratio', () => {
    const { title, markdown, figures } = renderDevReport(input());
    expect(title).toBe('The local stack: cold start from zero, memory of every process, a worker over 1,000 images');
    expect(markdown).toContain(
      '| one worker already running | 0.38 s | 0.27 s, 0.44 s, 0.43 s, 0.38 s, 0.28 s | 1.00× |\n' +
        '| scaled to zero | 2.14 s | 2.72 s, 1.84 s, 2.14 s, 2.48 s, 1.66 s | **5.63×** |',
    );
    expect(markdown).toContain('Scaling from zero costs 1.76 s over a running worker (median).');
    expect(markdown).toContain('worker 0.42 s after the first upload');
    expect(markdown).toContain('showed in them 5.07 s, 5.09 s, 5.06 s later (3 checks)');
    expect(figures).toMatchObject({
      coldStartRatio: 5.632,
      coldStartMedianSeconds: 2.14,
      coldStartMaxSeconds: 2.72,
      warmMedianSeconds: 0.38,
      scaleOutDecisionMedianSeconds: 0.42,
      devProcessPeakMB: 174,
    });
  });

  it('puts the stack at rest after its first minute at zero against that minute, process by process', () => {
    const { markdown, figures } = renderDevReport(input());
    expect(markdown).toContain(
      '| ebbflow scaler | 1.50 % | 0.25 % | |\n' +
        '| AWS emulator (moto) | 1.30 % | 0.25 % | |\n' +
        '| Temporal dev server | 1.20 % | 0.50 % | |\n' +
        '| **the whole stack** | 4.00 % | 1.00 % | **0.25×** |',
    );
    expect(figures).toMatchObject({ atRestQuickPollsPercentOfCore: 4, atRestPercentOfCore: 1, atRestRatio: 0.25 });
  });

  it('says the goal is met when the slowest cold start is within it, and not met one millisecond over', () => {
    expect(renderDevReport(input({ cold: [3000, 1000] })).markdown).toContain(
      'within 3 s of the first\nupload, is\n**met**: the slowest round took 3.00 s.',
    );
    expect(renderDevReport(input({ cold: [3001, 1000] })).markdown).toContain(
      '**not met**: the slowest round took 3.00 s.',
    );
    expect(
      renderDevReport(input({ cold: [3001, 1000], setup: { ...input().setup, coldStartGoalMs: 4000 } })).markdown,
    ).toContain('within 4 s of the first\nupload, is\n**met**');
  });

  it('leaves the scale-out figure out when the scaler logged no decision', () => {
    const { markdown, figures } = renderDevReport(input({ scaleOuts: [] }));
    expect(markdown).toContain('worker at an unmeasured time after the first upload');
    expect(figures).not.toHaveProperty('scaleOutDecisionMedianSeconds');
  });

  it('has one memory row per role, largest peak first, the living ones summed and the others exited', () => {
    const rows = renderDevReport(input())
      .markdown.split('\n')
      // The memory table's rows: the at-rest table has rows for the same roles, in per cent.
      .filter((line) => /^\| (ebbflow|Temporal).*(MB|exited) \|$/.test(line));
    expect(rows).toEqual([
      '| ebbflow sample-photos | 1 | 431 MB | exited |',
      '| ebbflow worker | 2 | 395 MB | exited |',
      '| Temporal dev server | 1 | 183 MB | 183 MB |',
      '| ebbflow dev | 1 | 174 MB | 124 MB |',
      '| ebbflow bridge | 2 | 148 MB | 150 MB |',
    ]);
  });

  it('says what it could not read: the drawing process, the dev process after the demo, the emulator', () => {
    const markdown = renderDevReport(
      input({
        devAfterDemo: undefined,
        afterRounds: input().afterRounds.filter((p) => p.role !== 'ebbflow sample-photos'),
        atEnd: [],
      }),
    ).markdown;
    expect(markdown).toContain('peaked at 174 MB (after the demo)');
    expect(markdown).toContain('a child that peaked at an unmeasured size (it ended between two readings)');
    expect(markdown).toContain('after the long run it held an unmeasured amount, which');
    expect(renderDevReport(input()).markdown).toContain('peaked at 174 MB (147 MB when the demo was done)');
  });

  it("tabulates the worker's memory at each mark and calls it flat up to 1.1× the first reading", () => {
    const { markdown, figures } = renderDevReport(input());
    expect(markdown).toContain(
      '| images | 200 | 400 | 600 | 800 | 1000 | peak |\n' +
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
        '| worker RSS | 369 MB | 411 MB | 387 MB | 428 MB | 396 MB | 470 MB |\n' +
        '| ÷ at 200 | 1.00× | 1.11× | 1.05× | 1.16× | 1.07× | |',
    );
    expect(markdown).toContain('Between 369 MB and 428 MB at the marks');
    expect(markdown).toContain("**1.07×** the reading at 200: the worker's memory stays flat (no upward trend).");
    expect(markdown).toContain('one worker (1 worker process over the run)');
    expect(figures).toMatchObject({ workerRssGrowthRatio: 1.073, workerPeakMB: 470 });

    const growing = renderDevReport(input({ long: longRun([300, 320, 340, 360, 340], 2) })).markdown;
    expect(growing).toContain("**1.13×** the reading at 200: the worker's memory grows.");
    expect(growing).toContain('one worker (2 worker processes over the run)');
  });
});
