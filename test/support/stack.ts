/**
 * Helpers for integration tests: a config pointing at the servers started by the global setup, and a freshly
 * provisioned pipeline (buckets, queues, DLQ, notification) with unique names so test files never share state.
 */
import { randomUUID } from 'node:crypto';
import { createAwsClients, type AwsClients } from '../../src/aws/clients';
import { pipelineEnvironment, pipelineNames, provisionPipeline, type PipelineResources } from '../../src/aws/provision';
import { loadConfig, type EbbflowConfig } from '../../src/config';

/** A short unique name, valid for buckets, queues and task queues. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`.toLowerCase();
}

/** The test config, with environment overrides (e.g. `{ EBBFLOW_TASK_QUEUE: 'x' }`). */
export function testConfig(overrides: Record<string, string> = {}): EbbflowConfig {
  if (!process.env.TEMPORAL_ADDRESS || !process.env.AWS_ENDPOINT_URL) {
    throw new Error('integration tests need the jest global setup (run them through jest, not alone)');
  }
  return loadConfig({ ...process.env, ...overrides }, { useDevState: false });
}

export interface TestPipeline {
  config: EbbflowConfig;
  aws: AwsClients;
  resources: PipelineResources;
  /** Environment for child processes (worker, bridge) that points at this pipeline. */
  env: Record<string, string>;
}

/** Provisions a new pipeline and returns a config that uses it and a unique task queue. */
export async function createTestPipeline(prefix = 't', overrides: Record<string, string> = {}): Promise<TestPipeline> {
  const name = uniqueName(prefix);
  const base = testConfig(overrides);
  const aws = createAwsClients(base.aws);
  const resources = await provisionPipeline(aws, pipelineNames(name));
  const env: Record<string, string> = {
    EBBFLOW_TASK_QUEUE: name,
    ...pipelineEnvironment(resources),
    EBBFLOW_NOTIFICATION_TOPIC_ARN: resources.notificationTopicArn,
    ...overrides,
  };
  return { config: testConfig(env), aws, resources, env };
}

/** Polls `check` until it returns a truthy value or the deadline passes, then throws with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
