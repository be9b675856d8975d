/**
 * The scaler's inputs: the ingress queue's visible and in-flight messages (SQS GetQueueAttributes), the Temporal
 * task queue's backlog (DescribeTaskQueue with reportStats, workflow and activity queues added up), and, while no
 * worker runs, the workflows started in the last minute that are still open (visibility). An answer without
 * statistics is flagged, not read as an empty queue.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ScalingSignals } from '../scaling/policy';

/** The signals that come from the queues; capacity and time are added by the scaler. */
export type QueueSignals = Pick<
  ScalingSignals,
  | 'queueVisible'
  | 'queueInFlight'
  | 'taskQueueBacklog'
  | 'taskQueueBacklogAge'
  | 'taskQueueAddRate'
  | 'taskQueueStatsMissing'
  | 'recentStarts'
>;

/**
 * Reads the queues. Given the fleet's size as it is being read, the reader counts recent starts only when no worker
 * runs, the one case the policy uses them in; a visibility count every poll would load the server's visibility store
 * for nothing. Without it, the reader counts them on every call.
 */
export type SignalReader = (fleet?: Promise<{ running: number }>) => Promise<QueueSignals>;

async function readIngressQueue(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : 0;

async function readTaskQueue(
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<{ backlog: number; backlogAge: number; addRate: number; statsMissing: boolean }> {
  const types = [
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  ];
  const answers = await Promise.all(
    types.map((taskQueueType) =>
      client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
        reportStats: true,
      }),
    ),
  );
  let backlog = 0;
  let backlogAge = 0;
  let addRate = 0;
  // A server that does not report statistics (before 1.25, or with them turned off) answers without them.
  const statsMissing = answers.some(({ stats }) => !stats);
  for (const { stats } of answers) {
    backlog += Number(stats?.approximateBacklogCount ?? 0);
    backlogAge = Math.max(backlogAge, durationMs(stats?.approximateBacklogAge));
    addRate += stats?.tasksAddRate ?? 0;
  }
  return { backlog, backlogAge, addRate, statsMissing };
}

/** How far back a start counts as recent: longer than any statistics refresh, shorter than a scale-in cooldown. */
const RECENT_START_WINDOW_MS = 60_000;

/**
 * Workflows started on the task queue in the last minute and still open, from visibility (which a start updates at
 * once); undefined when the server cannot count, so the scaler goes on with the other signals.
 */
async function readRecentStarts(client: Client, taskQueue: string, now: number): Promise<number | undefined> {
  const since = new Date(now - RECENT_START_WINDOW_MS).toISOString();
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running" AND StartTime > "${since}"`;
  try {
    return (await client.workflow.count(query)).count;
  } catch {
    return undefined;
  }
}

interface SignalSources {
  sqs?: SQSClient;
  /** Without a queue URL the ingress queue counts as empty (work started straight in Temporal). */
  queueUrl?: string;
  temporal: Client;
  namespace: string;
  taskQueue: string;
}

export function createSignalReader(sources: SignalSources): SignalReader {
  const countIfIdle = async (fleet: Promise<{ running: number }> | undefined): Promise<number | undefined> => {
    if (fleet && (await fleet).running > 0) return undefined;
    return readRecentStarts(sources.temporal, sources.taskQueue, Date.now());
  };
  return async (fleet) => {
    const [queue, tq, recentStarts] = await Promise.all([
      sources.sqs && sources.queueUrl ? readIngressQueue(sources.sqs, sources.queueUrl) : { visible: 0, inFlight: 0 },
      readTaskQueue(sources.temporal, sources.namespace, sources.taskQueue),
      countIfIdle(fleet),
    ]);
    return {
      queueVisible: queue.visible,
      queueInFlight: queue.inFlight,
      taskQueueBacklog: tq.backlog,
      taskQueueBacklogAge: tq.backlogAge,
      taskQueueAddRate: tq.addRate,
      ...(tq.statsMissing ? { taskQueueStatsMissing: true } : {}),
      ...(recentStarts !== undefined ? { recentStarts } : {}),
    };
  };
}
