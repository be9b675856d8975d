/**
 * Connections to Temporal built from config: the local dev server, a self-hosted cluster (mTLS) or Temporal Cloud
 * (mTLS or API key) by configuration alone.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { EbbflowConfig } from '../config';

type TemporalConfig = EbbflowConfig['temporal'];

/** PEM from inline text (…_DATA) or a file (…_PATH). */
function pem(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data.replace(/\\n/g, '\n'));
  return file ? readFileSync(file) : undefined;
}

export function tlsOptions(config: TemporalConfig): TLSConfig | boolean | undefined {
  const crt = pem(config.tlsCertData, config.tlsCertPath);
  const key = pem(config.tlsKeyData, config.tlsKeyPath);
  if (!crt && !config.tlsCaPath && !config.apiKey) return undefined;
  if (!crt && !config.tlsCaPath && !config.tlsServerName) return true;
  return {
    serverNameOverride: config.tlsServerName,
    serverRootCACertificate: pem(undefined, config.tlsCaPath),
    clientCertPair: crt && key ? { crt, key } : undefined,
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

/** The gRPC status code of a Temporal service error, or of the error it wraps; undefined for anything else. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}
