/**
 * The least an item can cost Temporal: a workflow whose one activity does nothing, scheduled as the image workflow
 * schedules its resize (a local activity for an original of known size up to the configured limit, a regular one
 * otherwise, with the same timeouts and retry policy). The end-to-end benchmark runs it on the same stack to measure
 * the server's and the worker's CPU per workflow that no code of ours adds to.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { localResizeActivityOptions, resizeActivityOptions, resizesLocally } from '../../src/common/image-variants';

type Nothing = { nothing(input: unknown): Promise<unknown> };

const regular = proxyActivities<Nothing>(resizeActivityOptions());
const local = proxyLocalActivities<Nothing>(localResizeActivityOptions());

export async function bareWorkflow(input: { sizeBytes?: number; localActivityMaxBytes: number }): Promise<unknown> {
  const { nothing } = resizesLocally(input.sizeBytes, input.localActivityMaxBytes) ? local : regular;
  return nothing(input);
}
