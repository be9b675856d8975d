/**
 * The retry loop of etlSourceWorkflow on the time-skipping test server, with a fake activity: backoff waits take no
 * real time, and every attempt's outcome is chosen by the test.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { LoadEtlSourceInput } from '../../../activities/etl';
import type { EtlLoadResult, EtlSourceInput, EtlSourceResult } from '../../../src/common/etl-types';
import { createTimeSkippingEnv } from '../../support/time-skipping';

type Behaviour = (attempt: number) => EtlLoadResult;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const behaviours = new Map<string, Behaviour>();
const calls = new Map<string, LoadEtlSourceInput[]>();
const taskQueue = 'etl-source-retries';
const loaded: EtlLoadResult = {
  rowsRead: 10,
  rowsWritten: 9,
  rowsRejected: 1,
  rejectReasons: { 'id: missing': 1 },
  files: 1,
};

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../../workflows'),
    activities: {
      async loadEtlSource(input: LoadEtlSourceInput): Promise<EtlLoadResult> {
        calls.set(input.name, [...(calls.get(input.name) ?? []), input]);
        return behaviours.get(input.name)!(input.attempt);
      },
    },
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

function run(name: string, behaviour: Behaviour, maxAttempts = 3): Promise<EtlSourceResult> {
  behaviours.set(name, behaviour);
  const input: EtlSourceInput = {
    index: 0,
    name,
    date: '2025-01-01',
    definition: { name, location: 'x/', format: 'csv', table: 't', key: ['id'], schema: { id: 'integer' } },
    maxAttempts,
    retryInitialIntervalMs: 60_000,
    heartbeatTimeoutMs: 60_000,
    attemptTimeoutMs: 3_600_000,
  };
  return env.client.workflow.execute('etlSourceWorkflow', { taskQueue, workflowId: `src-${name}`, args: [input] });
}

async function failureOf(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as unknown as { message: string; type?: string; details?: unknown[] };
}

describe('etlSourceWorkflow retries', () => {
  it('retries transient failures with backoff and reports the attempts and why they failed', async () => {
    const result = await run('flaky', (attempt) => {
      if (attempt < 3) throw new Error(`socket hang up #${attempt}`);
      return loaded;
    });
    expect(result).toMatchObject({ attempts: 3, rowsWritten: 9, rejectReasons: { 'id: missing': 1 } });
    expect(result.retries).toEqual(['attempt 1: socket hang up #1', 'attempt 2: socket hang up #2']);
    // Every attempt loads under the same scope, so a later attempt resumes the earlier one's checkpoint.
    const scopes = new Set(calls.get('flaky')!.map((c) => c.scope));
    expect(scopes.size).toBe(1);
    expect([...scopes][0]).toMatch(/^src-flaky@/);
  });

  it('stops at the first permanent failure, keeping its type', async () => {
    const cause = await failureOf(
      run('broken', () => {
        throw ApplicationFailure.nonRetryable('header lacks amount', 'EtlSchemaMismatchError');
      }),
    );
    expect(cause.type).toBe('EtlSchemaMismatchError');
    expect(cause.message).toBe('header lacks amount');
    expect(cause.details?.[0]).toEqual({ attempts: 1, permanent: true, retries: [] });
    expect(calls.get('broken')).toHaveLength(1);
  });

  it('gives up after maxAttempts transient failures', async () => {
    const cause = await failureOf(
      run(
        'down',
        () => {
          throw new Error('warehouse unreachable');
        },
        4,
      ),
    );
    expect(cause.message).toBe('warehouse unreachable');
    expect(cause.details?.[0]).toMatchObject({ attempts: 4, permanent: false });
    expect(calls.get('down')).toHaveLength(4);
  });

  it('doubles the wait between attempts up to ten minutes, however many attempts are allowed', async () => {
    await failureOf(
      run(
        'patient',
        () => {
          throw new Error('warehouse unreachable');
        },
        12,
      ),
    );
    const history = await env.client.workflow.getHandle('src-patient').fetchHistory();
    const waits = (history.events ?? [])
      .map((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds)
      .filter((seconds) => seconds !== undefined && seconds !== null)
      .map(Number);
    // From one minute: 1, 2, 4, 8 minutes, then ten for each of the seven waits left.
    expect(waits).toEqual([60, 120, 240, 480, ...Array<number>(7).fill(600)]);
  });
});
