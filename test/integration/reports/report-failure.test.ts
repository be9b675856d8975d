/**
 * A sales database that stays unreachable: the query step retries within its bound, then a failure notification with
 * the reason goes out on SNS (read back through SQS) and the workflow fails with that reason.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { freePort } from '../../../src/dev/processes';
import { createTestPipeline, eventually, type TestPipeline } from '../../support/stack';
import { receiveNotifications, startReportWorker, subscribeQueue } from './helpers';

describe('dailySalesReportWorkflow when the database is unreachable', () => {
  let pipeline: TestPipeline;
  let client: Client;
  let stop: () => Promise<void>;
  let notifications: string;

  beforeAll(async () => {
    // Nothing listens on this port; the password must never show up in a reason.
    const port = await freePort();
    pipeline = await createTestPipeline('repfail', {
      EBBFLOW_DATABASE_URL: `postgres://sales:s3cret@127.0.0.1:${port}/sales`,
    });
    notifications = await subscribeQueue(pipeline.aws, pipeline.resources.notificationTopicArn);
    ({ client, stop } = await startReportWorker(pipeline.config));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('retries three times, notifies the reason and fails with it', async () => {
    const workflowId = 'daily-sales-unreachable-2026-03-08';
    const handle = await client.workflow.start('dailySalesReportWorkflow', {
      taskQueue: pipeline.config.temporal.taskQueue,
      workflowId,
      args: [{ date: '2026-03-08', retry: { maximumAttempts: 3, initialInterval: '100ms' } }],
    });
    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => err as WorkflowFailedError,
    );
    expect(error?.name).toBe('WorkflowFailedError');
    const reason = error!.cause?.message ?? '';
    expect(reason).toMatch(
      /^daily sales report for 2026-03-08 failed: cannot read sales for 2026-03-08 from postgres:/,
    );
    expect(reason).toContain('ECONNREFUSED');
    expect(reason).toContain('gave up after 3 attempts');
    expect(reason).not.toContain('s3cret');

    // Bounded: the last attempt of the query step was the third.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(attempts[0]).toBe(3);

    const received = await eventually('the failure notification', async () => {
      const messages = await receiveNotifications(pipeline.aws, notifications);
      return messages.find((m) => m.workflowId === workflowId);
    });
    expect(received).toMatchObject({ outcome: 'failed', date: '2026-03-08' });
    expect(reason).toContain(received.reason as string);
  });

  it('fails at once, without retries, on a malformed date', async () => {
    const handle = await client.workflow.start('dailySalesReportWorkflow', {
      taskQueue: pipeline.config.temporal.taskQueue,
      workflowId: 'daily-sales-bad-date',
      args: [{ date: '2026-02-30' }],
    });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const error = await handle.result().catch((err: WorkflowFailedError) => err);
    expect((error as WorkflowFailedError).cause?.message).toContain('date must be YYYY-MM-DD, got "2026-02-30"');
  });
});
