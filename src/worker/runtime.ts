/** The Temporal SDK's process-wide runtime: its Prometheus endpoint and its logs through ebbflow's logger. */
import { LogTimestamp, Runtime, type LogMetadata } from '@temporalio/worker';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { NODE_FLAGS } from '../node-flags';

/** host:port for the SDK's Prometheus endpoint: all IPv4 interfaces unless a host is configured. */
function bindAddress(host: string | undefined, port: number): string {
  if (!host) return `0.0.0.0:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The SDK core warns (TMPRL1104) about every workflow task that lasts longer than this many seconds, 5 unless set. A
 * workflow task that resizes an image as a local activity lasts as long as the resize and its wait for a free slot,
 * so under a backlog nearly every image would warn. Ebbflow warns from the workflow task timeout (10 s) on: a task that
 * long needed the worker to extend it, which says the worker is saturated. A value in the environment is kept.
 */
const WORKFLOW_TASK_WARN_SECONDS = '10';
const WORKFLOW_TASK_WARN_VARIABLE = 'TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS';

/**
 * Installs the SDK runtime once per process, with the Prometheus endpoint when a port is configured. The SDK core's
 * own log lines (warnings and errors) go through ebbflow's logger too, so that a worker's output is one JSON object
 * per line, as log collectors parse it.
 */
export function installRuntime(config: EbbflowConfig, logger: Logger): void {
  const port = config.worker.metricsPort;
  // Read by the SDK core in this process's environment, the first time a workflow task completes.
  process.env[WORKFLOW_TASK_WARN_VARIABLE] ??= WORKFLOW_TASK_WARN_SECONDS;
  Runtime.install({
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      metrics:
        port > 0
          ? { prometheus: { bindAddress: bindAddress(config.general.metricsHost, port), useSecondsForDurations: true } }
          : undefined,
    },
    logger: {
      log: (level, message, meta) => {
        const fields = sdkLogFields(meta);
        if (level === 'ERROR') logger.error(message, fields);
        else if (level === 'WARN') logger.warn(message, fields);
        else if (level === 'INFO') logger.info(message, fields);
        else logger.debug(message, fields);
      },
      trace: () => undefined,
      debug: (message, meta) => logger.debug(message, sdkLogFields(meta)),
      info: (message, meta) => logger.info(message, sdkLogFields(meta)),
      warn: (message, meta) => logger.warn(message, sdkLogFields(meta)),
      error: (message, meta) => logger.error(message, sdkLogFields(meta)),
    },
  });
  if (port > 0) logger.info('metrics endpoint listening', { url: `http://localhost:${port}/metrics` });
}

/**
 * The fields of one SDK log line. The SDK holds its lines back for about a tenth of a second to put the core's and its
 * own in order, and stamps each with the moment it was logged: that moment is the line's `time`, not the moment it
 * reaches ebbflow's logger.
 */
export function sdkLogFields(meta: LogMetadata | undefined): Record<string, unknown> | undefined {
  const at = meta?.[LogTimestamp];
  if (typeof at !== 'bigint') return meta;
  return { ...meta, time: new Date(Number(at / 1_000_000n)).toISOString() };
}

/** Says so when node runs without the flags ebbflow starts it with: images then cost more CPU. */
export function noteMissingNodeFlags(logger: Logger): void {
  const missing = NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length > 0) {
    logger.info(
      'node runs without the flags ebbflow starts it with (NODE_FLAGS, src/node-flags.ts); images cost more CPU',
      {
        missing,
        run: `node ${NODE_FLAGS.join(' ')} bin/ebbflow.js worker`,
      },
    );
  }
}
