/**
 * The least an item can cost Temporal: a workflow whose one activity does nothing, with the image workflow's timeouts
 * and retry policy. The end-to-end benchmark runs it on the same stack to measure the server's and the worker's CPU
 * per workflow that no code of ours adds to.
 */
import { proxyActivities } from '@temporalio/workflow';

const { nothing } = proxyActivities<{ nothing(input: unknown): Promise<unknown> }>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function bareWorkflow(input: unknown): Promise<unknown> {
  return nothing(input);
}
