/**
 * ECS task scale-in protection, set by the worker on itself through the ECS agent
 * (`PUT $ECS_AGENT_URI/task-protection/v1/state`).
 *
 * Protection goes on when the first activity starts and off when the last one ends, so a scale-in chooses idle tasks
 * and never stops one in the middle of its work. While busy, protection is renewed before it expires; the expiry is
 * what frees a task whose worker died holding it. Calls are made one at a time in order, and a failed call is logged,
 * not thrown: an activity must not fail because the agent did not answer. It is made again after 1, 2, 4 … up to 30 s
 * for as long as what it asked for still holds, so that a task busy for an hour is not left unprotected by one failed
 * call, nor an idle one protected until its protection expires.
 */
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
  WorkerOptions,
} from '@temporalio/worker';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';

interface TaskProtectionOptions {
  /** The ECS agent's URI, `$ECS_AGENT_URI` inside a task. */
  agentUri: string;
  logger: Logger;
  /** Protection lifetime asked for each time, minutes. @defaultValue 60 */
  expiresInMinutes?: number;
  /** Renew this long before the protection expires, ms. @defaultValue 5 minutes */
  renewBefore?: number;
  /** HTTP timeout of one call, ms. @defaultValue 5000 */
  timeout?: number;
  /** First wait before a failed call is made again, ms; it doubles up to 30 s. @defaultValue 1000 */
  retryAfter?: number;
}

interface TaskProtection {
  /** One more unit of work started. */
  busy(): void;
  /** One unit of work ended. */
  idle(): void;
  /** Units of work in progress. */
  readonly inFlight: number;
  /** Resolves once every call issued so far has been made. */
  settled(): Promise<void>;
  /** Stops renewing and turns protection off if it is on. */
  close(): Promise<void>;
}

export function createTaskProtection(options: TaskProtectionOptions): TaskProtection {
  const expiresInMinutes = options.expiresInMinutes ?? 60;
  const renewBefore = options.renewBefore ?? 5 * 60_000;
  const url = `${options.agentUri.replace(/\/+$/, '')}/task-protection/v1/state`;
  const logger = options.logger.child({ component: 'task-protection' });
  let inFlight = 0;
  let protectedNow = false;
  let chain: Promise<void> = Promise.resolve();
  let renewTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const firstRetry = options.retryAfter ?? 1000;
  let retryDelay = firstRetry;
  let closed = false;

  /** After a failed call: once the wait is over, ask again for what the work in flight needs, if it still differs. */
  const retryLater = (): void => {
    clearTimeout(retryTimer);
    if (closed) return;
    retryTimer = setTimeout(() => {
      const wanted = inFlight > 0;
      if (wanted !== protectedNow) schedule(wanted);
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, 30_000);
  };

  const put = async (enabled: boolean): Promise<void> => {
    const body = enabled
      ? { ProtectionEnabled: true, ExpiresInMinutes: expiresInMinutes }
      : { ProtectionEnabled: false };
    try {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeout ?? 5000),
      });
      const text = await response.text();
      if (!response.ok || /"failure"|"error"/i.test(text)) {
        logger.warn('task protection not updated', { enabled, status: response.status, body: text.slice(0, 300) });
        retryLater();
        return;
      }
      protectedNow = enabled;
      retryDelay = firstRetry;
      logger.debug(enabled ? 'task protected from scale-in' : 'task protection removed', { expiresInMinutes });
    } catch (err) {
      logger.warn('task protection call failed', { enabled, error: err });
      retryLater();
    }
  };

  const schedule = (enabled: boolean): void => {
    chain = chain.then(() => put(enabled));
  };

  const armRenewal = (): void => {
    clearTimeout(renewTimer);
    const every = Math.max(1000, expiresInMinutes * 60_000 - renewBefore);
    renewTimer = setTimeout(() => {
      if (inFlight > 0) {
        schedule(true);
        armRenewal();
      }
    }, every);
    renewTimer.unref();
  };

  return {
    busy() {
      inFlight++;
      if (inFlight === 1) {
        schedule(true);
        armRenewal();
      }
    },
    idle() {
      if (inFlight === 0) return;
      inFlight--;
      if (inFlight === 0) {
        clearTimeout(renewTimer);
        schedule(false);
      }
    },
    get inFlight() {
      return inFlight;
    },
    settled: () => chain,
    async close() {
      closed = true;
      clearTimeout(renewTimer);
      clearTimeout(retryTimer);
      inFlight = 0;
      await chain;
      if (protectedNow) await put(false);
    },
  };
}

/** Marks the worker busy for the duration of every activity it runs. */
class TaskProtectionInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly protection: TaskProtection) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    this.protection.busy();
    try {
      return await next(input);
    } finally {
      this.protection.idle();
    }
  }
}

/** The worker option `interceptors.activity` entry that keeps a task protected while any activity runs. */
function taskProtectionInterceptors(protection: TaskProtection): ActivityInterceptorsFactory {
  return () => ({ inbound: new TaskProtectionInterceptor(protection) });
}

/** Worker options that turn protection on when the process runs as an ECS task (ECS_AGENT_URI is set). */
export function taskProtectionWorkerOptions(
  config: Pick<EbbflowConfig, 'scaler'>,
  logger: Logger,
): Pick<WorkerOptions, 'interceptors'> {
  if (!config.scaler.ecsAgentUri) return {};
  const protection = createTaskProtection({ agentUri: config.scaler.ecsAgentUri, logger });
  return { interceptors: { activity: [taskProtectionInterceptors(protection)] } };
}
