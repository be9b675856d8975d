import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { failureReason } from '../../src/temporal/failure-reason';

describe('failureReason', () => {
  const missing = ApplicationFailure.nonRetryable('no sources file at s3://in/nope.yaml', 'EtlSourcesError');

  it('reads through the activity failure to what happened in the activity', () => {
    const activity = new ActivityFailure(
      'Activity task failed',
      'resolveEtlSources',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      missing,
    );
    const closed = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    expect(failureReason(closed)).toBe('no sources file at s3://in/nope.yaml');
  });

  it('reads through a child workflow and its activity', () => {
    const activity = new ActivityFailure(
      'Activity task failed',
      'load',
      '1',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      undefined,
      missing,
    );
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'c', runId: 'r' },
      'etlSourceWorkflow',
      RetryState.NON_RETRYABLE_FAILURE,
      activity,
    );
    const closed = new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE);
    expect(failureReason(closed)).toBe('no sources file at s3://in/nope.yaml');
  });

  it('keeps the workflow’s own failure, and a wrapper that has no cause', () => {
    const own = ApplicationFailure.nonRetryable('3 of 30 sources failed', 'EtlRunFailed');
    expect(
      failureReason(new WorkflowFailedError('Workflow execution failed', own, RetryState.NON_RETRYABLE_FAILURE)),
    ).toBe('3 of 30 sources failed');
    expect(failureReason(new WorkflowFailedError('Workflow execution failed', undefined, RetryState.TIMEOUT))).toBe(
      'Workflow execution failed',
    );
    expect(failureReason('plain')).toBe('plain');
  });
});
