/** What `ebbflow status` reports: the ingress queue, the dead-letter queue and the workflows on the task queue. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';

interface QueueDepth {
  url: string;
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface PipelineStatus {
  taskQueue: string;
  ingress?: QueueDepth;
  dlq?: QueueDepth;
  workflows: { running: number; completed: number; failed: number; timedOut: number; terminated: number };
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    url,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Counts workflows on a task queue by status; `extraQuery` narrows further (e.g. one batch). */
export async function countWorkflows(
  client: Client,
  taskQueue: string,
  extraQuery = '',
): Promise<PipelineStatus['workflows']> {
  const base = `TaskQueue = "${taskQueue}"${extraQuery ? ` AND ${extraQuery}` : ''}`;
  const count = async (status: string): Promise<number> =>
    (await client.workflow.count(`${base} AND ExecutionStatus = "${status}"`)).count;
  const [running, completed, failed, timedOut, terminated] = await Promise.all(
    ['Running', 'Completed', 'Failed', 'TimedOut', 'Terminated'].map(count),
  );
  return { running: running!, completed: completed!, failed: failed!, timedOut: timedOut!, terminated: terminated! };
}

/** Workflows of a count that have ended, whatever the outcome: what a batch is waiting for before it is done. */
export function endedCount(w: PipelineStatus['workflows']): number {
  return w.completed + w.failed + w.timedOut + w.terminated;
}

export async function readStatus(
  client: Client,
  sqs: SQSClient,
  where: { taskQueue: string; ingressQueueUrl?: string; dlqUrl?: string },
): Promise<PipelineStatus> {
  const [ingress, dlq, workflows] = await Promise.all([
    where.ingressQueueUrl ? queueDepth(sqs, where.ingressQueueUrl) : undefined,
    where.dlqUrl ? queueDepth(sqs, where.dlqUrl) : undefined,
    countWorkflows(client, where.taskQueue),
  ]);
  return { taskQueue: where.taskQueue, ingress, dlq, workflows };
}
