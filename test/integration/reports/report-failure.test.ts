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

  it('refuses retry bounds the steps cannot use, and still notifies the failure', async () => {
    const refused = async (workflowId: string, retry: Record<string, unknown>, more: object = {}) => {
      const handle = await client.workflow.start('dailySalesReportWorkflow', {
        taskQueue: pipeline.config.temporal.taskQueue,
        workflowId,
        args: [{ date: '2026-03-09', retry, ...more }],
      });
      const error = await handle.result().then(
        () => undefined,
        (err: unknown) => err as WorkflowFailedError,
      );
      // Refused before any step: no query was scheduled.
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      expect(scheduled.filter(Boolean)).toEqual(['publishReportNotification']);
      return error?.cause?.message ?? '';
    };

    const backwards = await refused('daily-sales-retry-backwards', { initialInterval: '1m', maximumInterval: '1s' });
    expect(backwards).toContain('retry.maximumInterval (1s) must not be shorter than retry.initialInterval (1m)');
    const unbounded = await refused('daily-sales-retry-unbounded', { maximumAttempts: 0 });
    expect(unbounded).toContain('retry.maximumAttempts must be a whole number from 1 to 100, got 0');
    const nonsense = await refused('daily-sales-retry-nonsense', { initialInterval: 'soon' });
    expect(nonsense).toContain('retry.initialInterval must be a duration above zero');
    // An approval timeout it could not wait for is refused before the report is made, not after its upload.
    const approval = await refused(
      'daily-sales-retry-approval',
      {},
      { holdForApproval: true, approvalTimeout: 'soon' },
    );
    expect(approval).toContain(
      'approvalTimeout must be a duration above zero ("30s", "2m" or milliseconds), got "soon"',
    );

    // The failure notification went out although the input's bounds could not be used for it.
    const seen = new Map<string, Record<string, unknown>>();
    const received = await eventually('the failure notifications', async () => {
      for (const m of await receiveNotifications(pipeline.aws, notifications)) {
        if (String(m.workflowId).startsWith('daily-sales-retry-')) seen.set(String(m.workflowId), m);
      }
      return seen.size === 4 ? [...seen.values()] : undefined;
    });
    expect(received.every((m) => m.outcome === 'failed')).toBe(true);
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
