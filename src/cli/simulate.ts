import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../config';
import { renderArticleFigures } from '../simulator/article';
import { FARGATE_PRICES, money, taskHourly, type PricingName } from '../simulator/cost';
import { POLICY_NAMES, type PolicyName } from '../simulator/policies';
import { compactDuration, summaryMarkdown, summaryTable } from '../simulator/report';
import { runSimulation, type SimulatorInput } from '../simulator/run';
import { renderChart } from '../simulator/svg';
import { parseArrivalsCsv, type ServiceDistribution, type WorkloadSpec } from '../simulator/workloads';
import { UsageError, action, cliContext } from './context';

interface SimulateOptions {
  workload: string;
  messages: string;
  rate: string;
  rates: string;
  period: string;
  perDay: string;
  csv?: string;
  duration: string;
  serviceTime: string;
  serviceDist: string;
  startup: string;
  concurrency: string;
  vcpu: string;
  memory: string;
  pricing: string;
  vcpuPrice?: string;
  gbPrice?: string;
  ec2Instances: string;
  ec2Hourly: string;
  policy: string;
  compare?: string | true;
  fixedTasks?: string;
  min?: string;
  max?: string;
  target?: string;
  scaleOutCooldown?: string;
  scaleInCooldown?: string;
  maxStep?: string;
  maxBacklogAge?: string;
  poll?: string;
  seed: string;
  chart?: string;
  json?: boolean;
  markdown?: boolean;
  decisions?: boolean;
}

const number = (raw: string, flag: string, min = 0): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new UsageError(`${flag} must be a number ≥ ${min}, got "${raw}"`);
  return value;
};
const duration = (raw: string, flag: string): number => {
  try {
    return parseDuration(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
};
/** "5/min", "300/h", "0.5/s" or a bare number per minute. */
export function parseRate(raw: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|min|m|h|hour))?$/.exec(raw.trim());
  if (!match) throw new UsageError(`${flag}: expected a rate such as 5/min, 300/h or 0.5/s, got "${raw}"`);
  const per = { s: 60, sec: 60, min: 1, m: 1, h: 1 / 60, hour: 1 / 60 }[(match[2] ?? 'min') as 'min'];
  return Number(match[1]) * per;
}

function workloadSpec(o: SimulateOptions): WorkloadSpec {
  switch (o.workload) {
    case 'burst':
      return { kind: 'burst', messages: number(o.messages, '--messages', 1) };
    case 'steady':
      return { kind: 'steady', perMinute: parseRate(o.rate, '--rate'), duration: duration(o.duration, '--duration') };
    case 'alternating':
      return {
        kind: 'alternating',
        rates: o.rates.split(',').map((r) => parseRate(r, '--rates')),
        period: duration(o.period, '--period'),
        duration: duration(o.duration, '--duration'),
      };
    case 'daily':
      return { kind: 'daily', perDay: number(o.perDay, '--per-day', 1) };
    case 'csv': {
      if (!o.csv) throw new UsageError('--workload csv needs --csv <file>');
      return {
        kind: 'arrivals',
        times: parseArrivalsCsv(readFileSync(o.csv, 'utf8')),
        label: `arrivals from ${o.csv}`,
      };
    }
    default:
      throw new UsageError(`--workload must be burst, steady, alternating, daily or csv, got "${o.workload}"`);
  }
}

function policies(o: SimulateOptions): PolicyName[] {
  const names = o.compare === undefined ? [o.policy] : o.compare === true ? POLICY_NAMES : o.compare.split(',');
  for (const name of names) {
    if (!(POLICY_NAMES as string[]).includes(name)) {
      throw new UsageError(`unknown policy "${name}": use ${POLICY_NAMES.join(', ')}`);
    }
  }
  return names as PolicyName[];
}

function simulatorInput(o: SimulateOptions, scaler: ReturnType<typeof cliContext>['config']['scaler']): SimulatorInput {
  if (!(o.pricing in FARGATE_PRICES))
    throw new UsageError(`--pricing must be one of ${Object.keys(FARGATE_PRICES).join(', ')}`);
  const base = FARGATE_PRICES[o.pricing as PricingName];
  const dist = o.serviceDist as ServiceDistribution;
  if (!['fixed', 'exponential', 'lognormal'].includes(dist)) {
    throw new UsageError('--service-dist must be fixed, exponential or lognormal');
  }
  return {
    workload: workloadSpec(o),
    service: { mean: duration(o.serviceTime, '--service-time'), distribution: dist },
    seed: number(o.seed, '--seed'),
    policies: policies(o),
    settings: {
      targetBacklogPerTask: o.target ? number(o.target, '--target', 0.1) : scaler.targetBacklogPerTask,
      minTasks: o.min ? number(o.min, '--min') : scaler.minTasks,
      maxTasks: o.max ? number(o.max, '--max', 1) : scaler.maxTasks,
      scaleOutCooldown: o.scaleOutCooldown
        ? duration(o.scaleOutCooldown, '--scale-out-cooldown')
        : scaler.scaleOutCooldown,
      scaleInCooldown: o.scaleInCooldown ? duration(o.scaleInCooldown, '--scale-in-cooldown') : scaler.scaleInCooldown,
      maxStep: o.maxStep ? number(o.maxStep, '--max-step', 1) : scaler.maxStep,
      maxBacklogAge: o.maxBacklogAge ? duration(o.maxBacklogAge, '--max-backlog-age') : scaler.maxBacklogAge,
    },
    pollInterval: o.poll ? duration(o.poll, '--poll') : scaler.pollInterval,
    fixedTasks: o.fixedTasks ? number(o.fixedTasks, '--fixed-tasks', 1) : undefined,
    startup: duration(o.startup, '--startup'),
    concurrency: number(o.concurrency, '--concurrency', 1),
    size: { vcpu: number(o.vcpu, '--vcpu', 0.25), memoryGb: number(o.memory, '--memory', 0.5) },
    prices: {
      label: base.label,
      vcpuHour: o.vcpuPrice ? number(o.vcpuPrice, '--vcpu-price') : base.vcpuHour,
      gbHour: o.gbPrice ? number(o.gbPrice, '--gb-price') : base.gbHour,
    },
    baseline: {
      label: `${o.ec2Instances} always-on instance(s)`,
      instances: number(o.ec2Instances, '--ec2-instances'),
      hourly: number(o.ec2Hourly, '--ec2-hourly'),
    },
  };
}

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a scaling policy on a workload: timeline, latency and cost, before deploying it')
    .option('--workload <kind>', 'burst, steady, alternating, daily or csv', 'burst')
    .option('--messages <n>', 'burst: items arriving at once', '100')
    .option('--rate <rate>', 'steady: arrival rate (5/min, 300/h)', '5/min')
    .option('--rates <list>', 'alternating: rates to switch between', '2/min,20/min')
    .option('--period <duration>', 'alternating: time spent at each rate', '10m')
    .option(
      '--per-day <n>',
      'daily: items a day on the article’s curve (heavy 6–10, moderate 10–17, spike 17–19)',
      '10000',
    )
    .option('--csv <file>', 'csv: arrivals, one per row (seconds or ISO time[,count])')
    .option('--duration <duration>', 'steady/alternating: length of the workload', '1h')
    .option('--service-time <duration>', 'mean time one item takes on one task', '2m')
    .option('--service-dist <dist>', 'fixed, exponential or lognormal', 'fixed')
    .option('--startup <duration>', 'task start-up latency (Fargate: about a minute)', '60s')
    .option('--concurrency <n>', 'items one task works on at once', '1')
    .option('--vcpu <n>', 'task vCPU', '0.5')
    .option('--memory <gb>', 'task memory, GB', '1')
    .option('--pricing <name>', 'on-demand, spot or arm', 'on-demand')
    .option('--vcpu-price <$>', 'override: $ per vCPU-hour')
    .option('--gb-price <$>', 'override: $ per GB-hour')
    .option('--ec2-instances <n>', 'always-on baseline: instances', '2')
    .option(
      '--ec2-hourly <$>',
      'always-on baseline: $ per instance-hour (article: 2 × t3.medium for $73/month)',
      '0.05',
    )
    .option('--policy <name>', `one of ${POLICY_NAMES.join(', ')}`, 'ebbflow')
    .option('--compare [list]', 'run several policies on the same workload (default: all)')
    .option('--fixed-tasks <n>', 'fixed policy: fleet size (default: --max)')
    .option('--min <n>', 'fewest tasks (default: EBBFLOW_SCALER_MIN_TASKS)')
    .option('--max <n>', 'most tasks (default: EBBFLOW_SCALER_MAX_TASKS)')
    .option('--target <n>', 'backlog per task (default: EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK)')
    .option('--scale-out-cooldown <duration>', 'default: EBBFLOW_SCALER_SCALE_OUT_COOLDOWN')
    .option('--scale-in-cooldown <duration>', 'default: EBBFLOW_SCALER_SCALE_IN_COOLDOWN')
    .option('--max-step <n>', 'largest change in one decision')
    .option('--max-backlog-age <duration>', 'scale out when the oldest item waits longer')
    .option('--poll <duration>', 'ebbflow poll interval (default: EBBFLOW_SCALER_POLL_INTERVAL)')
    .option('--seed <n>', 'random seed: the same seed gives the same run', '1')
    .option('--chart <file.svg>', 'write a chart of queue depth, desired and running tasks')
    .option('--json', 'print the full results as JSON')
    .option('--markdown', 'print the summary as a Markdown table (the docs’ tables are made this way)')
    .option('--decisions', 'print every scaling decision with its reason')
    .action(
      action(async (opts: SimulateOptions) => {
        const { config } = cliContext('simulate');
        const input = simulatorInput(opts, config.scaler);
        const out = runSimulation(input);
        if (opts.chart) writeFileSync(opts.chart, renderChart(out.results, `${out.workload} — ${input.prices.label}`));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ input, ...out }, null, 2) + '\n');
          return;
        }
        if (opts.markdown) {
          process.stdout.write(summaryMarkdown(out.results) + '\n');
          return;
        }
        const s = input.settings;
        const lines = [
          `workload  ${out.workload}: ${out.jobs} items, ${compactDuration(input.service.mean)} each (${input.service.distribution}), seed ${out.seed}`,
          `fleet     ${s.minTasks}–${s.maxTasks} tasks of ${input.size.vcpu} vCPU / ${input.size.memoryGb} GB, start-up ${compactDuration(input.startup)}, ` +
            `$${taskHourly(input.size, input.prices).toFixed(6)}/task-hour (${input.prices.label})`,
          `policy    target ${s.targetBacklogPerTask} per task, cooldowns out ${compactDuration(s.scaleOutCooldown)} / in ${compactDuration(s.scaleInCooldown)}`,
          '',
          summaryTable(out.results),
          '',
          'times are from the first arrival; "drain" is when the last item finished; cost is billed over the same span for every policy',
        ];
        for (const r of out.results.filter((x) => x.drainTime === undefined)) {
          lines.push(
            r.policy === 'aws-target-tracking' && r.scalingActions === 0 && s.minTasks === 0
              ? `${r.policy} never started: its metric (visible ÷ running tasks) has no value at 0 tasks, so its alarms never fire; compare with --min 1`
              : `${r.policy} left ${r.jobs - r.completed} of ${r.jobs} items undone: the fleet is too small for this workload (try a larger --max)`,
          );
        }
        if (opts.decisions) {
          for (const r of out.results) {
            lines.push('', `${r.policy} decisions:`);
            for (const d of r.decisions)
              lines.push(`  ${compactDuration(d.at).padStart(7)}  ${d.from} → ${d.to}  ${d.reason}`);
          }
        }
        if (opts.chart) lines.push(`chart written to ${opts.chart}`);
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );

  program
    .command('cost')
    .description('Fargate cost of a task, and the reference article’s figures recomputed with their contradictions')
    .option('--vcpu <n>', 'task vCPU', '0.5')
    .option('--memory <gb>', 'task memory, GB', '1')
    .option('--minutes <n>', 'minutes one run takes', '4')
    .option('--runs <n>', 'runs a month', '30')
    .option('--pricing <name>', 'on-demand, spot or arm', 'on-demand')
    .option('--markdown', 'print the article checks as a Markdown table')
    .action(
      action(
        async (opts: {
          vcpu: string;
          memory: string;
          minutes: string;
          runs: string;
          pricing: string;
          markdown?: boolean;
        }) => {
          if (!(opts.pricing in FARGATE_PRICES))
            throw new UsageError(`--pricing must be one of ${Object.keys(FARGATE_PRICES).join(', ')}`);
          const prices = FARGATE_PRICES[opts.pricing as PricingName];
          const size = { vcpu: number(opts.vcpu, '--vcpu', 0.25), memoryGb: number(opts.memory, '--memory', 0.5) };
          const minutes = number(opts.minutes, '--minutes');
          const runs = number(opts.runs, '--runs');
          const hourly = taskHourly(size, prices);
          const perRun = (hourly * Math.max(1, minutes)) / 60; // Fargate bills at least one minute
          const lines = [
            `${size.vcpu} vCPU, ${size.memoryGb} GB on ${prices.label}: $${hourly.toFixed(6)} a task-hour`,
            `one run of ${minutes} min: ${money(perRun)}; ${runs} runs a month: ${money(perRun * runs)}`,
            '',
            'The reference article’s figures, recomputed:',
            '',
            renderArticleFigures(opts.markdown ? 'markdown' : 'text'),
          ];
          process.stdout.write(lines.join('\n') + '\n');
        },
      ),
    );
}
