/**
 * The SQS bridge: long-polls the ingress queue and starts one workflow per item, with a workflow id derived from the
 * item's idempotency key, so that a duplicated or redelivered message never starts a second execution.
 *
 * Delivery rules:
 * - a message is deleted only after Temporal accepted every workflow in it (started, or already started);
 * - a message it cannot understand, or that names a workflow the worker does not serve, goes to the DLQ at once with
 *   the reason, and is deleted from ingress;
 * - while Temporal is unreachable the bridge stops receiving (the ingress queue moves a message to the DLQ after a few
 *   receives, so receiving during an outage would dead-letter good messages), keeps the messages it holds invisible,
 *   probes Temporal with exponential backoff and resumes by itself;
 * - on stop (SIGTERM) it stops receiving, lets the starts in flight finish, releases what it cannot start
 *   (visibility 0) and returns. A long poll cut short by stop may hide up to one batch until its visibility timeout.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Client, Connection, type WorkflowIdReusePolicy } from '@temporalio/client';
import * as workflows from '../../workflows';
import { createAwsClients } from '../aws/clients';
import { sendDeadLetter } from '../aws/dead-letter';
import { processImageInput } from '../images/workflow-input';
import { required, type EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { connectionOptions, grpcCode } from '../temporal/connection';
import { searchAttributePairs } from '../temporal/search-attributes';
import { backoffDelay } from './backoff';
import { parseMessage } from './messages';
import { planMessage, type PlanOptions, type StartRequest } from './plan';
import { emptyBridgeStats, type BridgeObservable, type BridgeStats } from './stats';

/**
 * A workflow id that closed successfully is never reused (a duplicate is a no-op); one whose run failed may start again,
 * so that `ebbflow dlq redrive` retries work that failed for good. A running id is never started twice (conflict: fail).
 */
export const WORKFLOW_ID_REUSE_POLICY: WorkflowIdReusePolicy = 'ALLOW_DUPLICATE_FAILED_ONLY';

/** gRPC status codes that mean the request itself is wrong; anything else is treated as Temporal being unreachable. */
const PERMANENT_GRPC_CODES = new Set([
  3 /* INVALID_ARGUMENT */, 5 /* NOT_FOUND */, 7 /* PERMISSION_DENIED */, 9, 12, 16,
]);

/** Retries of a start that fails while Temporal answers health probes, before the message is left to redelivery. */
const MAX_ATTEMPTS_WHILE_HEALTHY = 5;

export interface BridgeOptions {
  config: EbbflowConfig;
  logger: Logger;
  /** Temporal client; a lazy connection from config when omitted (closed on stop). */
  client?: Client;
  /** SQS client; built from config when omitted. */
  sqs?: SQSClient;
  /** @defaultValue config.pipeline.ingressQueueUrl */
  queueUrl?: string;
  /** @defaultValue config.pipeline.dlqUrl */
  dlqUrl?: string;
  /** @defaultValue config.temporal.taskQueue */
  taskQueue?: string;
  /** Workflow types envelopes may name. @defaultValue the exports of workflows/index.ts */
  knownWorkflows?: Iterable<string>;
  /** Visibility timeout asked for on receive; extended while a message is being started. @defaultValue config.bridge.visibilityTimeout */
  visibilityTimeoutSeconds?: number;
  /** @defaultValue config.bridge.waitTimeSeconds */
  waitTimeSeconds?: number;
  /** First pause of the backoff while Temporal is unreachable. @defaultValue 500 */
  initialBackoffMs?: number;
  /** @defaultValue config.bridge.maxBackoff */
  maxBackoffMs?: number;
  /** Deadline of one start call. @defaultValue 10000 */
  startTimeoutMs?: number;
  /** How often the counters are logged when they changed; 0 turns it off. @defaultValue 60000 */
  statsIntervalMs?: number;
  /**
   * Ask Temporal to hand each started workflow's first task straight back to a worker in this process (eager start).
   * Needs `client` on the worker's NativeConnection; the server falls back to the task queue when that worker has no
   * free slot. @defaultValue false
   */
  eagerStart?: boolean;
  /** Test hook: runs after Temporal accepted every workflow of a message and before it is deleted. */
  afterStart?: (message: Message, starts: StartedWorkflow[]) => Promise<void> | void;
}

export interface StartedWorkflow {
  workflowId: string;
  workflowType: string;
  /** False when Temporal already had this workflow id (a duplicate). */
  started: boolean;
}

type Outcome = 'delete' | 'keep' | 'released';

/** Thrown inside the bridge when it stops while a start waits for Temporal to come back. */
class BridgeStoppedError extends Error {
  override readonly name = 'BridgeStoppedError';
}

/** The default list of workflow types: every function exported by workflows/index.ts. */
export function defaultKnownWorkflows(): string[] {
  return Object.entries(workflows as Record<string, unknown>)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
}

export class SqsBridge implements BridgeObservable {
  readonly stats: BridgeStats = emptyBridgeStats();
  /** Messages this bridge sent to the DLQ, by error type. */
  readonly deadLetteredByType = new Map<string, number>();
  /** Resolves when every receiver has returned after stop(). */
  readonly finished: Promise<void>;

  private readonly logger: Logger;
  private readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly dlqUrl: string;
  private readonly taskQueue: string;
  private readonly known: ReadonlySet<string>;
  private readonly visibility: number;
  private readonly waitTimeSeconds: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly startTimeoutMs: number;
  private readonly imageInput: PlanOptions['imageInput'];
  private readonly abort = new AbortController();
  private stopping = false;
  private healthy = true;
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  private readonly sleepers = new Set<() => void>();
  private statsTimer?: NodeJS.Timeout;

  constructor(private readonly options: BridgeOptions) {
    const { config } = options;
    this.logger = options.logger.child({ component: 'bridge' });
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new Client({
        connection: Connection.lazy(connectionOptions(config.temporal)),
        namespace: config.temporal.namespace,
      });
    this.sqs = options.sqs ?? createAwsClients(config.aws).sqs;
    this.queueUrl = options.queueUrl ?? required(config.pipeline.ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL');
    this.dlqUrl = options.dlqUrl ?? required(config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL');
    this.taskQueue = options.taskQueue ?? config.temporal.taskQueue;
    this.known = new Set(options.knownWorkflows ?? defaultKnownWorkflows());
    this.visibility =
      options.visibilityTimeoutSeconds ?? Math.max(1, Math.ceil(config.bridge.visibilityTimeout / 1000));
    this.waitTimeSeconds = options.waitTimeSeconds ?? config.bridge.waitTimeSeconds;
    this.backoff = {
      initialMs: options.initialBackoffMs ?? 500,
      maxMs: options.maxBackoffMs ?? config.bridge.maxBackoff,
    };
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.imageInput = (source) => processImageInput(config, source, { outputBucket: config.pipeline.outputBucket });

    const receivers = Array.from({ length: config.bridge.receivers }, (_, i) => this.receiveLoop(i));
    this.finished = Promise.all(receivers).then(() => this.shutdown());
    const interval = options.statsIntervalMs ?? 60_000;
    if (interval > 0) {
      let last = '';
      this.statsTimer = setInterval(() => {
        const now = JSON.stringify(this.stats);
        if (now !== last) this.logger.info('bridge stats', { ...this.stats });
        last = now;
      }, interval);
      this.statsTimer.unref();
    }
    this.logger.info('bridge started', {
      queueUrl: this.queueUrl,
      taskQueue: this.taskQueue,
      receivers: config.bridge.receivers,
      batchSize: config.bridge.batchSize,
      waitTimeSeconds: this.waitTimeSeconds,
      workflows: [...this.known],
    });
  }

  /** True while Temporal answers; false during an outage (no receives). */
  get temporalReachable(): boolean {
    return this.healthy;
  }

  /** Stops receiving, lets starts in flight finish, and resolves when the bridge has stopped. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.logger.info('bridge stopping: no more receives; finishing the starts in flight');
      this.abort.abort();
      this.markReady();
      for (const wake of this.sleepers) wake();
    }
    await this.finished;
  }

  private async shutdown(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.ownsClient) await this.client.connection.close().catch(() => undefined);
    this.logger.info('bridge stopped', { ...this.stats });
  }

  /** A pause that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async receiveLoop(receiver: number): Promise<void> {
    let receiveErrors = 0;
    while (!this.stopping) {
      await this.ready;
      if (this.stopping) break;
      let messages: Message[];
      try {
        const result = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: this.options.config.bridge.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.visibility,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = result.Messages ?? [];
        receiveErrors = 0;
      } catch (err) {
        if (this.stopping) break;
        const delay = backoffDelay(receiveErrors++, this.backoff);
        this.logger.warn('receive from the ingress queue failed; retrying', { receiver, error: err, delayMs: delay });
        await this.sleep(delay);
        continue;
      }
      if (messages.length > 0) await this.handleBatch(messages);
    }
  }

  private async handleBatch(messages: Message[]): Promise<void> {
    this.stats.received += messages.length;
    const outcomes = await Promise.all(messages.map((m) => this.handleMessage(m)));
    const toDelete = messages.filter((_, i) => outcomes[i] === 'delete');
    if (toDelete.length === 0) return;
    try {
      const result = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      this.stats.deleted += result.Successful?.length ?? 0;
      for (const failure of result.Failed ?? []) {
        this.logger.warn('delete failed; the message will come back and be absorbed as a duplicate', {
          messageId: toDelete[Number(failure.Id)]?.MessageId,
          error: failure.Message,
        });
      }
    } catch (err) {
      this.logger.warn('delete failed; the messages will come back and be absorbed as duplicates', { error: err });
    }
  }

  private async handleMessage(message: Message): Promise<Outcome> {
    const messageId = message.MessageId ?? '';
    const body = message.Body ?? '';
    const log = this.logger.child({ messageId, receiveCount: Number(message.Attributes?.ApproximateReceiveCount) });
    const plan = planMessage(parseMessage(body), {
      messageId,
      body,
      knownWorkflows: this.known,
      imageInput: this.imageInput,
    });
    if (plan.kind === 'ignored') {
      this.stats.ignored++;
      log.debug('message acknowledged without a workflow', { reason: plan.reason });
      return 'delete';
    }
    if (plan.kind === 'reject') {
      try {
        await sendDeadLetter(this.sqs, this.dlqUrl, {
          body,
          reason: plan.reason,
          errorType: plan.errorType,
          source: 'bridge',
          attempts: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
        });
        this.stats.deadLettered++;
        this.deadLetteredByType.set(plan.errorType, (this.deadLetteredByType.get(plan.errorType) ?? 0) + 1);
        log.warn('message sent to the dead-letter queue', { errorType: plan.errorType, reason: plan.reason });
        return 'delete';
      } catch (err) {
        this.stats.failed++;
        log.error('could not write to the dead-letter queue; the message stays queued', { error: err });
        return 'keep';
      }
    }

    const extender = setInterval(() => void this.extendVisibility(message, log), (this.visibility * 1000) / 2);
    try {
      const results = await Promise.all(plan.starts.map((s) => this.startWorkflow(s, log)));
      await this.options.afterStart?.(message, results);
      return 'delete';
    } catch (err) {
      if ((err as Error).name === 'BridgeStoppedError') {
        await this.release(message, log);
        return 'released';
      }
      this.stats.failed++;
      log.error('could not start the workflows of a message; it stays queued for redelivery', { error: err });
      return 'keep';
    } finally {
      clearInterval(extender);
    }
  }

  private setVisibility(message: Message, seconds: number): Promise<unknown> {
    return this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  private async extendVisibility(message: Message, log: Logger): Promise<void> {
    await this.setVisibility(message, this.visibility).catch((err: unknown) =>
      log.warn('could not extend the visibility of a held message', { error: err }),
    );
  }

  private async release(message: Message, log: Logger): Promise<void> {
    try {
      await this.setVisibility(message, 0);
      this.stats.released++;
      log.info('message released for another bridge: stopped while Temporal was unreachable');
    } catch (err) {
      log.warn('could not release a message; it returns after its visibility timeout', { error: err });
    }
  }

  /** Starts one workflow; waits out Temporal outages; resolves once Temporal accepted it (or already had it). */
  private async startWorkflow(request: StartRequest, log: Logger): Promise<StartedWorkflow> {
    let failuresWhileHealthy = 0;
    for (;;) {
      await this.ready;
      if (!this.healthy) throw new BridgeStoppedError('bridge stopped while Temporal was unreachable');
      try {
        const handle = await this.client.withDeadline(Date.now() + this.startTimeoutMs, () =>
          this.client.workflow.start(request.workflowType, {
            taskQueue: this.taskQueue,
            workflowId: request.workflowId,
            args: [request.input],
            workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY,
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: searchAttributePairs(request.searchAttributes),
            requestEagerStart: this.options.eagerStart === true,
          }),
        );
        this.stats.started++;
        if (handle.eagerlyStarted) this.stats.eagerlyStarted++;
        log.debug('workflow started', { workflowId: request.workflowId, workflowType: request.workflowType });
        return { workflowId: request.workflowId, workflowType: request.workflowType, started: true };
      } catch (err) {
        if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
          this.stats.duplicates++;
          log.info('duplicate absorbed: workflow id already started', { workflowId: request.workflowId });
          return { workflowId: request.workflowId, workflowType: request.workflowType, started: false };
        }
        const code = grpcCode(err);
        if (code !== undefined && PERMANENT_GRPC_CODES.has(code)) throw err;
        if (await this.probe()) {
          if (++failuresWhileHealthy >= MAX_ATTEMPTS_WHILE_HEALTHY) throw err;
          await this.sleep(backoffDelay(failuresWhileHealthy, this.backoff));
        } else if (this.stopping) {
          throw new BridgeStoppedError('bridge stopped while Temporal was unreachable');
        } else {
          this.markUnreachable(err);
        }
      }
    }
  }

  private async probe(): Promise<boolean> {
    try {
      await this.client.withDeadline(Date.now() + 3000, () => this.client.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }

  private markUnreachable(err: unknown): void {
    if (!this.healthy || this.stopping) return;
    this.healthy = false;
    this.stats.outages++;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.logger.warn('Temporal unreachable: receives paused, held messages kept invisible', { error: err });
    void this.probeUntilReachable();
  }

  private async probeUntilReachable(): Promise<void> {
    const since = Date.now();
    for (let attempt = 0; !this.stopping; attempt++) {
      await this.sleep(backoffDelay(attempt, this.backoff));
      if (this.stopping) break;
      if (await this.probe()) {
        this.healthy = true;
        this.logger.info('Temporal reachable again: resuming', { downForMs: Date.now() - since });
        break;
      }
      this.logger.debug('Temporal still unreachable', { attempt: attempt + 1 });
    }
    this.markReady();
  }
}

/** Starts the bridge in this process; stop it with `await bridge.stop()`. */
export function startBridge(options: BridgeOptions): SqsBridge {
  return new SqsBridge(options);
}
