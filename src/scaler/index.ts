/** Builds and runs the live scaler from the configuration: `ebbflow scaler` and `ebbflow dev` use this. */
import type { Server } from 'node:http';
import { createAwsClients } from '../aws/clients';
import type { EbbflowConfig } from '../config';
import type { Logger } from '../logger';
import { connectClient } from '../temporal/connection';
import { createCostMeter, readTaskPrice, taskPriceOf } from './cost-meter';
import type { CapacityDriver } from './driver';
import { createEcsDriver } from './ecs';
import { EXIT_MARGIN, gracesFor } from './grace';
import { createKubernetesDriver } from './kubernetes';
import { createLocalDriver } from './local';
import { cloudWatchPublisher, createScalerMetrics, serveScalerEndpoints, type ScalerMetrics } from './metrics';
import { policyFromConfig } from '../scaling/policy';
import { createScaler, type Scaler } from './scaler';
import { createSignalReader } from './signals';

async function createDriver(config: EbbflowConfig, logger: Logger, metrics?: ScalerMetrics): Promise<CapacityDriver> {
  const s = config.scaler;
  switch (s.driver) {
    case 'ecs':
      return createEcsDriver({ ecs: createAwsClients(config.aws).ecs, cluster: s.ecsCluster, service: s.ecsService });
    case 'kubernetes':
      return createKubernetesDriver({
        namespace: s.k8sNamespace,
        deployment: s.k8sDeployment,
        apiUrl: s.k8sApiUrl,
        metricsPort: config.worker.metricsPort,
        requiredGrace: gracesFor(config).workerShutdownGrace + EXIT_MARGIN,
        logger,
      });
    case 'local': {
      const graces = gracesFor(config);
      if (graces.drainGrace > s.drainGrace) {
        logger.info('drain grace raised to cover the activity timeout', {
          activityTimeoutMs: config.image.activityTimeout,
          ...graces,
        });
      }
      return createLocalDriver({
        logger,
        drainGrace: graces.drainGrace,
        onExit: (outcome) => metrics?.workerExits.inc({ outcome }),
        standby: s.localStandby,
        maxWorkers: s.maxTasks,
      });
    }
  }
}

interface RunningScaler {
  scaler: Scaler;
  url: string;
  /** Stops polling, drains local workers, closes connections. */
  stop(): Promise<void>;
}

/** How often the local driver's scaler looks at the queues while its fleet is at zero... */
const LOCAL_IDLE_POLL_MS = 500;
/**
 * ...for the first minute. Then it polls at EBBFLOW_SCALER_POLL_INTERVAL: the half-second polls (the scaler, and the
 * emulator and Temporal server answering it) were four fifths of what a stack at rest spends, about 5 % of a core
 * against 1 % without them (docs/benchmarks.md, the `dev` section).
 */
export const LOCAL_REST_AFTER_MS = 60_000;

export async function startScaler(
  config: EbbflowConfig,
  logger: Logger,
  driver?: CapacityDriver,
): Promise<RunningScaler> {
  const policy = policyFromConfig(config.scaler);
  const aws = createAwsClients(config.aws);
  const client = await connectClient(config.temporal);
  const metrics = createScalerMetrics();
  const capacity = driver ?? (await createDriver(config, logger, metrics));
  const { taskVcpu, taskMemoryGb, pricing } = config.scaler;
  const price = await taskPriceOf(capacity, { taskVcpu, taskMemoryGb, pricing }, logger);
  metrics.priced(price);
  const meter = createCostMeter(price, Date.now());
  const scaler = createScaler({
    policy,
    policyName: config.scaler.policy,
    driver: capacity,
    // Local processes are cheap to watch: at zero, look every half second for a minute, so work that arrives soon
    // after a batch waits for a worker and not for a poll as well, whatever started it. Later, work the bridge or the
    // CLI starts wakes the scaler (EBBFLOW_BRIDGE_WAKE_URL); work started otherwise waits for the next poll.
    idleInterval: config.scaler.driver === 'local' ? LOCAL_IDLE_POLL_MS : undefined,
    restAfter: config.scaler.driver === 'local' ? LOCAL_REST_AFTER_MS : undefined,
    logger,
    metrics,
    meter,
    priceTasks: () => readTaskPrice(capacity, { taskVcpu, taskMemoryGb, pricing }),
    readSignals: createSignalReader({
      sqs: aws.sqs,
      queueUrl: config.pipeline.ingressQueueUrl,
      temporal: client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
    }),
    publish: config.scaler.cloudwatchNamespace
      ? cloudWatchPublisher(aws.cloudwatch, config.scaler.cloudwatchNamespace, config.temporal.taskQueue)
      : undefined,
  });
  const { server, url }: { server: Server; url: string } = await serveScalerEndpoints(
    { port: config.scaler.metricsPort, host: config.general.metricsHost },
    metrics,
    () => scaler.decisions,
    () => {
      const polled = scaler.wake();
      metrics.wakes.inc({ result: polled ? 'polled' : 'ignored' });
      return polled;
    },
    () => meter.reading(),
  );
  logger.info('scaler endpoints listening', {
    metrics: `${url}/metrics`,
    decisions: `${url}/decisions`,
    wake: `${url}/wake`,
    cost: `${url}/cost`,
  });
  const abort = new AbortController();
  const loop = scaler.run(config.scaler.pollInterval, abort.signal);
  return {
    scaler,
    url,
    async stop() {
      abort.abort();
      await loop;
      await capacity.close();
      await new Promise((resolve) => server.close(resolve));
      await client.connection.close();
    },
  };
}
