/** What `ebbflow status` reports: the ingress queue, the dead-letter queue and the workflows on the task queue. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { CostReading } from '../scaler/cost-meter';

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
  /** The worker fleet as the scaler last saw it, and what it has cost since the scaler started (with a scaler URL). */
  fleet?: FleetStatus;
}

export interface FleetStatus {
  scalerUrl: string;
  running?: number;
  desired?: number;
  cost?: CostReading;
  /** Why the scaler could not be read; the rest of the status stands. */
  error?: string;
}

/** The fleet from the scaler's /decisions (the newest) and /cost; a scaler that does not answer is reported as such. */
export async function readFleet(scalerUrl: string, timeoutMs = 2000): Promise<FleetStatus> {
  const get = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${scalerUrl}${route}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  try {
    const [decisions, cost] = await Promise.all([
      get<{ desired?: number; runningAfter?: number; signals?: { running?: number } }[]>('/decisions'),
      get<CostReading>('/cost'),
    ]);
    const last = decisions[0];
    return { scalerUrl, running: last?.runningAfter ?? last?.signals?.running, desired: last?.desired, cost };
  } catch (error) {
    return { scalerUrl, error: `the scaler at ${scalerUrl} did not answer (${(error as Error).message})` };
  }
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
  where: { taskQueue: string; ingressQueueUrl?: string; dlqUrl?: string; scalerUrl?: string },
): Promise<PipelineStatus> {
  const [ingress, dlq, workflows, fleet] = await Promise.all([
    where.ingressQueueUrl ? queueDepth(sqs, where.ingressQueueUrl) : undefined,
    where.dlqUrl ? queueDepth(sqs, where.dlqUrl) : undefined,
    countWorkflows(client, where.taskQueue),
    where.scalerUrl ? readFleet(where.scalerUrl) : undefined,
  ]);
  return { taskQueue: where.taskQueue, ingress, dlq, workflows, ...(fleet ? { fleet } : {}) };
}
