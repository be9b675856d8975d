/** What every command needs: the config and a logger, with errors turned into clear messages and exit codes. */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { loadConfig, type EbbflowConfig } from '../config';
import { serviceErrorLine, UsageError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { wakeOnStart } from '../bridge/wake';
import { connectClient, GRPC_INVALID_ARGUMENT, grpcCode } from '../temporal/connection';

export { UsageError } from '../errors';

interface CliContext {
  config: EbbflowConfig;
  logger: Logger;
}

export function cliContext(component: string): CliContext {
  const config = loadConfig();
  const logger = createLogger({ level: config.general.logLevel, fields: { component } });
  return { config, logger };
}

/**
 * A Temporal client for a command: the workflows it starts wake the scaler when one listens (EBBFLOW_BRIDGE_WAKE_URL,
 * which `ebbflow dev` records for commands in another terminal), so a fleet at zero does not wait for a poll.
 */
export function cliClient(config: EbbflowConfig): Promise<Client> {
  return connectClient(config.temporal, {
    interceptors: config.bridge.wakeUrl ? [wakeOnStart(config.bridge.wakeUrl)] : [],
  });
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
};

/**
 * What Temporal refuses because of what the command asked for, in a line that says what to do; undefined for the
 * rest. Told apart by name and gRPC code: `instanceof` fails across copies of the SDK.
 */
function temporalRefusal(e: Error & { scheduleId?: string; workflowId?: string; cause?: unknown }): string | undefined {
  switch (e.name) {
    case 'ScheduleNotFoundError':
      return `no schedule ${e.scheduleId}: \`ebbflow schedule list\` shows the schedules there are`;
    case 'ScheduleAlreadyRunning':
      return (
        `schedule ${e.scheduleId} exists already: to replace it, \`ebbflow schedule delete ${e.scheduleId}\` first; ` +
        'or create this one under another --id'
      );
    case 'WorkflowExecutionAlreadyStartedError':
      return `a workflow with id ${e.workflowId} is running already: start this one under another id (--id), or wait until that one closes`;
  }
  if (grpcCode(e) === GRPC_INVALID_ARGUMENT) {
    const details = (e.cause as { details?: string } | undefined)?.details;
    return `Temporal refused the request: ${details ?? e.message}`;
  }
  return undefined;
}

/** What the AWS SDK's "Could not load credentials from any providers" means for a command, and what to do. */
const NO_AWS_CREDENTIALS =
  'no AWS credentials: the AWS SDK found none in the environment, the shared config files or a task or instance ' +
  'role. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for a local `ebbflow dev`, run the command ' +
  'from its project folder or point EBBFLOW_STATE_DIR at its state folder (its dev.json names the emulator). ' +
  '`ebbflow config` shows what is in effect.';

const FILE_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
};

/** A file the command was given that cannot be read or written, named with the reason; undefined for the rest. */
function fileProblem(e: Error & { code?: string; path?: string }): string | undefined {
  const reason = e.code ? FILE_REASONS[e.code] : undefined;
  if (!reason || typeof e.path !== 'string') return undefined;
  return `${e.path}: ${reason}`;
}

/**
 * Reads a text file the command was given with `option`.
 * @throws UsageError naming the option, the file and why it cannot be read.
 */
export function readGivenFile(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new UsageError(`${option} ${file}: ${(e.code && FILE_REASONS[e.code]) ?? e.message}`);
  }
}

/** The one line a failed command prints, and its exit code: 2 when the command or its settings are wrong, 1 else. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & {
    code?: string;
    address?: string;
    port?: number;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.name === 'ConfigError' || e.name === 'UsageError') return { message: e.message, exitCode: 2 };
  if (e.name === 'StackError' || e.name === 'TemporalUnreachableError') return { message: e.message, exitCode: 1 };
  if (e.name === 'CredentialsProviderError') return { message: NO_AWS_CREDENTIALS, exitCode: 2 };
  const file = fileProblem(e);
  if (file) return { message: file, exitCode: 2 };
  const refusal = temporalRefusal(e);
  if (refusal) return { message: refusal, exitCode: 2 };
  const reason = e.code ? NETWORK_REASONS[e.code] : undefined;
  if (reason) {
    const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : 'a service';
    // The AWS SDK marks what it sends with $metadata; anything else (the database) gets no AWS hint.
    const hint = e.$metadata
      ? 'AWS calls go to AWS_ENDPOINT_URL when set (the emulator of `ebbflow dev`), to AWS otherwise.'
      : 'Check that the service runs there.';
    return {
      message: `cannot connect to ${where}: ${reason}. ${hint} \`ebbflow config\` shows what is in effect.`,
      exitCode: 1,
    };
  }
  if (e.$metadata) return { message: `AWS refused the request: ${serviceErrorLine(e)}`, exitCode: 1 };
  return { message: e.stack ?? String(e), exitCode: 1 };
}

/** Runs a command's body; known errors print one clear line and exit non-zero instead of a stack trace. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      const { message, exitCode } = describeFailure(err);
      process.stderr.write(`ebbflow: ${message}\n`);
      process.exitCode = exitCode;
    }
  };
}
