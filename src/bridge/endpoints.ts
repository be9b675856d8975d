/** The bridge's HTTP endpoints: Prometheus /metrics and /healthz, on EBBFLOW_BRIDGE_METRICS_PORT. */
import type { Server } from 'node:http';
import type { EbbflowConfig } from '../config';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import { serveEndpoints, type ListenAddress } from '../http/endpoints';
import { createBridgeMetrics } from './metrics';
import type { BridgeObservable } from './stats';

/**
 * Serves GET /metrics (Prometheus) and /healthz. Health is 200 for as long as the process runs, Temporal outage
 * included: the bridge waits out an outage by design, and a restart would not help; alert on
 * `ebbflow_bridge_temporal_reachable` instead. The body says which state it is in.
 */
export function serveBridgeEndpoints(
  port: ListenAddress,
  bridge: BridgeObservable,
): Promise<{ server: Server; url: string }> {
  const registry = createBridgeMetrics(bridge);
  return serveEndpoints(port, {
    '/metrics': async () => ({ status: 200, type: registry.contentType, body: await registry.metrics() }),
    '/healthz': () => ({
      status: 200,
      type: 'application/json',
      body:
        JSON.stringify({
          state: bridge.temporalReachable ? 'receiving' : 'waiting for Temporal',
          stats: bridge.stats,
        }) + '\n',
    }),
  });
}

/**
 * Serves the bridge's /metrics and /healthz on EBBFLOW_BRIDGE_METRICS_PORT; nothing when it is 0. A port that cannot be
 * listened on stops the bridge and is a configuration error.
 */
export async function serveBridge(
  bridge: BridgeObservable & { stop(): Promise<void> },
  config: EbbflowConfig,
  logger: Logger,
): Promise<Server | undefined> {
  if (config.bridge.metricsPort === 0) return undefined;
  try {
    const { server, url } = await serveBridgeEndpoints(
      { port: config.bridge.metricsPort, host: config.general.metricsHost },
      bridge,
    );
    logger.info('bridge endpoints listening', { metrics: `${url}/metrics`, health: `${url}/healthz` });
    return server;
  } catch (err) {
    await bridge.stop();
    throw new ConfigError(
      `EBBFLOW_BRIDGE_METRICS_PORT: cannot listen on port ${config.bridge.metricsPort} (${(err as Error).message}); ` +
        'choose another port, or 0 for none',
    );
  }
}

/** Closes a server started by serveBridge, if any. */
export async function closeEndpoints(server: Server | undefined): Promise<void> {
  if (server) await new Promise((resolve) => server.close(resolve));
}
