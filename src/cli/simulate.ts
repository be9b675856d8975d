import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { renderArticleFigures } from '../simulator/article';
import {
  FARGATE_PRICES,
  PRICING_NAMES,
  fargateSizeProblem,
  money,
  taskHourly,
  type PricingName,
  type TaskSize,
} from '../simulator/cost';
import { POLICY_NAMES, type PolicyName } from '../simulator/policies';
import { compactDuration, summaryMarkdown, summaryTable } from '../simulator/report';
import { runSimulation, type SimulatorInput } from '../simulator/run';
import { renderChart } from '../simulator/svg';
import { parseArrivalsCsv, type ServiceDistribution, type WorkloadSpec } from '../simulator/workloads';
import { UsageError, action, cliContext, readGivenFile } from './context';
import { choiceOption, duration, numberFrom, wholeNumber } from './options';

const WORKLOADS = ['burst', 'steady', 'alternating', 'daily', 'csv'] as const;
const SERVICE_DISTRIBUTIONS: readonly ServiceDistribution[] = ['fixed', 'exponential', 'lognormal'];

type ScalerSettings = ReturnType<typeof cliContext>['config']['scaler'];

/** A duration option in ms whose default is shown as written (`10m`). */
const timeOption = (flags: string, description: string, def: string): Option =>
  new Option(flags, description).argParser(duration()).default(duration()(def), def);

interface SimulateOptions {
  workload: 'burst' | 'steady' | 'alternating' | 'daily' | 'csv';
  messages: number;
  /** Items a minute. */
  rate: number;
  rates: number[];
  /** Durations in ms. */
  period: number;
  perDay: number;
  csv?: string;
  duration: number;
  serviceTime: number;
  serviceDist: ServiceDistribution;
  startup: number;
  concurrency: number;
  vcpu: number;
  memory: number;
  pricing: PricingName;
  vcpuPrice?: number;
  gbPrice?: number;
  ec2Instances: number;
  ec2Hourly: number;
  policy: PolicyName;
  compare?: PolicyName[] | true;
  fixedTasks?: number;
  min?: number;
  max?: number;
  target?: number;
  scaleOutCooldown?: number;
  scaleInCooldown?: number;
  maxStep?: number;
  maxBacklogAge?: number;
  poll?: number;
  seed: number;
  chart?: string;
  json?: boolean;
  markdown?: boolean;
  decisions?: boolean;
}

/** "5/min", "300/h", "0.5/s" or a bare number per minute, as items a minute. */
function parseRate(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|min|m|h|hour))?$/.exec(raw.trim());
  if (!match) throw new InvalidArgumentError('expected a rate such as 5/min, 300/h or 0.5/s.');
  const per = { s: 60, sec: 60, min: 1, m: 1, h: 1 / 60, hour: 1 / 60 }[(match[2] ?? 'min') as 'min'];
  return Number(match[1]) * per;
}

const parseRates = (raw: string): number[] => raw.split(',').map(parseRate);

function parsePolicies(raw: string): PolicyName[] {
  const names = raw.split(',');
  const unknown = names.filter((name) => !(POLICY_NAMES as string[]).includes(name));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown policy "${unknown[0]}": use ${POLICY_NAMES.join(', ')}.`);
  return names as PolicyName[];
}

function workloadSpec(o: SimulateOptions): WorkloadSpec {
  switch (o.workload) {
    case 'burst':
      return { kind: 'burst', messages: o.messages };
    case 'steady':
      return { kind: 'steady', perMinute: o.rate, duration: o.duration };
    case 'alternating':
      return { kind: 'alternating', rates: o.rates, period: o.period, duration: o.duration };
    case 'daily':
      return { kind: 'daily', perDay: o.perDay };
    case 'csv': {
      if (!o.csv) throw new UsageError('--workload csv needs --csv <file>');
      const text = readGivenFile(o.csv, '--csv');
      let times: number[];
      try {
        times = parseArrivalsCsv(text);
      } catch (err) {
        throw new UsageError(`--csv ${o.csv}: ${(err as Error).message}`);
      }
      return { kind: 'arrivals', times, label: `arrivals from ${o.csv}` };
    }
  }
}

function policies(o: SimulateOptions): PolicyName[] {
  return o.compare === undefined ? [o.policy] : o.compare === true ? POLICY_NAMES : o.compare;
}

/**
 * The fleet's bounds, from the flags or else the scaler's settings.
 * @throws UsageError when the fewest is above the most, naming where each came from.
 */
function fleetBounds(o: SimulateOptions, scaler: ScalerSettings): { minTasks: number; maxTasks: number } {
  const minTasks = o.min ?? scaler.minTasks;
  const maxTasks = o.max ?? scaler.maxTasks;
  if (minTasks > maxTasks) {
    const min = o.min === undefined ? `EBBFLOW_SCALER_MIN_TASKS (${minTasks})` : `--min ${minTasks}`;
    const max = o.max === undefined ? `EBBFLOW_SCALER_MAX_TASKS (${maxTasks})` : `--max ${maxTasks}`;
    throw new UsageError(`${min} is above ${max}: the fewest tasks cannot exceed the most`);
  }
  return { minTasks, maxTasks };
}

/** The task size from --vcpu and --memory, refused when Fargate does not run it. */
function taskSize(o: { vcpu: number; memory: number }): TaskSize {
  const size = { vcpu: o.vcpu, memoryGb: o.memory };
  const problem = fargateSizeProblem(size);
  if (problem) throw new UsageError(`--vcpu ${o.vcpu} --memory ${o.memory}: ${problem}`);
  return size;
}

function simulatorInput(o: SimulateOptions, scaler: ScalerSettings): SimulatorInput {
  const base = FARGATE_PRICES[o.pricing];
  const { minTasks, maxTasks } = fleetBounds(o, scaler);
  return {
    workload: workloadSpec(o),
    service: { mean: o.serviceTime, distribution: o.serviceDist },
    seed: o.seed,
    policies: policies(o),
    settings: {
      targetBacklogPerTask: o.target ?? scaler.targetBacklogPerTask,
      minTasks,
      maxTasks,
      scaleOutCooldown: o.scaleOutCooldown ?? scaler.scaleOutCooldown,
      scaleInCooldown: o.scaleInCooldown ?? scaler.scaleInCooldown,
      maxStep: o.maxStep ?? scaler.maxStep,
      maxBacklogAge: o.maxBacklogAge ?? scaler.maxBacklogAge,
    },
    pollInterval: o.poll ?? scaler.pollInterval,
    fixedTasks: o.fixedTasks,
    startup: o.startup,
    concurrency: o.concurrency,
    size: taskSize(o),
    prices: { label: base.label, vcpuHour: o.vcpuPrice ?? base.vcpuHour, gbHour: o.gbPrice ?? base.gbHour },
    baseline: { label: `${o.ec2Instances} always-on instance(s)`, instances: o.ec2Instances, hourly: o.ec2Hourly },
  };
}

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a scaling policy on a workload: timeline, latency and cost, before deploying it')
    .addOption(choiceOption('--workload <kind>', 'shape of the arrivals', WORKLOADS, 'burst'))
    .option('--messages <n>', 'burst: items arriving at once', wholeNumber(1), 100)
    .addOption(
      new Option('--rate <rate>', 'steady: arrival rate (5/min, 300/h)').argParser(parseRate).default(5, '5/min'),
    )
    .addOption(
      new Option('--rates <list>', 'alternating: rates to switch between')
        .argParser(parseRates)
        .default([2, 20], '2/min,20/min'),
    )
    .addOption(timeOption('--period <duration>', 'alternating: time spent at each rate', '10m'))
    .option(
      '--per-day <n>',
      'daily: items a day on the article’s curve (heavy 6–10, moderate 10–17, spike 17–19)',
      numberFrom(1),
      10_000,
    )
    .option('--csv <file>', 'csv: arrivals, one per row (seconds or ISO time[,count])')
    .addOption(timeOption('--duration <duration>', 'steady/alternating: length of the workload', '1h'))
    .addOption(timeOption('--service-time <duration>', 'mean time one item takes on one task', '2m'))
    .addOption(choiceOption('--service-dist <dist>', 'how service times vary', SERVICE_DISTRIBUTIONS, 'fixed'))
    .addOption(timeOption('--startup <duration>', 'task start-up latency (Fargate: about a minute)', '60s'))
    .option('--concurrency <n>', 'items one task works on at once', numberFrom(1), 1)
    .option('--vcpu <n>', 'task vCPU', numberFrom(0.25), 0.5)
    .option('--memory <gb>', 'task memory, GB', numberFrom(0.5), 1)
    .addOption(choiceOption('--pricing <name>', 'Fargate prices', PRICING_NAMES, 'on-demand'))
    .option('--vcpu-price <$>', 'override: $ per vCPU-hour', numberFrom(0))
    .option('--gb-price <$>', 'override: $ per GB-hour', numberFrom(0))
    .option('--ec2-instances <n>', 'always-on baseline: instances', numberFrom(0), 2)
    .option(
      '--ec2-hourly <$>',
      'always-on baseline: $ per instance-hour (article: 2 × t3.medium for $73/month)',
      numberFrom(0),
      0.05,
    )
    .addOption(choiceOption('--policy <name>', 'the scaling policy', POLICY_NAMES, 'ebbflow'))
    .option('--compare [list]', 'run several policies on the same workload (default: all)', parsePolicies)
    .option('--fixed-tasks <n>', 'fixed policy: fleet size (default: --max)', numberFrom(1))
    .option('--min <n>', 'fewest tasks (default: EBBFLOW_SCALER_MIN_TASKS)', numberFrom(0))
    .option('--max <n>', 'most tasks (default: EBBFLOW_SCALER_MAX_TASKS)', numberFrom(1))
    .option('--target <n>', 'backlog per task (default: EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK)', numberFrom(0.1))
    .option('--scale-out-cooldown <duration>', 'default: EBBFLOW_SCALER_SCALE_OUT_COOLDOWN', duration())
    .option('--scale-in-cooldown <duration>', 'default: EBBFLOW_SCALER_SCALE_IN_COOLDOWN', duration())
    .option('--max-step <n>', 'largest change in one decision', numberFrom(1))
    .option('--max-backlog-age <duration>', 'scale out when the oldest item waits longer', duration())
    .option('--poll <duration>', 'ebbflow poll interval (default: EBBFLOW_SCALER_POLL_INTERVAL)', duration())
    .option('--seed <n>', 'random seed: the same seed gives the same run', numberFrom(0), 1)
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
    .option('--vcpu <n>', 'task vCPU', numberFrom(0.25), 0.5)
    .option('--memory <gb>', 'task memory, GB', numberFrom(0.5), 1)
    .option('--minutes <n>', 'minutes one run takes', numberFrom(0), 4)
    .option('--runs <n>', 'runs a month', numberFrom(0), 30)
    .addOption(choiceOption('--pricing <name>', 'Fargate prices', PRICING_NAMES, 'on-demand'))
    .option('--markdown', 'print the article checks as a Markdown table')
    .action(
      action(
        async (opts: {
          vcpu: number;
          memory: number;
          minutes: number;
          runs: number;
          pricing: PricingName;
          markdown?: boolean;
        }) => {
          const prices = FARGATE_PRICES[opts.pricing];
          const size = taskSize(opts);
          const { minutes, runs } = opts;
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
