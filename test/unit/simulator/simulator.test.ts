import { percentile } from '../../../src/common/stats';
import { DEFAULT_POLICY } from '../../../src/scaling/policy';
import { ARTICLE_BURST, runSimulation } from '../../../src/simulator/run';
import { generateWorkload, parseArrivalsCsv } from '../../../src/simulator/workloads';
import { summaryTable } from '../../../src/simulator/report';
import { renderChart } from '../../../src/simulator/svg';

const MIN = 60_000;

describe('simulator', () => {
  test('the same seed gives the same output, a different seed a different one', () => {
    const input = {
      ...ARTICLE_BURST,
      workload: { kind: 'alternating' as const, rates: [2, 20], period: 10 * MIN, duration: 60 * MIN },
      service: { mean: 20_000, distribution: 'lognormal' as const },
      policies: ['ebbflow' as const, 'aws-target-tracking' as const, 'fixed' as const],
      seed: 42,
    };
    const a = runSimulation(input);
    const b = runSimulation(input);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(renderChart(a.results, a.workload)).toBe(renderChart(b.results, b.workload));
    const c = runSimulation({ ...input, seed: 43 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  test('short items that drain between polls: a backlog-only KEDA waits longer than ebbflow and costs more', () => {
    // The workload of docs/scaling.md: 24 items a minute, 10 s each, 0–10 tasks.
    const { results } = runSimulation({
      ...ARTICLE_BURST,
      workload: { kind: 'steady', perMinute: 24, duration: 120 * MIN },
      service: { mean: 10_000, distribution: 'exponential' },
      settings: { ...DEFAULT_POLICY, minTasks: 0, maxTasks: 10 },
      policies: ['ebbflow', 'keda', 'keda-sqs'],
    });
    const [ebbflow, keda, kedaSqs] = results;
    for (const r of results) expect(r.completed).toBe(r.jobs);
    expect(keda!.timeToFirstScaleOut).toBeGreaterThanOrEqual(15_000); // the HPA syncs every 15 s, KEDA polls every 30 s
    expect(keda!.waitP50).toBeGreaterThan(2 * ebbflow!.waitP50);
    expect(keda!.cost).toBeGreaterThan(ebbflow!.cost);
    // Counting items in flight helps KEDA, but its windows still keep more tasks than the work needs.
    expect(kedaSqs!.waitP50).toBeLessThan(keda!.waitP50);
    expect(kedaSqs!.taskHours).toBeGreaterThan(ebbflow!.taskHours);
  });

  test('the article’s burst: ebbflow decides within 10 s, AWS target tracking waits for 3 datapoints', () => {
    const { results } = runSimulation({ ...ARTICLE_BURST, policies: ['ebbflow', 'aws-target-tracking', 'fixed'] });
    const [ebbflow, aws, fixed] = results;
    expect(ebbflow!.timeToFirstScaleOut).toBeLessThanOrEqual(10_000);
    expect(aws!.timeToFirstScaleOut).toBeGreaterThanOrEqual(2 * MIN);
    // Full capacity needs the 60 s Fargate start-up on top of the decision.
    expect(ebbflow!.timeToFullCapacity).toBeLessThan(aws!.timeToFullCapacity!);
    expect(ebbflow!.timeToFullCapacity).toBeGreaterThanOrEqual(60_000);
    for (const r of results) {
      expect(r.completed).toBe(100);
      expect(r.peakTasks).toBe(10);
    }
    // 100 two-minute images on at most 10 tasks cannot finish in under 20 minutes (the article says 3.5).
    expect(fixed!.drainTime).toBe(20 * MIN);
    expect(ebbflow!.drainTime).toBeGreaterThanOrEqual(20 * MIN);
    // Billed over the same span, scaling is cheaper than 10 tasks always on.
    expect(ebbflow!.span).toBe(fixed!.span);
    expect(ebbflow!.cost).toBeLessThan(fixed!.cost);
    expect(summaryTable(results)).toMatch(/^policy\s+first scale-out/);
  });

  test('AWS target tracking never leaves 0 tasks: its metric divides by the running count', () => {
    const { results } = runSimulation({
      ...ARTICLE_BURST,
      settings: { ...DEFAULT_POLICY, minTasks: 0, maxTasks: 10 },
      workload: { kind: 'burst', messages: 10 },
    });
    const [ebbflow, aws] = results;
    expect(ebbflow!.completed).toBe(10);
    expect(ebbflow!.returnToFloor).toBeDefined();
    expect(aws!.completed).toBe(0);
    expect(aws!.drainTime).toBeUndefined();
    expect(aws!.scalingActions).toBe(0);
    // The stuck policy is billed over the span the working one needed, not until the simulator gives up.
    expect(aws!.span).toBe(ebbflow!.span);
    expect(ebbflow!.span).toBeLessThan(60 * MIN);
  });

  test('no flapping on alternating 2/min ↔ 20/min: no reversal inside a cooldown', () => {
    const { results } = runSimulation({
      ...ARTICLE_BURST,
      workload: { kind: 'alternating', rates: [2, 20], period: 10 * MIN, duration: 2 * 60 * MIN },
      service: { mean: 20_000, distribution: 'exponential' },
      policies: ['ebbflow'],
    });
    const decisions = results[0]!.decisions;
    expect(decisions.length).toBeGreaterThan(1);
    for (let i = 1; i < decisions.length; i++) {
      const [a, b] = [decisions[i - 1]!, decisions[i]!];
      const up = (d: typeof a) => d.to > d.from;
      if (up(a) === up(b)) continue;
      const cooldown = up(b) ? DEFAULT_POLICY.scaleOutCooldown : DEFAULT_POLICY.scaleInCooldown;
      expect(b.at - a.at).toBeGreaterThanOrEqual(cooldown);
    }
  });

  test('the daily curve puts the requested number of items in a day, most in the daytime', () => {
    const w = generateWorkload({ kind: 'daily', perDay: 10_000 }, { mean: 1000, distribution: 'fixed' }, 7);
    expect(w.jobs.length).toBeGreaterThan(9_700);
    expect(w.jobs.length).toBeLessThan(10_300);
    const night = w.jobs.filter((j) => j.arrivalAt < 6 * 60 * MIN).length;
    expect(night / w.jobs.length).toBeLessThan(0.05);
  });

  test('CSV arrivals: seconds or ISO timestamps, optional counts, header skipped', () => {
    expect(parseArrivalsCsv('time,count\n0,2\n1.5\n')).toEqual([0, 0, 1500]);
    expect(parseArrivalsCsv('2026-01-01T00:00:00Z\n2026-01-01T00:01:00Z,3')).toEqual([0, 60_000, 60_000, 60_000]);
    expect(() => parseArrivalsCsv('0\nsoon')).toThrow(/line 2/);
  });

  test('the chart is an SVG with one panel per policy', () => {
    const { results } = runSimulation(ARTICLE_BURST);
    const svg = renderChart(results, 'burst');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/stroke-dasharray="6 3"\/>/g)?.length).toBeGreaterThanOrEqual(2);
    expect(svg).toContain('aws-target-tracking');
  });
});

describe('percentile', () => {
  test('nearest rank, 0 for no values', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 95)).toBe(10);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([], 95)).toBe(0);
  });
});
