import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { failureReason } from '../../src/temporal/failure-reason';

describe('failureReason', () => {
  const missing = ApplicationFailure.nonRetryable('no sources file at s3://in/nope.yaml', 'EtlSourcesError');
  /** As the client throws a closed run's failure, and the SDK wraps what failed in an activity. */
  const closed = (cause?: Error, state: RetryState = RetryState.NON_RETRYABLE_FAILURE): WorkflowFailedError =>
    new WorkflowFailedError('Workflow execution failed', cause, state);
  const activityFailed = (type: string, state: RetryState): ActivityFailure =>
    new ActivityFailure('Activity task failed', type, '1', state, undefined, missing);

  it('reads through the activity failure to what happened in the activity', () => {
    const activity = activityFailed('resolveEtlSources', RetryState.NON_RETRYABLE_FAILURE);
    expect(failureReason(closed(activity))).toBe('no sources file at s3://in/nope.yaml');
  });

  it('reads through a child workflow and its activity', () => {
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'c', runId: 'r' },
      'etlSourceWorkflow',
      RetryState.NON_RETRYABLE_FAILURE,
      activityFailed('load', RetryState.MAXIMUM_ATTEMPTS_REACHED),
    );
    expect(failureReason(closed(child))).toBe('no sources file at s3://in/nope.yaml');
  });

  it('keeps the workflow’s own failure, and a wrapper that has no cause', () => {
    const own = ApplicationFailure.nonRetryable('3 of 30 sources failed', 'EtlRunFailed');
    expect(failureReason(closed(own))).toBe('3 of 30 sources failed');
    expect(failureReason(closed(undefined, RetryState.TIMEOUT))).toBe('Workflow execution failed');
    expect(failureReason('plain')).toBe('plain');
  });
});
