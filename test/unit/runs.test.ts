import { s3WorkflowId } from '../../src/bridge/workflow-id';
import { notificationFor } from '../../src/pipeline/backfill';
import { buildQuery, parseStatus, parseTime, rerunWorkflowId } from '../../src/pipeline/runs';

describe('runs by filter', () => {
  it('builds one visibility query from the filters and a raw query', () => {
    expect(buildQuery({})).toBe('');
    expect(
      buildQuery({
        query: "TaskQueue = 'q'",
        workflows: ['processImageWorkflow', 'dailySalesReportWorkflow'],
        statuses: ['failed'],
        since: new Date('2026-12-01T00:00:00Z'),
        until: new Date('2026-12-02T00:00:00Z'),
      }),
    ).toBe(
      "(TaskQueue = 'q') AND (WorkflowType = 'processImageWorkflow' OR WorkflowType = 'dailySalesReportWorkflow') " +
        "AND ExecutionStatus = 'Failed' AND StartTime >= '2026-12-01T00:00:00.000Z' AND StartTime < '2026-12-02T00:00:00.000Z'",
    );
    expect(buildQuery({ workflows: ["it's"] })).toBe("WorkflowType = 'it\\'s'");
    expect(buildQuery({ statuses: ['timed-out', 'canceled'] })).toBe(
      "(ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Canceled')",
    );
  });

  it('reads statuses and times, and names what is wrong', () => {
    expect(parseStatus('TIMED_OUT')).toBe('timed-out');
    expect(() => parseStatus('broken')).toThrow(/^expected one of running, completed, .*, continued-as-new$/);
    const now = Date.parse('2026-12-05T10:00:00Z');
    expect(parseTime('2h', now).toISOString()).toBe('2026-12-05T08:00:00.000Z');
    expect(parseTime('7d', now).toISOString()).toBe('2026-11-28T10:00:00.000Z');
    expect(parseTime('2026-12-01T09:00:00Z').toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(() => parseTime('yesterday')).toThrow(/span ago.*"yesterday"/);
  });

  it('reruns under the id the bridge derives from the run’s message, else under the run’s own id', () => {
    const message = notificationFor('in', { key: 'a/cat 1.jpg', eTag: 'abc' });
    const bridgeId = s3WorkflowId({ bucket: 'in', key: 'a/cat 1.jpg', eTag: 'abc' });
    // A run started under an older form of the id still reruns under the id a redrive would use today.
    expect(
      rerunWorkflowId('processImageWorkflow', 'image-in/a/cat_1.jpg-old', {
        bucket: 'in',
        key: 'a/cat 1.jpg',
        message,
      }),
    ).toBe(bridgeId);
    expect(rerunWorkflowId('processImageWorkflow', 'by-hand', { bucket: 'in', key: 'a/cat 1.jpg' })).toBe('by-hand');
    expect(rerunWorkflowId('processImageWorkflow', 'odd', { bucket: 'in', key: 'other.jpg', message })).toBe('odd');
    expect(rerunWorkflowId('dailySalesReportWorkflow', 'daily-report-2026-12-04', { date: '2026-12-04' })).toBe(
      'daily-report-2026-12-04',
    );
  });
});
