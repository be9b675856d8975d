/** What every command needs: the config and a logger, with errors turned into clear messages and exit codes. */
import { loadConfig, type EbbflowConfig } from '../config';
import { createLogger, type Logger } from '../logger';

export { UsageError } from '../errors';

export interface CliContext {
  config: EbbflowConfig;
  logger: Logger;
}

export function cliContext(component: string): CliContext {
  const config = loadConfig();
  const logger = createLogger({ level: config.general.logLevel, fields: { component } });
  return { config, logger };
}

/** Runs a command's body; known errors print one clear line and exit non-zero instead of a stack trace. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      const e = err as Error;
      const known = ['ConfigError', 'StackError', 'UsageError', 'TemporalUnreachableError'].includes(e.name);
      process.stderr.write(`ebbflow: ${known ? e.message : (e.stack ?? String(e))}\n`);
      // 2: the command or its settings are wrong; 1: a service is down or something failed on the way.
      process.exitCode = e.name === 'ConfigError' || e.name === 'UsageError' ? 2 : 1;
    }
  };
}
