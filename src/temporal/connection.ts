/**
 * Connections to Temporal built from config: the local dev server, a self-hosted cluster (mTLS) or Temporal Cloud
 * (mTLS or API key) by configuration alone.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { EbbflowConfig } from '../config';

type TemporalConfig = EbbflowConfig['temporal'];

function tlsOptions(config: TemporalConfig): TLSConfig | boolean | undefined {
  const mtls = config.tlsCertPath && config.tlsKeyPath;
  if (!mtls && !config.tlsCaPath && !config.apiKey) return undefined;
  if (!mtls && !config.tlsCaPath) return true;
  return {
    serverNameOverride: config.tlsServerName,
    serverRootCACertificate: config.tlsCaPath ? readFileSync(config.tlsCaPath) : undefined,
    clientCertPair:
      config.tlsCertPath && config.tlsKeyPath
        ? { crt: readFileSync(config.tlsCertPath), key: readFileSync(config.tlsKeyPath) }
        : undefined,
  };
}

/** Options shared by client and worker connections. */
export function connectionOptions(config: TemporalConfig): {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
} {
  return { address: config.address, tls: tlsOptions(config), apiKey: config.apiKey };
}

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '10s' });
  return new Client({ connection, namespace: config.namespace });
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}
