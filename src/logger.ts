/**
 * One JSON-lines logger for every process: a line per event on stderr, `{ time, level, msg, ...fields }`, so that
 * CloudWatch Logs, Loki or `jq` can read it. Children add fixed fields (`logger.child({ component: 'bridge' })`).
 */
type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

type LogSink = (line: string) => void;

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause ? { cause: serialise(value.cause) } : {}) };
  }
  return value;
}

export function createLogger(
  options: { level?: LogLevel; fields?: Record<string, unknown>; sink?: LogSink } = {},
): Logger {
  const min = ORDER[options.level ?? 'info'];
  const base = options.fields ?? {};
  const sink: LogSink = options.sink ?? ((line) => process.stderr.write(line + '\n'));
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) record[k] = serialise(v);
    sink(JSON.stringify(record));
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ level: options.level, fields: { ...base, ...fields }, sink }),
  };
}

/** A logger that drops everything, for tests of code that takes a Logger. */
export const silentLogger: Logger = createLogger({ sink: () => undefined });
