/**
 * Retry, timeout and dead-letter paths of processImageWorkflow on the time-skipping test server, with fake
 * activities: backoff waits and timeouts take no real time.
 */
import { Context, ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { DeadLetterInput } from '../../../activities/dead-letter';
import { parseMessage } from '../../../src/bridge/messages';
import type { ProcessImageInput, ProcessImageResult, ResizeImageInput } from '../../../src/common/image-variants';
import { createTimeSkippingEnv } from '../../support/time-skipping';

type Behaviour = (attempt: number) => Promise<ProcessImageResult>;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const behaviours = new Map<string, Behaviour>();
const resizeCalls = new Map<string, ResizeImageInput[]>();
const deadLetters: DeadLetterInput[] = [];
const taskQueue = 'image-retries';

const ok = (key: string): ProcessImageResult => ({
  source: { bucket: 'in', key, bytes: 10, width: 10, height: 10, format: 'jpeg' },
  variants: [
    { variant: 'thumbnail', bucket: 'out', key: `processed/thumbnail/${key}`, width: 10, height: 10, bytes: 5 },
  ],
});

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('../../../workflows'),
    activities: {
      async resizeImage(input: ResizeImageInput): Promise<ProcessImageResult> {
        resizeCalls.set(input.key, [...(resizeCalls.get(input.key) ?? []), input]);
        ranLocally.set(input.key, Context.current().info.isLocal);
        return behaviours.get(input.key)!(Context.current().info.attempt);
      },
      async sendToDeadLetterQueue(letter: DeadLetterInput): Promise<{ messageId: string }> {
        if (letter.body.includes('unreachable-dlq')) throw new Error('EBBFLOW_DLQ_URL is not set');
        deadLetters.push(letter);
        return { messageId: String(deadLetters.length) };
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

const ranLocally = new Map<string, boolean>();

async function runImage(key: string, behaviour: Behaviour, extra: Partial<ProcessImageInput> = {}) {
  behaviours.set(key, behaviour);
  const input: ProcessImageInput = { bucket: 'in', key, searchAttributes: false, ...extra };
  return env.client.workflow.execute('processImageWorkflow', {
    taskQueue,
    workflowId: `retries-${key}`,
    args: [input],
  }) as Promise<ProcessImageResult>;
}

async function failureOf(promise: Promise<unknown>): Promise<{ message: string; type?: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as unknown as { message: string; type?: string };
}

const letterFor = (key: string) => deadLetters.filter((l) => l.workflowId === `retries-${key}`);

// Each path runs twice: as a regular activity (size unknown, as when started by hand) and as a local one (a small
// original whose size the bridge passed on).
describe.each([
  { mode: 'activity', prefix: '', size: {} },
  // Local retries wait in real time on the worker, not on the server's skipped clock: shorter backoff.
  { mode: 'local activity', prefix: 'local-', size: { sizeBytes: 4096, initialRetryIntervalMs: 100 } },
])('processImageWorkflow retries, resize as a $mode', ({ mode, prefix, size }) => {
  const k = (name: string): string => `${prefix}${name}`;
  const run = (key: string, behaviour: Behaviour, extra: Partial<ProcessImageInput> = {}) =>
    runImage(key, behaviour, { ...size, ...extra });

  it('retries a transient failure and succeeds, with the default variants and nothing in the DLQ', async () => {
    const result = await run(k('transient.jpg'), async (attempt) => {
      if (attempt < 3) throw new Error('S3 is having a moment');
      return ok(k('transient.jpg'));
    });
    expect(result).toEqual(ok(k('transient.jpg')));
    const calls = resizeCalls.get(k('transient.jpg'))!;
    expect(calls).toHaveLength(3);
    expect(calls[0]!.variants.map((v) => v.name)).toEqual(['thumbnail', 'medium', 'large']);
    expect(letterFor(k('transient.jpg'))).toEqual([]);
    expect(ranLocally.get(k('transient.jpg'))).toBe(mode === 'local activity');
  });

  it('does not retry a permanent failure: one attempt, one dead letter with the reason, the workflow fails', async () => {
    const failure = await failureOf(
      run(
        k('corrupt.jpg'),
        async (attempt) => {
          throw ApplicationFailure.create({
            message: 'the jpeg image data is damaged',
            type: 'CorruptImageError',
            nonRetryable: true,
            details: [{ attempt }],
          });
        },
        { message: '{"original":"sqs body"}' },
      ),
    );
    expect(failure).toMatchObject({ message: 'the jpeg image data is damaged', type: 'CorruptImageError' });
    expect(resizeCalls.get(k('corrupt.jpg'))).toHaveLength(1);
    expect(letterFor(k('corrupt.jpg'))).toEqual([
      {
        body: '{"original":"sqs body"}',
        reason: 'the jpeg image data is damaged',
        errorType: 'CorruptImageError',
        workflowId: `retries-${k('corrupt.jpg')}`,
        attempts: 1,
      },
    ]);
  });

  it('treats an image error type as permanent even when the activity forgot to say so', async () => {
    const failure = await failureOf(
      run(k('bomb.png'), async () => {
        throw ApplicationFailure.create({ message: 'too many pixels', type: 'DecompressionBombError' });
      }),
    );
    expect(failure.type).toBe('DecompressionBombError');
    expect(resizeCalls.get(k('bomb.png'))).toHaveLength(1);
  });

  it('honours maxAttempts, then dead-letters an envelope of the input the bridge can start again', async () => {
    const failure = await failureOf(
      run(
        k('flaky.jpg'),
        async (attempt) => {
          throw ApplicationFailure.create({
            message: `S3 down (attempt ${attempt})`,
            type: 'S3ServiceException',
            details: [{ attempt }],
          });
        },
        { maxAttempts: 5 },
      ),
    );
    expect(resizeCalls.get(k('flaky.jpg'))).toHaveLength(5);
    expect(failure).toMatchObject({ message: 'S3 down (attempt 5)', type: 'S3ServiceException' });
    const [letter] = letterFor(k('flaky.jpg'));
    expect(letter).toMatchObject({ errorType: 'S3ServiceException', attempts: 5 });
    expect(JSON.parse(letter!.body)).toMatchObject({
      workflow: 'processImageWorkflow',
      id: `retries-${k('flaky.jpg')}`,
      input: { bucket: 'in', key: k('flaky.jpg'), maxAttempts: 5 },
    });
    // As the bridge reads it when the letter is redriven: one start of the image workflow with that input.
    const parsed = parseMessage(letter!.body);
    expect(parsed).toMatchObject({
      kind: 'items',
      items: [{ kind: 'envelope', workflow: 'processImageWorkflow', input: { bucket: 'in', key: k('flaky.jpg') } }],
    });
  });

  it('times out a hung attempt, retries it up to maxAttempts, then dead-letters a Timeout', async () => {
    const failure = await failureOf(
      run(
        k('hung.jpg'),
        async () => {
          const ctx = Context.current();
          for (;;) {
            await ctx.sleep(50); // rejects once the attempt is cancelled after its timeout
          }
        },
        { maxAttempts: 2, activityTimeoutMs: 1000 },
      ),
    );
    expect(failure.type).toBe('Timeout');
    expect(resizeCalls.get(k('hung.jpg'))).toHaveLength(2);
    expect(letterFor(k('hung.jpg'))).toEqual([expect.objectContaining({ errorType: 'Timeout', attempts: 2 })]);
  });

  it('dead-letters malformed input without calling the activity', async () => {
    const failure = await failureOf(run(k('bad-variants.jpg'), async () => ok('x'), { variants: ['gigantic'] }));
    expect(failure).toMatchObject({ type: 'InvalidImageInputError', message: expect.stringMatching(/gigantic/) });
    expect(resizeCalls.has(k('bad-variants.jpg'))).toBe(false);
    expect(letterFor(k('bad-variants.jpg'))).toEqual([
      expect.objectContaining({ errorType: 'InvalidImageInputError' }),
    ]);
  });

  it('dead-letters a fractional attempt count, which Temporal would refuse on every workflow task', async () => {
    const failure = await failureOf(run(k('half-attempt.jpg'), async () => ok('x'), { maxAttempts: 2.5 }));
    expect(failure).toMatchObject({
      type: 'InvalidImageInputError',
      message: expect.stringContaining('maxAttempts must be a whole number from 1 to 20, got 2.5'),
    });
    expect(resizeCalls.has(k('half-attempt.jpg'))).toBe(false);
  });

  it('still fails with the reason, and says so, when the DLQ cannot be reached', async () => {
    const failure = await failureOf(
      run(
        k('no-dlq.jpg'),
        async () => {
          throw ApplicationFailure.create({ message: 'empty', type: 'EmptyImageError', nonRetryable: true });
        },
        { message: 'unreachable-dlq' },
      ),
    );
    expect(failure).toMatchObject({
      type: 'EmptyImageError',
      message: 'empty (not dead-lettered: EBBFLOW_DLQ_URL is not set)',
    });
  });
});

describe('processImageWorkflow: where the resize runs', () => {
  const localFor = async (key: string, extra: Partial<ProcessImageInput>): Promise<boolean | undefined> => {
    await runImage(key, async () => ok(key), extra);
    return ranLocally.get(key);
  };

  it('runs a small original of known size locally, up to localActivityMaxBytes inclusive', async () => {
    expect(await localFor('at-limit.jpg', { sizeBytes: 1000, localActivityMaxBytes: 1000 })).toBe(true);
    expect(await localFor('default-limit.jpg', { sizeBytes: 8 * 1024 * 1024 })).toBe(true);
  });

  it('keeps the regular activity for a larger original, an unknown size, or a limit of 0', async () => {
    expect(await localFor('over-limit.jpg', { sizeBytes: 1001, localActivityMaxBytes: 1000 })).toBe(false);
    expect(await localFor('over-default.jpg', { sizeBytes: 8 * 1024 * 1024 + 1 })).toBe(false);
    expect(await localFor('unknown-size.jpg', {})).toBe(false);
    expect(await localFor('never-local.jpg', { sizeBytes: 10, localActivityMaxBytes: 0 })).toBe(false);
  });

  it('dead-letters a size or limit that is not a byte count', async () => {
    for (const [key, extra] of [
      ['negative-size.jpg', { sizeBytes: -1 }],
      ['text-size.jpg', { sizeBytes: '12' as unknown as number }],
      ['huge-limit.jpg', { localActivityMaxBytes: 2 ** 40 }],
    ] as const) {
      const failure = await failureOf(runImage(key, async () => ok(key), extra));
      expect(failure).toMatchObject({
        type: 'InvalidImageInputError',
        message: expect.stringMatching(/sizeBytes|localActivityMaxBytes/),
      });
      expect(resizeCalls.has(key)).toBe(false);
    }
  });
});
