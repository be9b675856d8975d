/**
 * The least an item can cost Temporal: a workflow whose one activity does nothing, with the image workflow's timeouts
 * and retry policy. The end-to-end benchmark runs it on the same stack to measure the server's and the worker's CPU
 * per workflow that no code of ours adds to.
 */
import { proxyActivities } from '@temporalio/workflow';
import { resizeActivityOptions } from '../src/common/image-variants';

const { nothing } = proxyActivities<{ nothing(input: unknown): Promise<unknown> }>(resizeActivityOptions());

export async function bareWorkflow(input: unknown): Promise<unknown> {
  return nothing(input);
}
