/**
 * The one typed configuration of every ebbflow process, and the only reader of `process.env`.
 *
 * Each setting is declared once below with its environment variable, its default and a description; the table in
 * docs/configuration.md is printed from the same list (`ebbflow config --markdown`). Values are layered:
 * built-in defaults, then `.ebbflow/dev.json` written by `ebbflow dev` (so commands in another terminal find the local
 * stack without flags), then the environment. Invalid values fail fast with the variable's name.
 *
 * Production needs no code change: point TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE at a cluster or Temporal Cloud (with mTLS
 * or an API key), leave AWS_ENDPOINT_URL unset to talk to real AWS, and set EBBFLOW_DATABASE_URL to PostgreSQL.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { RESIZE_DEFAULTS, RESIZE_LIMITS } from './common/image-variants';
import { SCALING_POLICY_NAMES } from './scaling/names';
import { PRICING_NAMES } from './simulator/cost';

type Parser<T> = (raw: string) => T;

interface Setting<T, D extends string | undefined = string | undefined> {
  readonly env: string;
  readonly description: string;
  readonly parse: Parser<T>;
  /** Default as a string (what a person would type), or undefined for an optional setting. */
  readonly default: D;
  /** Key in `.ebbflow/dev.json` that may supply the value. */
  readonly devKey?: keyof DevState;
}

const str: Parser<string> = (raw) => raw;
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`expected a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
const num =
  (min: number): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`expected a number ≥ ${min}, got "${raw}"`);
    return value;
  };
const parseBool: Parser<boolean> = (raw) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`expected true or false, got "${raw}"`);
};
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) => {
    if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };
/** A comma-separated list: `a, b,c` → ['a', 'b', 'c']; empty items are dropped. */
const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
/** Milliseconds in each unit a duration may be written in, largest first. */
const DURATION_UNITS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
/** Durations as Temporal writes them: `500ms`, `30s`, `5m`, `1h`, or a bare number of milliseconds. */
export const parseDuration: Parser<number> = (raw) => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) throw new Error(`expected a duration such as 500ms, 30s, 5m or 1h, got "${raw}"`);
  return Math.round(Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms') as keyof typeof DURATION_UNITS]);
};

/** A duration from `min` to `max` ms, both included; the bounds are shown as written (`1s`, `12h`). */
const durationWithin =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const value = parseDuration(raw);
    if (value < min || value > max) {
      throw new Error(`expected a duration from ${shownDuration(min)} to ${shownDuration(max)}, got "${raw}"`);
    }
    return value;
  };
/** `ms` in the largest unit that writes it whole, as a setting would be written: `12h`, `90s`, `1ms`. */
function shownDuration(ms: number): string {
  const [unit, size] = Object.entries(DURATION_UNITS).find(([, size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}

function setting<T, D extends string | undefined>(
  env: string,
  parse: Parser<T>,
  def: D,
  description: string,
  devKey?: keyof DevState,
): Setting<T, D> {
  return { env, parse, default: def, description, devKey };
}

/** What `ebbflow dev` records about the local stack it started. */
export interface DevState {
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiUrl: string;
  awsEndpoint: string;
  awsRegion: string;
  inputBucket: string;
  outputBucket: string;
  ingressQueueUrl: string;
  dlqUrl: string;
  notificationTopicArn: string;
  taskQueue: string;
  databaseUrl: string;
  metricsPort: number;
  /** The local scaler's /metrics, /decisions and /cost, when `ebbflow dev` runs one. */
  scalerUrl?: string;
  /** The local scaler's /wake, when `ebbflow dev` runs one: what starts workflows tells it that work has arrived. */
  wakeUrl?: string;
  /** The bridge's /metrics and /healthz, when `ebbflow dev` serves them. */
  bridgeUrl?: string;
  pid: number;
  startedAt: string;
}

/** Every setting, grouped by the part of ebbflow it configures. */
export const SETTINGS = {
  general: {
    stateDir: setting(
      'EBBFLOW_STATE_DIR',
      str,
      '.ebbflow',
      'Folder for local state: dev.json, the dev server database, the venv.',
    ),
    logLevel: setting(
      'EBBFLOW_LOG_LEVEL',
      oneOf('debug', 'info', 'warn', 'error'),
      'info',
      'Least severe log level printed (JSON lines on stderr).',
    ),
    metricsHost: setting(
      'EBBFLOW_METRICS_HOST',
      str,
      undefined,
      'Address the metrics endpoints of worker, bridge and scaler listen on (default all; ebbflow dev: 127.0.0.1).',
    ),
  },
  temporal: {
    address: setting(
      'TEMPORAL_ADDRESS',
      str,
      'localhost:7233',
      'Temporal frontend host:port (Temporal Cloud: <ns>.<acct>.tmprl.cloud:7233).',
      'temporalAddress',
    ),
    namespace: setting('TEMPORAL_NAMESPACE', str, 'default', 'Temporal namespace.', 'temporalNamespace'),
    taskQueue: setting(
      'EBBFLOW_TASK_QUEUE',
      str,
      'ebbflow',
      'Task queue served by the worker and used by the bridge.',
      'taskQueue',
    ),
    apiKey: setting('TEMPORAL_API_KEY', str, undefined, 'API key for Temporal Cloud (implies TLS).'),
    tls: setting(
      'TEMPORAL_TLS',
      parseBool,
      undefined,
      'Connect with TLS; true alone suits a server with a public-CA certificate. Unset: on if an API key, a client certificate, a CA or a server name is set, else off.',
    ),
    tlsCertPath: setting(
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      str,
      undefined,
      'mTLS client certificate (PEM) for a cluster or Temporal Cloud.',
    ),
    tlsKeyPath: setting('TEMPORAL_TLS_CLIENT_KEY_PATH', str, undefined, 'mTLS client private key (PEM).'),
    tlsCertData: setting(
      'TEMPORAL_TLS_CLIENT_CERT_DATA',
      str,
      undefined,
      'mTLS client certificate as PEM text, for platforms that inject secrets as variables (ECS).',
    ),
    tlsKeyData: setting('TEMPORAL_TLS_CLIENT_KEY_DATA', str, undefined, 'mTLS client private key as PEM text.'),
    tlsCaPath: setting(
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      str,
      undefined,
      'CA certificate that signs the server certificate, when not a public CA.',
    ),
    tlsServerName: setting(
      'TEMPORAL_TLS_SERVER_NAME',
      str,
      undefined,
      'Server name to verify, when it differs from the address host (implies TLS).',
    ),
    uiUrl: setting(
      'EBBFLOW_TEMPORAL_UI_URL',
      str,
      'http://localhost:8233',
      'Temporal Web UI, used to print links to runs.',
      'temporalUiUrl',
    ),
  },
  aws: {
    region: setting('AWS_REGION', str, 'us-east-1', 'AWS region.', 'awsRegion'),
    endpoint: setting(
      'AWS_ENDPOINT_URL',
      str,
      undefined,
      'Endpoint override for every AWS service (the emulator locally); unset for real AWS.',
      'awsEndpoint',
    ),
  },
  pipeline: {
    inputBucket: setting(
      'EBBFLOW_INPUT_BUCKET',
      str,
      'ebbflow-input',
      'Bucket that receives uploads; its notifications feed the ingress queue.',
      'inputBucket',
    ),
    outputBucket: setting(
      'EBBFLOW_OUTPUT_BUCKET',
      str,
      'ebbflow-output',
      'Bucket for processed images and reports.',
      'outputBucket',
    ),
    ingressQueueUrl: setting(
      'EBBFLOW_INGRESS_QUEUE_URL',
      str,
      undefined,
      'SQS queue the bridge reads.',
      'ingressQueueUrl',
    ),
    dlqUrl: setting(
      'EBBFLOW_DLQ_URL',
      str,
      undefined,
      'Dead-letter queue for messages the bridge cannot start and work that failed for good.',
      'dlqUrl',
    ),
    notificationTopicArn: setting(
      'EBBFLOW_NOTIFICATION_TOPIC_ARN',
      str,
      undefined,
      'SNS topic for job notifications (reports, failures).',
      'notificationTopicArn',
    ),
  },
  image: {
    maxPixels: setting(
      'EBBFLOW_IMAGE_MAX_PIXELS',
      int(1),
      '100000000',
      'Largest image accepted, in pixels (width × height); larger ones fail as non-retryable (decompression bombs).',
    ),
    maxInputBytes: setting(
      'EBBFLOW_IMAGE_MAX_BYTES',
      int(1),
      String(100 * 1024 * 1024),
      'Largest original accepted, in bytes.',
    ),
    maxAttempts: setting(
      'EBBFLOW_IMAGE_MAX_ATTEMPTS',
      int(RESIZE_LIMITS.maxAttempts.min, RESIZE_LIMITS.maxAttempts.max),
      '3',
      'Attempts of the resize activity before the message goes to the DLQ.',
    ),
    initialRetryInterval: setting(
      'EBBFLOW_IMAGE_RETRY_INITIAL_INTERVAL',
      durationWithin(RESIZE_LIMITS.initialRetryIntervalMs.min, RESIZE_LIMITS.initialRetryIntervalMs.max),
      '1s',
      'First retry delay; doubles each attempt (at most 1h).',
    ),
    activityTimeout: setting(
      'EBBFLOW_IMAGE_ACTIVITY_TIMEOUT',
      durationWithin(RESIZE_LIMITS.activityTimeoutMs.min, RESIZE_LIMITS.activityTimeoutMs.max),
      '2m',
      'Start-to-close timeout of one resize attempt (1s to 1h).',
    ),
    localActivityMaxBytes: setting(
      'EBBFLOW_IMAGE_LOCAL_MAX_BYTES',
      int(RESIZE_LIMITS.localActivityMaxBytes.min, RESIZE_LIMITS.localActivityMaxBytes.max),
      String(RESIZE_DEFAULTS.localActivityMaxBytes),
      'Originals up to this size (per the S3 event) are resized as a local activity; larger or unknown, a regular one. 0 = never.',
    ),
    searchAttributes: setting(
      'EBBFLOW_IMAGE_SEARCH_ATTRIBUTES',
      parseBool,
      'true',
      'Tag image runs with EbbflowSourceBucket/EbbflowSourceKey; the namespace must have them (`ebbflow setup`).',
    ),
    keyPrefix: setting(
      'EBBFLOW_IMAGE_KEY_PREFIX',
      str,
      'uploads/',
      'Images to process arrive under this prefix of the input bucket: the S3 notification covers only it, and the bridge ignores other keys.',
    ),
    keySuffixes: setting(
      'EBBFLOW_IMAGE_KEY_SUFFIXES',
      list,
      '.jpg,.jpeg,.png,.webp,.tif,.tiff,.gif,.avif,.heic,.heif',
      'Image file endings (any case), comma-separated: one notification rule each; the bridge ignores other keys.',
    ),
  },
  worker: {
    maxConcurrentActivities: setting(
      'EBBFLOW_WORKER_MAX_ACTIVITIES',
      int(1),
      '4',
      'Activities one worker runs at once, and as many local resizes besides.',
    ),
    maxConcurrentWorkflowTasks: setting(
      'EBBFLOW_WORKER_MAX_WORKFLOW_TASKS',
      int(1),
      '40',
      'Workflow tasks one worker runs at once; also bounds the small images it holds while resizing them locally.',
    ),
    shutdownGrace: setting(
      'EBBFLOW_WORKER_SHUTDOWN_GRACE',
      parseDuration,
      '30s',
      'On SIGTERM, time given to running activities before they are cancelled.',
    ),
    metricsPort: setting(
      'EBBFLOW_METRICS_PORT',
      int(0, 65535),
      '9464',
      'Port of the worker’s Prometheus /metrics endpoint (0 = none).',
    ),
    bridge: setting(
      'EBBFLOW_WORKER_BRIDGE',
      parseBool,
      'false',
      'Also run the SQS bridge in the worker, which then starts workflows eagerly on itself (one process to deploy).',
    ),
    workflowBundle: setting(
      'EBBFLOW_WORKFLOW_BUNDLE',
      str,
      undefined,
      'Pre-built workflow bundle; defaults to dist/workflow-bundle.js when it exists.',
    ),
  },
  bridge: {
    waitTimeSeconds: setting('EBBFLOW_BRIDGE_WAIT_SECONDS', int(0, 20), '20', 'SQS long-poll wait.'),
    batchSize: setting('EBBFLOW_BRIDGE_BATCH_SIZE', int(1, 10), '10', 'Messages per receive.'),
    receivers: setting('EBBFLOW_BRIDGE_RECEIVERS', int(1, 50), '3', 'Receives kept in flight at once.'),
    maxBackoff: setting(
      'EBBFLOW_BRIDGE_MAX_BACKOFF',
      parseDuration,
      '30s',
      'Longest pause between retries while Temporal is unreachable.',
    ),
    visibilityTimeout: setting(
      'EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT',
      // SQS's own bounds are 0 s to 12 h; a message hidden for no time at all would be received again at once.
      durationWithin(1000, 12 * 3_600_000),
      '60s',
      'Visibility timeout asked for on receive (1s to 12h); extended while a message waits for Temporal.',
    ),
    metricsPort: setting(
      'EBBFLOW_BRIDGE_METRICS_PORT',
      int(0, 65535),
      '9466',
      'Port of the bridge’s Prometheus /metrics and /healthz endpoints (0 = none).',
    ),
    envelopeWorkflows: setting(
      'EBBFLOW_BRIDGE_ENVELOPE_WORKFLOWS',
      list,
      'processImageWorkflow,dailySalesReportWorkflow,etlFanOutWorkflow',
      'Workflows an envelope on the ingress queue may start, comma-separated; others are dead-lettered. S3 events start only processImageWorkflow.',
    ),
    allowedBuckets: setting(
      'EBBFLOW_BRIDGE_ALLOWED_BUCKETS',
      list,
      undefined,
      'Buckets a message may name besides EBBFLOW_INPUT_BUCKET (to read) and EBBFLOW_OUTPUT_BUCKET (to write), comma-separated; others are refused.',
    ),
    wakeUrl: setting(
      'EBBFLOW_BRIDGE_WAKE_URL',
      str,
      undefined,
      'The scaler’s /wake: the bridge and the CLI POST to it (at most once a second) as they start workflows, so a fleet at zero scales out at once (`ebbflow dev` sets it).',
      'wakeUrl',
    ),
    allowedTopics: setting(
      'EBBFLOW_BRIDGE_ALLOWED_TOPICS',
      list,
      undefined,
      'SNS topics an envelope may name besides EBBFLOW_NOTIFICATION_TOPIC_ARN, comma-separated; others are refused.',
    ),
  },
  database: {
    url: setting(
      'EBBFLOW_DATABASE_URL',
      str,
      undefined,
      'postgres://… for PostgreSQL; sqlite:<file> otherwise (default: <state dir>/ebbflow.db).',
      'databaseUrl',
    ),
  },
  etl: {
    parallelism: setting('EBBFLOW_ETL_PARALLELISM', int(1, 1000), '10', 'Sources an ETL run keeps in flight at once.'),
    maxAttempts: setting(
      'EBBFLOW_ETL_MAX_ATTEMPTS',
      int(1, 20),
      '3',
      'Attempts per source before it counts as failed.',
    ),
    retryInitialInterval: setting(
      'EBBFLOW_ETL_RETRY_INITIAL_INTERVAL',
      parseDuration,
      '5s',
      'First delay before a source is retried; doubles each attempt.',
    ),
    heartbeatTimeout: setting(
      'EBBFLOW_ETL_HEARTBEAT_TIMEOUT',
      parseDuration,
      '60s',
      'A source attempt silent for this long (worker lost) is retried from its checkpoint.',
    ),
    batchRows: setting(
      'EBBFLOW_ETL_BATCH_ROWS',
      int(1, 100_000),
      '1000',
      'Rows read per batch, one transaction that upserts the accepted ones and commits the checkpoint a resumed attempt starts from.',
    ),
    maxLineBytes: setting(
      'EBBFLOW_ETL_MAX_LINE_BYTES',
      int(1024),
      String(1024 * 1024),
      'Longest line of a data file, in bytes; a longer one (a file without newlines) fails its source for good.',
    ),
    maxFileBytes: setting(
      'EBBFLOW_ETL_MAX_FILE_BYTES',
      int(1024),
      String(16 * 1024 * 1024 * 1024),
      'Largest data file once decompressed, in bytes; a larger one (a gzip bomb) fails its source for good.',
    ),
  },
  scaler: {
    driver: setting(
      'EBBFLOW_SCALER_DRIVER',
      oneOf('local', 'ecs', 'kubernetes'),
      'local',
      'How capacity is changed: local processes, an ECS service, or a Kubernetes Deployment.',
    ),
    policy: setting(
      'EBBFLOW_SCALER_POLICY',
      oneOf(...SCALING_POLICY_NAMES),
      'ebbflow',
      'ebbflow, or another autoscaler’s rules to compare: aws-target-tracking, keda (temporal trigger), keda-sqs (SQS trigger).',
    ),
    pollInterval: setting(
      'EBBFLOW_SCALER_POLL_INTERVAL',
      // Each poll calls the platform's and Temporal's APIs: faster than once a second only earns throttling.
      durationWithin(1000, 3_600_000),
      '5s',
      'How often the scaler reads the backlog and decides (1s to 1h).',
    ),
    targetBacklogPerTask: setting(
      'EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK',
      num(0.1),
      '5',
      'Backlog per task the scaler aims for.',
    ),
    minTasks: setting('EBBFLOW_SCALER_MIN_TASKS', int(0), '0', 'Fewest tasks (0 lets the fleet scale to zero).'),
    maxTasks: setting('EBBFLOW_SCALER_MAX_TASKS', int(1), '10', 'Most tasks.'),
    scaleOutCooldown: setting(
      'EBBFLOW_SCALER_SCALE_OUT_COOLDOWN',
      parseDuration,
      '60s',
      'Least time after a scale-in before a scale-out, and before a relative step (age objective, after a capped step).',
    ),
    scaleInCooldown: setting(
      'EBBFLOW_SCALER_SCALE_IN_COOLDOWN',
      parseDuration,
      '300s',
      'Least time after any change before a scale-in.',
    ),
    maxStep: setting(
      'EBBFLOW_SCALER_MAX_STEP',
      int(1),
      undefined,
      'Largest change of desired tasks in one decision (unset: no cap).',
    ),
    maxBacklogAge: setting(
      'EBBFLOW_SCALER_MAX_BACKLOG_AGE',
      parseDuration,
      undefined,
      'Scale out when the oldest waiting work is older than this.',
    ),
    ecsCluster: setting('EBBFLOW_ECS_CLUSTER', str, 'ebbflow', 'ECS cluster of the worker service (driver ecs).'),
    ecsService: setting('EBBFLOW_ECS_SERVICE', str, 'ebbflow-worker', 'ECS service of the workers (driver ecs).'),
    k8sNamespace: setting(
      'EBBFLOW_K8S_NAMESPACE',
      str,
      'default',
      'Namespace of the worker Deployment (driver kubernetes).',
    ),
    k8sDeployment: setting('EBBFLOW_K8S_DEPLOYMENT', str, 'ebbflow-worker', 'Worker Deployment (driver kubernetes).'),
    cloudwatchNamespace: setting(
      'EBBFLOW_CLOUDWATCH_NAMESPACE',
      str,
      undefined,
      'When set, backlog per task, fleet size and what the fleet spent are published to CloudWatch under this namespace.',
    ),
    metricsPort: setting(
      'EBBFLOW_SCALER_METRICS_PORT',
      int(0, 65535),
      '9465',
      'Port of the scaler’s /metrics, /decisions, /cost and /wake endpoints.',
    ),
    k8sApiUrl: setting(
      'EBBFLOW_K8S_API_URL',
      str,
      undefined,
      'Kubernetes API for driver kubernetes, e.g. http://127.0.0.1:8001 from kubectl proxy; unset: the in-cluster service account.',
    ),
    localStandby: setting(
      'EBBFLOW_SCALER_STANDBY',
      parseBool,
      'true',
      'Local driver: keep one worker booted, not polling, below the most tasks; a scale-out promotes it at once.',
    ),
    drainGrace: setting(
      'EBBFLOW_SCALER_DRAIN_GRACE',
      parseDuration,
      '45s',
      'Local driver: time a worker gets after SIGTERM to finish its activities before it is killed.',
    ),
    url: setting(
      'EBBFLOW_SCALER_URL',
      str,
      undefined,
      'Where the scaler’s endpoints answer, for `ebbflow status` to show the fleet and what it has cost (`ebbflow dev` sets it).',
      'scalerUrl',
    ),
    taskVcpu: setting(
      'EBBFLOW_SCALER_TASK_VCPU',
      num(0.25),
      undefined,
      'vCPUs of one worker task, for the cost estimate (unset: read from the ECS task definition or the pod requests; local: 0.5).',
    ),
    taskMemoryGb: setting(
      'EBBFLOW_SCALER_TASK_MEMORY_GB',
      num(0.5),
      undefined,
      'Memory of one worker task in GB, for the cost estimate (unset: read as the vCPUs are; local: 1).',
    ),
    pricing: setting(
      'EBBFLOW_SCALER_PRICING',
      oneOf(...PRICING_NAMES),
      undefined,
      'Fargate prices the cost estimate uses: on-demand, arm or spot (unset: from the task definition, else on-demand).',
    ),
    ecsAgentUri: setting(
      'ECS_AGENT_URI',
      str,
      undefined,
      'Set by ECS inside a task: the worker then holds scale-in protection while an activity runs.',
    ),
  },
} as const;

/** The value a setting resolves to. */
type SettingValue<S> = S extends Setting<infer T> ? T : never;
/** Spells an intersection out as one object type, so editors show the resolved keys. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** One group of SETTINGS resolved: a setting with a default always has a value, one without may be missing. */
type ResolvedGroup<G> = Simplify<
  { -readonly [K in keyof G as G[K] extends Setting<unknown, string> ? K : never]: SettingValue<G[K]> } & {
    -readonly [K in keyof G as G[K] extends Setting<unknown, string> ? never : K]?: SettingValue<G[K]>;
  }
>;

/** The resolved configuration: one object per group of SETTINGS, plus what `loadConfig` derives from them. */
export type EbbflowConfig = Simplify<
  { [Group in keyof typeof SETTINGS]: ResolvedGroup<(typeof SETTINGS)[Group]> } & {
    aws: {
      /** True when an endpoint override is set and no AWS credentials are in the environment. */
      emulatorCredentials: boolean;
    };
    /** Defaults to SQLite in the state folder when EBBFLOW_DATABASE_URL is unset. */
    database: { url: string };
  }
>;

/** False when no process has this id; a process of another user (EPERM) is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** dev.json files already said to be left by a stack that is gone: the warning is given once per process. */
const staleWarned = new Set<string>();

/**
 * Reads `<stateDir>/dev.json` if `ebbflow dev` wrote one and is still running. A file left by a stack that was killed
 * is ignored with a warning: its servers are gone, and trusting it would have commands wait for them and then blame
 * settings the user never set.
 */
function readDevState(stateDir: string): Partial<DevState> | undefined {
  const file = path.join(stateDir, 'dev.json');
  if (!existsSync(file)) return undefined;
  let state: Partial<DevState>;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevState>;
  } catch (err) {
    throw new ConfigError(
      `${file} is not valid JSON (${(err as Error).message}); delete it (ebbflow dev writes a new one when it starts)`,
    );
  }
  if (typeof state.pid === 'number' && !isAlive(state.pid)) {
    if (!staleWarned.has(file)) {
      staleWarned.add(file);
      process.stderr.write(
        `warning: ignoring ${file}: the ebbflow dev that wrote it (pid ${state.pid}) is no longer running; start it again, or delete the file\n`,
      );
    }
    return undefined;
  }
  return state;
}

/**
 * Resolves every setting from defaults, the dev state and the environment. Throws a ConfigError naming the variable
 * when a value does not parse, or when a required setting has no value.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { useDevState?: boolean } = {},
): EbbflowConfig {
  const stateDir = path.resolve(env.EBBFLOW_STATE_DIR ?? SETTINGS.general.stateDir.default ?? '.ebbflow');
  const dev = options.useDevState === false ? undefined : readDevState(stateDir);
  const problems: string[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, settings] of Object.entries(SETTINGS)) {
    const values: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
      const fromEnv = env[s.env];
      const fromDev = s.devKey && dev?.[s.devKey] !== undefined ? String(dev[s.devKey]) : undefined;
      const raw = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (fromDev ?? s.default);
      if (raw === undefined) continue;
      try {
        values[key] = s.parse(raw);
      } catch (err) {
        const source = fromEnv ? s.env : fromDev ? `${s.env} (from ${path.join(stateDir, 'dev.json')})` : s.env;
        problems.push(`${source}: ${(err as Error).message}`);
      }
    }
    out[group] = values;
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const config = out as EbbflowConfig;
  config.general.stateDir = stateDir;
  config.aws.emulatorCredentials =
    config.aws.endpoint !== undefined && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE && !env.AWS_WEB_IDENTITY_TOKEN_FILE;
  config.database.url ??= `sqlite:${path.join(stateDir, 'ebbflow.db')}`;
  if (config.scaler.minTasks > config.scaler.maxTasks) {
    throw new ConfigError(
      `invalid configuration:\n  EBBFLOW_SCALER_MIN_TASKS (${config.scaler.minTasks}) is above EBBFLOW_SCALER_MAX_TASKS (${config.scaler.maxTasks})`,
    );
  }
  if (config.pipeline.inputBucket === config.pipeline.outputBucket) {
    throw new ConfigError(
      `invalid configuration:\n  EBBFLOW_INPUT_BUCKET and EBBFLOW_OUTPUT_BUCKET are both "${config.pipeline.inputBucket}": variants written to the input bucket would be processed again; use two buckets`,
    );
  }
  const t = config.temporal;
  if (Boolean(t.tlsCertPath || t.tlsCertData) !== Boolean(t.tlsKeyPath || t.tlsKeyData)) {
    throw new ConfigError(
      'invalid configuration:\n  a client certificate and its key must be set together (TEMPORAL_TLS_CLIENT_CERT_PATH or _DATA with TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA)',
    );
  }
  if (t.tls === false && (t.tlsCertPath || t.tlsCertData || t.tlsCaPath || t.tlsServerName)) {
    throw new ConfigError(
      'invalid configuration:\n  TEMPORAL_TLS is false but a client certificate, a CA certificate or a server name is set; unset TEMPORAL_TLS or those settings',
    );
  }
  return config;
}

/**
 * A database URL with its password replaced by `***`. Text that does not parse as a URL keeps its shape, with
 * anything between `user:` and `@` hidden all the same (a mistyped URL still carries its password).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/([^:/@\s]+:)[^@/\s]+@/, '$1***@');
  }
}

/** The configuration as it may be shown or logged: API key, private key and database password replaced by `***`. */
export function redactConfig(config: EbbflowConfig): EbbflowConfig {
  const hidden = (value: string | undefined) => (value ? '***' : undefined);
  return {
    ...config,
    temporal: {
      ...config.temporal,
      apiKey: hidden(config.temporal.apiKey),
      tlsKeyData: hidden(config.temporal.tlsKeyData),
    },
    database: { ...config.database, url: redactUrl(config.database.url) },
  };
}

/** Returns the value or throws a ConfigError that names the variable to set. */
export function required<T>(value: T | undefined, env: string, hint = ''): T {
  if (value === undefined || value === '') {
    throw new ConfigError(`${env} is not set${hint ? `: ${hint}` : ''} (or start the local stack with: ebbflow dev)`);
  }
  return value;
}

/** The configuration table (every group, or the given ones) as Markdown: docs/configuration.md, docs/scaling.md, `ebbflow config --markdown`. */
export function settingsMarkdown(
  groups: readonly (keyof typeof SETTINGS)[] = Object.keys(SETTINGS) as (keyof typeof SETTINGS)[],
): string {
  const rows = ['| Variable | Default | Description |', '| --- | --- | --- |'];
  for (const settings of groups.map((group) => SETTINGS[group])) {
    for (const s of Object.values(settings) as Setting<unknown>[]) {
      rows.push(`| \`${s.env}\` | ${s.default === undefined ? '—' : `\`${s.default}\``} | ${s.description} |`);
    }
  }
  return rows.join('\n');
}
