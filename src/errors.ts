/**
 * Error classes shared by the processes. Each sets an explicit `name`: `instanceof` is unreliable across the workflow
 * sandbox and under Jest, so code and tests compare `name`.
 */

/** Thrown at start-up when a setting is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Thrown when a local service (Temporal dev server, AWS emulator) cannot be started or reached. */
export class StackError extends Error {
  override readonly name = 'StackError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A mistake in how a command was called (a missing file, a bad flag); printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The Temporal frontend could not be reached (refused, no answer in time, TLS or credentials rejected). */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A failed call to a service in one line: the error's name when it has one of its own, the first line of its message,
 * and the HTTP status the AWS SDK recorded (`NoSuchBucket: The specified bucket does not exist (HTTP 404)`).
 */
export function serviceErrorLine(err: unknown): string {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & {
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return `${name}${(e.message || String(err)).split('\n')[0]}${status}`;
}
