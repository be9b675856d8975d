/**
 * The reference article's cost figures, recomputed with its own prices, and the places where its assumptions
 * contradict each other. `ebbflow cost` prints this; the tests pin every figure to the cent.
 */
import { ARTICLE_TASK, FARGATE_PRICES, cents, money, taskHourly } from './cost';

interface ArticleFigure {
  /** What the article says, quoted or closely paraphrased. */
  claim: string;
  /** The article's number. */
  article: number;
  /** The same quantity recomputed; equal to `article` when the article is right. */
  recomputed: number;
  unit: '$' | 'h' | 'tasks' | '%' | 'min';
  /** Why the numbers differ, or why the claim does not hold. */
  note: string;
}

const hourly = taskHourly(ARTICLE_TASK, FARGATE_PRICES['on-demand']); // 0.024685

/** Pattern 1: the daily sales report (0.5 vCPU, 1 GB, 4 minutes). */
export function reportRunCost(): { exact: number; articleRounding: number } {
  return { exact: hourly * (4 / 60), articleRounding: hourly * 0.067 };
}

/** Pattern 2: 10,000 images a day at 2 minutes each. */
const IMAGES_PER_DAY = 10_000;
const MINUTES_PER_IMAGE = 2;

export function articleFigures(): ArticleFigure[] {
  const run = reportRunCost();
  const workHours = (IMAGES_PER_DAY * MINUTES_PER_IMAGE) / 60; // 333.33
  const peak = 8 * 6 * hourly;
  const offPeak = 16 * 1.5 * hourly;
  const paidTaskHours = 8 * 6 + 16 * 1.5; // 72
  const monthlyTotal = cents(cents(peak) + cents(offPeak)) * 30 + 0.12 + 5 + 2 + 1;
  return [
    {
      claim: 'Fargate task of 0.5 vCPU and 1 GB costs $0.024685 an hour',
      article: 0.024685,
      recomputed: hourly,
      unit: '$',
      note: 'correct: 0.5 × $0.04048 + 1 × $0.004445',
    },
    {
      claim: 'daily report: 4 minutes = 0.067 hours, cost per run = $0.0017',
      article: 0.0017,
      recomputed: run.exact,
      unit: '$',
      note: `4 minutes is 0.0667 h, so a run costs ${money(run.exact)}; rounding the hours up to 0.067 gives the article’s $0.0017`,
    },
    {
      claim: 'daily report: monthly cost (30 days) $0.051',
      article: 0.051,
      recomputed: run.exact * 30,
      unit: '$',
      note: 'the same rounding, times 30; either way a few cents a month',
    },
    {
      claim: 'daily report: $15 a month for a t3.small against ~$1.55, "a 90% cost reduction", "$162 saved" a year',
      article: 162,
      recomputed: (15 - 1.55) * 12,
      unit: '$',
      note: '89.7 % and $161.40 a year: the rounding is generous but the claim holds',
    },
    {
      claim: 'images: 10,000 × 2 minutes = 333 task-hours a day, $8.22 a day',
      article: 8.22,
      recomputed: workHours * hourly,
      unit: '$',
      note: `20,000 minutes is 333.33 h, so ${money(workHours * hourly)} a day and ${money(workHours * hourly * 30)} a month (article: 333 h, $246.60)`,
    },
    {
      claim: '"average load: 333 task-hours / 24 hours = 13.9 task-hours on average"',
      article: 13.9,
      recomputed: workHours / 24,
      unit: 'tasks',
      note: 'that is 13.9 tasks busy at every moment of the day, more than the 10-task maximum of the article’s own autoscaling setup: 10 tasks × 24 h = 240 task-hours cannot do 333 task-hours of work',
    },
    {
      claim:
        '"more realistic": peak 8 h × 6 tasks ($1.18) + off-peak 16 h × 1.5 tasks ($0.59) = $1.77 a day, $53.10 a month',
      article: 1.77,
      recomputed: peak + offPeak,
      unit: '$',
      note: `the arithmetic holds (${money(peak)} + ${money(offPeak)}), but it pays for ${paidTaskHours} task-hours a day while the work needs ${workHours.toFixed(1)}: only ${Math.round((paidTaskHours / workHours) * 100)} % of the images could be processed. Scaling changes when tasks run, not how many task-hours the work takes; the floor is ${money(workHours * hourly)} a day`,
    },
    {
      claim: 'peak load of "6 images/minute" handled by 6 tasks',
      article: 6,
      recomputed: 6 * MINUTES_PER_IMAGE,
      unit: 'tasks',
      note: 'at 2 minutes an image, 6 images a minute keep 12 tasks busy (Little’s law); and 10,000 a day is already 6.9 a minute on average, so 6 a minute cannot be the peak',
    },
    {
      claim: 'total monthly cost ~$61 (compute $53.10 + SQS $0.12 + S3 $5 + logs $2 + transfer $1)',
      article: 61,
      recomputed: monthlyTotal,
      unit: '$',
      note: 'the sum is right; with the compute the work really needs it is about $255',
    },
    {
      claim: 'SQS: 300,000 messages a month = $0.12',
      article: 0.12,
      recomputed: (300_000 * 3 * 0.4) / 1_000_000,
      unit: '$',
      note: 'each message takes at least three requests (send, receive, delete): 900,000 requests, $0.36 at $0.40 per million, all inside the 1 M free requests a month',
    },
    {
      claim: '"Savings: $65/month (52% reduction with reserved instances, or 107% vs on-demand)"',
      article: 52,
      recomputed: ((90 - 61) / 90) * 100,
      unit: '%',
      note: 'against reserved ($90) the saving is $29, 32 %; $65 is the saving against on-demand ($126), 52 %; "107 %" is $65 divided by the new $61 bill, not a reduction',
    },
    {
      claim: 'burst test: 100 images on 10 tasks "processed in 3.5 minutes"',
      article: 3.5,
      recomputed: (100 * MINUTES_PER_IMAGE) / 10,
      unit: 'min',
      note: 'at 2 minutes an image, 10 tasks need at least 20 minutes for 100 images; 3.5 minutes implies about 21 s an image',
    },
    {
      claim: 'burst test: "within 90 seconds, scaled to 10 tasks"',
      article: 1.5,
      recomputed: 3 + 1,
      unit: 'min',
      note: 'target tracking’s scale-out alarm needs 3 one-minute datapoints above target before it acts, then Fargate takes about a minute to start a task: 4 minutes at best (see ebbflow simulate --compare)',
    },
    {
      claim: 'steady test: 5 messages a minute, "service maintained 1 task", "average latency 2 minutes"',
      article: 1,
      recomputed: 5 * MINUTES_PER_IMAGE,
      unit: 'tasks',
      note: 'one task finishes one 2-minute image at a time, 0.5 a minute: 5 a minute need 10 busy tasks or the queue grows without bound',
    },
    {
      claim: 'variable test: 2/min ↔ 20/min, "scaled between 1–4 tasks", "no message backlog"',
      article: 4,
      recomputed: 20 * MINUTES_PER_IMAGE,
      unit: 'tasks',
      note: '20 images a minute at 2 minutes each keep 40 tasks busy; with at most 4 a backlog is certain',
    },
  ];
}

const show = (value: number, unit: ArticleFigure['unit']): string => {
  switch (unit) {
    case '$':
      return value < 0.01 ? `$${value.toFixed(4)}` : value < 0.1 ? `$${value.toFixed(6)}` : money(value);
    case 'h':
      return `${value.toFixed(1)} h`;
    case 'tasks':
      return `${Number.isInteger(value) ? value : value.toFixed(1)} task${value === 1 ? '' : 's'}`;
    case '%':
      return `${Math.round(value)} %`;
    case 'min':
      return `${Number.isInteger(value) ? value : value.toFixed(1)} min`;
  }
};

/** The checks as text for a terminal or as Markdown. */
export function renderArticleFigures(format: 'text' | 'markdown'): string {
  const figures = articleFigures();
  if (format === 'markdown') {
    return [
      '| Article says | Article | Recomputed | Why |',
      '| --- | ---: | ---: | --- |',
      ...figures.map((f) => `| ${f.claim} | ${show(f.article, f.unit)} | ${show(f.recomputed, f.unit)} | ${f.note} |`),
    ].join('\n');
  }
  return figures
    .map(
      (f, i) =>
        `${i + 1}. ${f.claim}\n   article ${show(f.article, f.unit)} · recomputed ${show(f.recomputed, f.unit)}\n   ${f.note}`,
    )
    .join('\n\n');
}
