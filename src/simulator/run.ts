/** One entry point for the CLI, the benchmark and the docs: a workload, some policies, their results. */
import { DEFAULT_POLICY, validatePolicy, type PolicySettings } from '../scaling/policy';
import {
  ARTICLE_EC2_BASELINE,
  ARTICLE_TASK,
  FARGATE_PRICES,
  type Ec2Baseline,
  type FargatePrices,
  type TaskSize,
} from './cost';
import { compare, type SimulationResult } from './engine';
import { createPolicy, type PolicyName } from './policies';
import { generateWorkload, type ServiceTimeSpec, type WorkloadSpec } from './workloads';

export interface SimulatorInput {
  workload: WorkloadSpec;
  service: ServiceTimeSpec;
  seed: number;
  policies: PolicyName[];
  settings: PolicySettings;
  /** ebbflow's poll interval, ms. */
  pollInterval: number;
  fixedTasks?: number;
  startup: number;
  concurrency: number;
  size: TaskSize;
  prices: FargatePrices;
  baseline: Ec2Baseline;
}

/** The article's burst test on the article's setup: 100 messages at once, 1–10 tasks, target 5, 2-minute images. */
export const ARTICLE_BURST: SimulatorInput = {
  workload: { kind: 'burst', messages: 100 },
  service: { mean: 120_000, distribution: 'fixed' },
  seed: 1,
  policies: ['ebbflow', 'aws-target-tracking'],
  settings: { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 },
  pollInterval: 5_000,
  startup: 60_000,
  concurrency: 1,
  size: ARTICLE_TASK,
  prices: FARGATE_PRICES['on-demand'],
  baseline: ARTICLE_EC2_BASELINE,
};

export interface SimulatorOutput {
  workload: string;
  jobs: number;
  seed: number;
  results: SimulationResult[];
}

export function runSimulation(input: SimulatorInput): SimulatorOutput {
  validatePolicy(input.settings);
  const workload = generateWorkload(input.workload, input.service, input.seed);
  const options = { settings: input.settings, pollInterval: input.pollInterval, fixedTasks: input.fixedTasks };
  const results = compare(
    {
      workload,
      startup: input.startup,
      concurrency: input.concurrency,
      size: input.size,
      prices: input.prices,
      baseline: input.baseline,
    },
    () => input.policies.map((name) => createPolicy(name, options)),
  );
  return { workload: workload.label, jobs: workload.jobs.length, seed: input.seed, results };
}
