/**
 * The embedded local stack behind `ebbflow dev`: the Temporal dev server with its UI (SQLite-backed, so runs survive a
 * restart), the AWS emulator with the pipeline provisioned, and ebbflow's own processes (bridge, scaler or workers) as
 * child processes of this one. What it started is recorded in `<state dir>/dev.json`, which every other command reads.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../aws/clients';
import { pipelineNames, provisionPipeline } from '../aws/provision';
import { SEARCH_ATTRIBUTE_TYPES } from '../common/constants';
import { isAlive, SETTINGS, type DevState, type EbbflowConfig } from '../config';
import { StackError } from '../errors';
import type { Logger } from '../logger';
import { queueDepth } from '../pipeline/status';
import { EXIT_MARGIN, gracesFor } from '../scaler/grace';
import { cliCommand } from '../paths';
import {
  allocatorEnv,
  assertPortsFree,
  startMoto,
  startProcess,
  startTemporalDevServer,
  waitFor,
  type ManagedProcess,
} from './processes';

interface DevStackOptions {
  temporalPort: number;
  uiPort: number;
  awsPort: number;
  /** Prefix of bucket and queue names. */
  prefix: string;
  namespace: string;
  taskQueue: string;
  /** Run the Temporal server without its Web UI. */
  headless?: boolean;
  /** ebbflow processes to run beside the servers, e.g. [['bridge'], ['scaler']]. */
  processes: string[][];
  /** Extra environment for those processes. */
  processEnv?: Record<string, string>;
  /** Port of the local scaler's endpoints, when one of the processes is the scaler. */
  scalerPort?: number;
  /** Port of the bridge's /metrics and /healthz, when one of the processes is the bridge; none when absent. */
  bridgePort?: number;
}

/**
 * True once the ingress queue holds nothing. S3 sends an `s3:TestEvent` when the notification is configured; a
 * scaler started before the bridge acknowledges it counts it as backlog and starts a worker for nothing, which then
 * idles until the scale-in cooldown has passed.
 */
async function ingressEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const depth = await queueDepth(sqs, queueUrl);
  return depth.visible + depth.inFlight + depth.delayed === 0;
}

interface DevStack {
  state: DevState;
  processes: ManagedProcess[];
  logDir: string;
  /** Resolves with the first process of the stack that exits before stop() is called: the stack cannot run on. */
  lost: Promise<ManagedProcess>;
  stop(): Promise<void>;
}

/**
 * The Temporal settings dev.json does not supply: API key and TLS, for a cluster or Temporal Cloud. The dev server is
 * plaintext and a client given any of them connects with TLS.
 */
const TEMPORAL_CREDENTIALS = (Object.values(SETTINGS.temporal) as { env: string; devKey?: keyof DevState }[])
  .filter((s) => !s.devKey)
  .map((s) => s.env);

/**
 * The environment of the stack's processes and of its own clients: `base` (the shell's) with every setting dev.json
 * supplies set to the stack's value, or removed where the stack has none, and without Temporal credentials. A shell set
 * up for Temporal Cloud or real AWS would otherwise send local workers and the local bridge there, as the environment
 * wins over dev.json. Also returns the exported variables this replaces or drops, to tell the user.
 */
export function stackEnv(state: DevState, base: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; overridden: string[] } {
  const env: NodeJS.ProcessEnv = { ...base };
  const overridden: string[] = [];
  for (const group of Object.values(SETTINGS)) {
    for (const s of Object.values(group) as { env: string; devKey?: keyof DevState }[]) {
      if (!s.devKey) continue;
      const value = state[s.devKey] === undefined ? undefined : String(state[s.devKey]);
      if (base[s.env] && base[s.env] !== value) overridden.push(s.env);
      if (value === undefined) delete env[s.env];
      else env[s.env] = value;
    }
  }
  for (const name of TEMPORAL_CREDENTIALS) {
    if (env[name]) overridden.push(name);
    delete env[name];
  }
  return { env, overridden };
}

/**
 * From SIGTERM to SIGKILL for ebbflow's processes at stop: the scaler drains its workers for the local drain grace
 * (which covers a worker's shutdown grace) and then exits, so it gets that and the margin a process has to exit.
 */
export function stopGraceFor(config: Pick<EbbflowConfig, 'image' | 'worker' | 'scaler'>): number {
  return gracesFor(config).drainGrace + EXIT_MARGIN;
}

/** Refuses to start a second stack over a live one (its dev.json names a running process). */
function assertNoRunningStack(stateDir: string): void {
  const file = path.join(stateDir, 'dev.json');
  if (!existsSync(file)) return;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevState>;
    if (state.pid && state.pid !== process.pid && isAlive(state.pid)) {
      const where = [`pid ${state.pid}`, `Temporal at ${state.temporalAddress}`];
      if (state.temporalUiUrl) where.push(`UI ${state.temporalUiUrl}`);
      throw new StackError(
        `ebbflow dev is already running (${where.join(', ')}). Stop it with Ctrl-C there, or use another EBBFLOW_STATE_DIR.`,
      );
    }
  } catch (err) {
    if ((err as Error).name === 'StackError') throw err;
  }
  rmSync(file, { force: true });
}

export async function startDevStack(
  config: EbbflowConfig,
  options: DevStackOptions,
  logger: Logger,
): Promise<DevStack> {
  const stateDir = config.general.stateDir;
  const logDir = path.join(stateDir, 'logs');
  assertNoRunningStack(stateDir);
  // The logs are the owner's only (each file is created 0600); chmod also closes a folder an older stack left open.
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  chmodSync(logDir, 0o700);
  const ports: Record<string, number> = { 'Temporal frontend': options.temporalPort, 'AWS emulator': options.awsPort };
  if (!options.headless) ports['Temporal UI'] = options.uiPort;
  if (options.scalerPort) ports['scaler'] = options.scalerPort;
  if (options.bridgePort) ports['bridge metrics'] = options.bridgePort;
  await assertPortsFree(ports);

  const started: ManagedProcess[] = [];
  let stopping = false;
  let lose: (proc: ManagedProcess) => void = () => undefined;
  const lost = new Promise<ManagedProcess>((resolve) => (lose = resolve));
  const follow = (proc: ManagedProcess): void => {
    started.push(proc);
    void proc.exited.then(() => {
      if (!stopping) lose(proc);
    });
  };
  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const proc of [...started].reverse()) {
      await proc.stop(proc.name.startsWith('ebbflow') ? stopGraceFor(config) : 10_000);
    }
    rmSync(path.join(stateDir, 'dev.json'), { force: true });
  };
  try {
    logger.info('starting the Temporal dev server and the AWS emulator');
    const servers = await Promise.allSettled([
      startTemporalDevServer({
        port: options.temporalPort,
        uiPort: options.uiPort,
        headless: options.headless,
        dbFile: path.join(stateDir, 'temporal.db'),
        namespace: options.namespace,
        logFile: path.join(logDir, 'temporal.log'),
        searchAttributes: SEARCH_ATTRIBUTE_TYPES,
      }),
      startMoto({ port: options.awsPort, logFile: path.join(logDir, 'aws-emulator.log') }),
    ]);
    // One that started is stopped with the stack when the other could not start.
    for (const server of servers) if (server.status === 'fulfilled') follow(server.value);
    for (const server of servers) if (server.status === 'rejected') throw server.reason;

    const awsEndpoint = `http://127.0.0.1:${options.awsPort}`;
    const aws = createAwsClients({ region: config.aws.region, endpoint: awsEndpoint, emulatorCredentials: true });
    const resources = await provisionPipeline(aws, {
      ...pipelineNames(options.prefix),
      imagePrefix: config.image.keyPrefix,
      imageSuffixes: config.image.keySuffixes,
    });
    const state: DevState = {
      temporalAddress: `127.0.0.1:${options.temporalPort}`,
      temporalNamespace: options.namespace,
      temporalUiUrl: options.headless ? '' : `http://localhost:${options.uiPort}`,
      awsEndpoint,
      awsRegion: config.aws.region,
      inputBucket: resources.inputBucket,
      outputBucket: resources.outputBucket,
      ingressQueueUrl: resources.ingressQueueUrl,
      dlqUrl: resources.dlqUrl,
      notificationTopicArn: resources.notificationTopicArn,
      taskQueue: options.taskQueue,
      databaseUrl: config.database.url,
      metricsPort: config.worker.metricsPort,
      scalerUrl: options.scalerPort ? `http://127.0.0.1:${options.scalerPort}` : undefined,
      // The bridge, and commands in another terminal, wake the scaler as they start work: a fleet at zero does not
      // wait for a poll.
      wakeUrl: options.scalerPort ? `http://127.0.0.1:${options.scalerPort}/wake` : undefined,
      bridgeUrl: options.bridgePort ? `http://127.0.0.1:${options.bridgePort}` : undefined,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    // Readable by its owner only: it may hold the database URL with its password.
    const devJson = path.join(stateDir, 'dev.json');
    writeFileSync(devJson, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    chmodSync(devJson, 0o600); // a file left by a stack that was killed keeps its old mode through writeFileSync

    // Children read dev.json through the config module, exactly as a command in another terminal would; the stack's
    // own addresses are also in their environment, where they win over what the shell exports.
    const { env: shellEnv, overridden } = stackEnv(state, process.env);
    if (overridden.length > 0) {
      logger.warn(`the local stack's processes ignore what this shell exports for ${overridden.join(', ')}`, {
        overridden,
      });
    }
    const env = {
      ...shellEnv,
      EBBFLOW_STATE_DIR: stateDir,
      ...(options.scalerPort ? { EBBFLOW_SCALER_METRICS_PORT: String(options.scalerPort) } : {}),
      EBBFLOW_BRIDGE_METRICS_PORT: String(options.bridgePort ?? 0),
      // The endpoints of a development stack are for this machine only.
      EBBFLOW_METRICS_HOST: '127.0.0.1',
      ...allocatorEnv(),
      ...options.processEnv,
    };
    let bridge: ManagedProcess | undefined;
    for (const args of options.processes) {
      if (args[0] === 'scaler' && bridge) {
        // Started anyway after 15 s, or at once if the bridge has died.
        await waitFor('the ingress queue', () => ingressEmpty(aws.sqs, resources.ingressQueueUrl), {
          timeoutMs: 15_000,
          intervalMs: 250,
          abort: bridge.exited,
        }).catch(() => undefined);
      }
      const name = `ebbflow ${args[0]}`;
      const [program, ...argv] = cliCommand(...args);
      const proc = startProcess(name, program, argv, {
        env,
        logFile: path.join(logDir, `${args[0]}.log`),
      });
      follow(proc);
      if (args[0] === 'bridge') bridge = proc;
    }
    return { state, processes: started, logDir, lost, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
