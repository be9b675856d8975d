/**
 * The SQS bridge: long-polls the ingress queue and starts one workflow per item, with a workflow id derived from the
 * item's idempotency key, so that a duplicated or redelivered message never starts a second execution.
 *
 * Delivery rules:
 * - each message is deleted as soon as Temporal accepted every workflow in it (started, or already started), whatever
 *   its batch-mates do: a slow one never holds back the others' deletes (those ready together share one
 *   DeleteMessageBatch request: deletes.ts);
 * - a message it cannot understand, that names a workflow the worker does not serve or that the admission rules refuse
 *   (admission.ts), or whose start Temporal refuses as invalid (INVALID_ARGUMENT), goes to the DLQ at once with the
 *   reason, and is deleted from ingress;
 * - a redelivered message never reruns a run that failed: only a redrive (`ebbflow dlq redrive`, which marks the
 *   messages it sends) may start a failed workflow id again;
 * - while Temporal is unreachable, or refuses every start for a reason that is not the message's (credentials,
 *   permissions, namespace, throttling: an outage), the bridge stops receiving (the ingress queue moves a message to
 *   the DLQ after a few receives, so receiving during an outage would dead-letter good messages), keeps the messages it
 *   holds invisible, logs an error and counts the outage by reason, probes Temporal with exponential backoff and
 *   resumes by itself;
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
import { sendDeadLetter, type DeadLetterBodyStore } from '../aws/dead-letter';
import { processImageInput } from '../images/workflow-input';
import { required, type EbbflowConfig } from '../config';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import { connectionOptions, GRPC_INVALID_ARGUMENT, grpcCode } from '../temporal/connection';
import { searchAttributePairs } from '../temporal/search-attributes';
import { admissionRules, type AdmissionRules } from './admission';
import { backoffDelay } from './backoff';
import { batchDeleter, type BatchDeleter } from './deletes';
import { parseMessage } from './messages';
import { planMessage, type PlanOptions, type StartRequest } from './plan';
import { REDRIVE_ATTRIBUTE } from './redrive';
import { emptyBridgeStats, type BridgeObservable, type BridgeStats } from './stats';
import { wakeNotifier } from './wake';

/**
 * A workflow id that ran is never started again by a message (a duplicate or a redelivery is a no-op, even when the
 * run failed: the DLQ has it). A running id is never started twice (conflict: fail).
 */
export const WORKFLOW_ID_REUSE_POLICY: WorkflowIdReusePolicy = 'REJECT_DUPLICATE';

/**
 * For what an operator asks to run again (messages a redrive sent, `ebbflow runs rerun`): an id whose run failed may
 * start again; one that completed stays a no-op.
 */
export const REDRIVE_REUSE_POLICY: WorkflowIdReusePolicy = 'ALLOW_DUPLICATE_FAILED_ONLY';

/** gRPC codes of a start that say nothing about the message: every start would fail alike, so they are outages. */
const OUTAGE_GRPC_CODES: ReadonlyMap<number, string> = new Map([
  [4, 'DEADLINE_EXCEEDED'],
  [5, 'NOT_FOUND'], // the namespace: a start does not look anything else up
  [7, 'PERMISSION_DENIED'],
  [8, 'RESOURCE_EXHAUSTED'],
  [9, 'FAILED_PRECONDITION'],
  [12, 'UNIMPLEMENTED'],
  [14, 'UNAVAILABLE'],
  [16, 'UNAUTHENTICATED'],
]);

/** What the SDK throws for NOT_FOUND at start: the namespace (or, by its reading, the workflow) does not exist. */
const NOT_FOUND_ERRORS = new Set(['NamespaceNotFoundError', 'WorkflowNotFoundError']);

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
  /** Workflow types the worker serves. @defaultValue the exports of workflows/index.ts */
  knownWorkflows?: Iterable<string>;
  /** Workflow types envelopes may start. @defaultValue config.bridge.envelopeWorkflows */
  envelopeWorkflows?: Iterable<string>;
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

type Outcome = 'delete' | 'dead-lettered' | 'keep' | 'released';

/** Thrown inside the bridge when it stops while a start waits for Temporal to come back. */
class BridgeStoppedError extends Error {
  override readonly name = 'BridgeStoppedError';
}

/** Thrown inside the bridge when Temporal refuses a start as invalid (INVALID_ARGUMENT): the message goes to the DLQ. */
class StartRejectedError extends Error {
  override readonly name = 'StartRejected';
}

/** A ConfigError for a FIFO queue: the bridge neither sends with message groups nor keeps their order. */
export function refuseFifoQueues(queues: Record<string, string>): void {
  for (const [setting, url] of Object.entries(queues)) {
    if (url.endsWith('.fifo')) {
      throw new ConfigError(
        `${setting}: ${url} is a FIFO queue; the bridge needs standard queues (it starts messages out of order and ` +
          'dead-letters without message groups). Create a standard queue and point the setting at it.',
      );
    }
  }
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
  /** Outages by reason: the gRPC code of the failed start, or `unreachable`. */
  readonly outagesByReason = new Map<string, number>();
  /** Resolves when every receiver has returned after stop(). */
  readonly finished: Promise<void>;

  private readonly logger: Logger;
  private readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly sqs: SQSClient;
  /** Where dead letters too large for the DLQ keep their body. */
  private readonly bodyStore: DeadLetterBodyStore;
  private readonly queueUrl: string;
  private readonly dlqUrl: string;
  private readonly taskQueue: string;
  private readonly known: ReadonlySet<string>;
  private readonly rules: AdmissionRules;
  private readonly visibility: number;
  private readonly waitTimeSeconds: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly startTimeoutMs: number;
  private readonly imageInput: PlanOptions['imageInput'];
  private readonly abort = new AbortController();
  private stopping = false;
  private healthy = true;
  /** Outages since the last accepted start: the backoff keeps growing while each recovery fails again at once. */
  private outageStreak = 0;
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  private readonly sleepers = new Set<() => void>();
  private statsTimer?: NodeJS.Timeout;
  /** Tells the scaler that work arrived (EBBFLOW_BRIDGE_WAKE_URL); nothing when unset. */
  private readonly wake: () => void;
  /** Deletes from the ingress queue, in batches, one request at a time. */
  private readonly deletes: BatchDeleter;

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
    this.bodyStore = { s3: createAwsClients(config.aws).s3, bucket: config.pipeline.outputBucket };
    this.queueUrl = options.queueUrl ?? required(config.pipeline.ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL');
    this.dlqUrl = options.dlqUrl ?? required(config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL');
    refuseFifoQueues({ EBBFLOW_INGRESS_QUEUE_URL: this.queueUrl, EBBFLOW_DLQ_URL: this.dlqUrl });
    this.taskQueue = options.taskQueue ?? config.temporal.taskQueue;
    this.known = new Set(options.knownWorkflows ?? defaultKnownWorkflows());
    const rules = admissionRules(config);
    this.rules = options.envelopeWorkflows
      ? { ...rules, envelopeWorkflows: new Set(options.envelopeWorkflows) }
      : rules;
    this.visibility =
      options.visibilityTimeoutSeconds ?? Math.max(1, Math.ceil(config.bridge.visibilityTimeout / 1000));
    this.waitTimeSeconds = options.waitTimeSeconds ?? config.bridge.waitTimeSeconds;
    this.backoff = {
      initialMs: options.initialBackoffMs ?? 500,
      maxMs: options.maxBackoffMs ?? config.bridge.maxBackoff,
    };
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.imageInput = (source) => processImageInput(config, source, { outputBucket: config.pipeline.outputBucket });
    this.wake = config.bridge.wakeUrl ? wakeNotifier(config.bridge.wakeUrl, this.logger) : () => undefined;
    this.deletes = batchDeleter((entries) => {
      this.stats.deleteRequests++;
      return this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    });

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
      envelopeWorkflows: [...this.rules.envelopeWorkflows],
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
            MessageAttributeNames: [REDRIVE_ATTRIBUTE],
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
    await Promise.all(messages.map((m) => this.handleMessage(m)));
  }

  /** Handles one message to the end, its delete included; never throws, so one message cannot stop a receiver. */
  private async handleMessage(message: Message): Promise<void> {
    const log = this.logger.child({
      messageId: message.MessageId ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount),
    });
    try {
      const outcome = await this.process(message, log);
      if (outcome === 'delete' || outcome === 'dead-lettered') await this.deleteMessage(message, log, outcome);
    } catch (err) {
      this.stats.failed++;
      log.error('unexpected error while handling a message; it stays queued for redelivery', { error: err });
    }
  }

  private async deleteMessage(message: Message, log: Logger, outcome: 'delete' | 'dead-lettered'): Promise<void> {
    try {
      await this.deletes.delete(message.ReceiptHandle ?? '');
      this.stats.deleted++;
    } catch (err) {
      this.stats.failed++;
      log.warn(
        outcome === 'dead-lettered'
          ? 'delete failed after the message was dead-lettered; it will come back and be dead-lettered again'
          : 'delete failed; the message will come back and be absorbed as a duplicate',
        { error: err },
      );
    }
  }

  private async deadLetter(
    message: Message,
    log: Logger,
    errorType: string,
    reason: string,
    workflowId?: string,
  ): Promise<Outcome> {
    try {
      await sendDeadLetter(
        this.sqs,
        this.dlqUrl,
        {
          body: message.Body ?? '',
          reason,
          errorType,
          workflowId,
          source: 'bridge',
          attempts: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
        },
        this.bodyStore,
      );
      this.stats.deadLettered++;
      this.deadLetteredByType.set(errorType, (this.deadLetteredByType.get(errorType) ?? 0) + 1);
      log.warn('message sent to the dead-letter queue', { errorType, reason });
      return 'dead-lettered';
    } catch (err) {
      this.stats.failed++;
      log.error('could not write to the dead-letter queue; the message stays queued', { error: err });
      return 'keep';
    }
  }

  private async process(message: Message, log: Logger): Promise<Outcome> {
    const messageId = message.MessageId ?? '';
    const body = message.Body ?? '';
    const plan = planMessage(parseMessage(body), {
      messageId,
      body,
      knownWorkflows: this.known,
      rules: this.rules,
      imageInput: this.imageInput,
    });
    if (plan.kind === 'ignored') {
      this.stats.ignored++;
      log.debug('message acknowledged without a workflow', { reason: plan.reason });
      return 'delete';
    }
    if (plan.kind === 'reject') return this.deadLetter(message, log, plan.errorType, plan.reason);

    const redrive = message.MessageAttributes?.[REDRIVE_ATTRIBUTE] !== undefined;
    let extending: Promise<void> | undefined;
    const extender = setInterval(() => (extending = this.extendVisibility(message, log)), (this.visibility * 1000) / 2);
    try {
      const results = await Promise.all(plan.starts.map((s) => this.startWorkflow(s, log, redrive)));
      await this.options.afterStart?.(message, results);
      return 'delete';
    } catch (err) {
      // An extension still on its way would land after a release and hide the message again for a whole timeout.
      clearInterval(extender);
      await extending;
      const name = (err as Error).name;
      if (name === 'BridgeStoppedError') {
        await this.release(message, log);
        return 'released';
      }
      if (name === 'StartRejected') {
        const workflowId = plan.starts.length === 1 ? plan.starts[0]?.workflowId : undefined;
        return this.deadLetter(message, log, 'StartRejected', (err as Error).message, workflowId);
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
  private async startWorkflow(request: StartRequest, log: Logger, redrive: boolean): Promise<StartedWorkflow> {
    let failuresWhileHealthy = 0;
    for (;;) {
      // Another held start may have found a new outage since this one woke: wait that one out too, holding on.
      while (!this.healthy && !this.stopping) await this.ready;
      if (!this.healthy) throw new BridgeStoppedError('bridge stopped while Temporal was unreachable');
      try {
        const handle = await this.client.withDeadline(Date.now() + this.startTimeoutMs, () =>
          this.client.workflow.start(request.workflowType, {
            taskQueue: this.taskQueue,
            workflowId: request.workflowId,
            args: [request.input],
            workflowIdReusePolicy: redrive ? REDRIVE_REUSE_POLICY : WORKFLOW_ID_REUSE_POLICY,
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: searchAttributePairs(request.searchAttributes),
            requestEagerStart: this.options.eagerStart === true,
          }),
        );
        this.stats.started++;
        this.outageStreak = 0;
        this.wake();
        if (handle.eagerlyStarted) this.stats.eagerlyStarted++;
        log.debug('workflow started', { workflowId: request.workflowId, workflowType: request.workflowType });
        return { workflowId: request.workflowId, workflowType: request.workflowType, started: true };
      } catch (err) {
        if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
          this.stats.duplicates++;
          log.info('duplicate absorbed: workflow id already started', { workflowId: request.workflowId });
          return { workflowId: request.workflowId, workflowType: request.workflowType, started: false };
        }
        // The SDK turns NOT_FOUND into its own errors, without the gRPC error as cause.
        const code = grpcCode(err) ?? (NOT_FOUND_ERRORS.has((err as Error).name) ? 5 : undefined);
        // The one code of a start that is about the message itself: it goes to the DLQ with the server's reason.
        if (code === GRPC_INVALID_ARGUMENT) {
          throw new StartRejectedError(`Temporal refused to start ${request.workflowType}: ${(err as Error).message}`);
        }
        const outage = code === undefined ? undefined : OUTAGE_GRPC_CODES.get(code);
        if (outage) {
          if (this.stopping) throw new BridgeStoppedError('bridge stopped during a Temporal outage');
          this.markOutage(outage, err);
        } else if (await this.probe()) {
          if (++failuresWhileHealthy >= MAX_ATTEMPTS_WHILE_HEALTHY) throw err;
          await this.sleep(backoffDelay(failuresWhileHealthy, this.backoff));
        } else if (this.stopping) {
          throw new BridgeStoppedError('bridge stopped while Temporal was unreachable');
        } else {
          this.markOutage('unreachable', err);
        }
      }
    }
  }

  /** True when Temporal answers for this namespace with these credentials. */
  private async probe(): Promise<boolean> {
    try {
      await this.client.withDeadline(Date.now() + 3000, () =>
        this.client.workflowService.describeNamespace({ namespace: this.client.options.namespace }),
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Pauses receives until Temporal takes starts again; `reason` is the gRPC code's name, or `unreachable`. */
  private markOutage(reason: string, err: unknown): void {
    if (!this.healthy || this.stopping) return;
    this.healthy = false;
    this.stats.outages++;
    this.outagesByReason.set(reason, (this.outagesByReason.get(reason) ?? 0) + 1);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.logger.error('Temporal outage: receives paused, held messages kept invisible until it takes starts again', {
      reason,
      outagesInARow: this.outageStreak + 1,
      error: err,
    });
    void this.probeUntilReachable(this.outageStreak++);
  }

  private async probeUntilReachable(firstAttempt: number): Promise<void> {
    const since = Date.now();
    for (let attempt = firstAttempt; !this.stopping; attempt++) {
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
