import { articleFigures, reportRunCost, renderArticleFigures } from '../../../src/simulator/article';
import {
  ARTICLE_TASK,
  FARGATE_PRICES,
  billedMs,
  cents,
  fargateSizeProblem,
  money,
  taskCost,
  taskHourly,
} from '../../../src/simulator/cost';

const figure = (start: string) => {
  const f = articleFigures().find((x) => x.claim.startsWith(start));
  if (!f) throw new Error(`no figure starting with ${start}`);
  return f;
};

describe('cost model and the article’s figures', () => {
  it('knows the task sizes Fargate runs and names what it offers for the rest', () => {
    for (const [vcpu, memoryGb] of [
      [0.25, 0.5],
      [0.25, 2],
      [0.5, 1],
      [0.5, 4],
      [1, 8],
      [2, 16],
      [4, 30],
      [8, 60],
      [16, 32],
      [16, 120],
    ] as const) {
      expect(fargateSizeProblem({ vcpu, memoryGb })).toBeUndefined();
    }
    expect(fargateSizeProblem({ vcpu: 0.25, memoryGb: 4 })).toBe(
      'Fargate has no task of 0.25 vCPU with 4 GB: with 0.25 vCPU it offers 0.5, 1 or 2 GB',
    );
    expect(fargateSizeProblem({ vcpu: 8, memoryGb: 18 })).toBe(
      'Fargate has no task of 8 vCPU with 18 GB: with 8 vCPU it offers 16 to 60 GB in steps of 4 GB',
    );
    expect(fargateSizeProblem({ vcpu: 4, memoryGb: 31 })).toMatch(/it offers 8 to 30 GB in steps of 1 GB$/);
    expect(fargateSizeProblem({ vcpu: 1, memoryGb: 2.5 })).toMatch(/with 1 vCPU it offers 2 to 8 GB/);
    expect(fargateSizeProblem({ vcpu: 3, memoryGb: 8 })).toBe(
      'Fargate has no task of 3 vCPU: it offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU',
    );
    expect(fargateSizeProblem(ARTICLE_TASK)).toBeUndefined();
  });

  test.each([
    [246.849, '$246.85'],
    [1.18, '$1.18'],
    [0.0016539, '$0.0017'],
    [0.024685, '$0.02'],
    [0.0000096, '$0.0000096'],
    [0.000000412, '$0.00000041'],
    [0, '$0.00'],
  ])('money(%d) is %s: two significant digits below a cent', (dollars, text) => {
    expect(money(dollars)).toBe(text);
  });

  test('the always-on bridge or scaler task (0.25 vCPU, 0.5 GB): $0.0123 an hour, $9.01 a month', () => {
    const hourly = taskHourly({ vcpu: 0.25, memoryGb: 0.5 }, FARGATE_PRICES['on-demand']);
    expect(hourly.toFixed(4)).toBe('0.0123');
    expect(cents(hourly * 730)).toBe(9.01);
  });

  test('a 0.5 vCPU, 1 GB Fargate task costs $0.024685 an hour', () => {
    expect(taskHourly(ARTICLE_TASK, FARGATE_PRICES['on-demand'])).toBeCloseTo(0.024685, 9);
  });

  test('daily report: $0.0017 a run the article’s way, $0.0016 exactly; $0.051 and $0.049 a month', () => {
    const run = reportRunCost();
    expect(run.articleRounding.toFixed(4)).toBe('0.0017');
    expect(run.exact.toFixed(4)).toBe('0.0016');
    expect(cents(run.exact)).toBe(0); // under a cent per run either way
    expect((run.articleRounding * 30).toFixed(3)).toBe('0.050'); // 0.0016539 × 30; the article multiplies the rounded 0.0017
    expect((0.0017 * 30).toFixed(3)).toBe('0.051');
    expect((run.exact * 30).toFixed(3)).toBe('0.049');
  });

  test('images: 333 task-hours a day is $8.22 as the article writes it, $8.23 exactly; $246.60 / $246.85 a month', () => {
    const hourly = taskHourly(ARTICLE_TASK, FARGATE_PRICES['on-demand']);
    expect(cents(333 * hourly)).toBe(8.22);
    expect(cents(8.22 * 30)).toBe(246.6);
    const f = figure('images: 10,000');
    expect(cents(f.recomputed)).toBe(8.23);
    expect(cents(f.recomputed * 30)).toBe(246.85);
  });

  test('the "more realistic" day: $1.18 + $0.59 = $1.77, $53.10 a month, but only 72 of 333 task-hours paid', () => {
    const hourly = taskHourly(ARTICLE_TASK, FARGATE_PRICES['on-demand']);
    expect(cents(8 * 6 * hourly)).toBe(1.18);
    expect(cents(16 * 1.5 * hourly)).toBe(0.59);
    expect(cents(cents(8 * 6 * hourly) + cents(16 * 1.5 * hourly)) * 30).toBeCloseTo(53.1, 9);
    const f = figure('"more realistic"');
    expect(f.note).toContain('72 task-hours');
    expect(f.note).toContain('333.3');
    expect(figure('total monthly cost').recomputed).toBeCloseTo(61.22, 9);
  });

  test('the contradictions are named', () => {
    expect(figure('"average load').recomputed).toBeCloseTo(13.89, 2);
    expect(figure('burst test: 100 images').recomputed).toBe(20);
    expect(figure('steady test').recomputed).toBe(10);
    expect(figure('"Savings').recomputed).toBeCloseTo(32.2, 1);
    expect(renderArticleFigures('markdown')).toContain('| Article says |');
  });

  test('Fargate bills per second with a one-minute minimum', () => {
    expect(billedMs(10_000)).toBe(60_000);
    expect(billedMs(90_500)).toBe(91_000);
    expect(taskCost(3_600_000, ARTICLE_TASK, FARGATE_PRICES['on-demand'])).toBeCloseTo(0.024685, 9);
  });
});
