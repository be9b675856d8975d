/**
 * Connections to Temporal built from config: the local dev server, a self-hosted cluster (TLS, mTLS) or Temporal Cloud
 * (mTLS or API key) by configuration alone.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import {
  Client,
  Connection,
  isGrpcServiceError,
  type TLSConfig,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { SETTINGS, type EbbflowConfig } from '../config';
import { ConfigError, TemporalUnreachableError } from '../errors';

type TemporalConfig = EbbflowConfig['temporal'];
type PathSetting = 'tlsCertPath' | 'tlsKeyPath' | 'tlsCaPath';

/** PEM from inline text (…_DATA) or a file (…_PATH); a file that cannot be read is a ConfigError naming the variable. */
function pem(config: TemporalConfig, data: string | undefined, file: PathSetting): Buffer | undefined {
  if (data) return Buffer.from(data.replace(/\\n/g, '\n'));
  const filePath = config[file];
  if (!filePath) return undefined;
  try {
    return readFileSync(filePath);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const reason = code === 'ENOENT' ? 'no such file' : message;
    throw new ConfigError(`${SETTINGS.temporal[file].env}: cannot read ${filePath} (${reason}); check the path`, {
      cause: err,
    });
  }
}

/**
 * TLS as the SDK takes it: undefined for plain TCP, `true` for TLS that verifies the server against the system's CAs
 * (TEMPORAL_TLS or an API key alone), or options when a certificate, a CA or a server name is set.
 * TEMPORAL_TLS=false with an API key sends the key without TLS, as the SDK does for `tls: false`.
 */
export function tlsOptions(config: TemporalConfig): TLSConfig | boolean | undefined {
  if (config.tls === false) return false;
  const crt = pem(config, config.tlsCertData, 'tlsCertPath');
  const key = pem(config, config.tlsKeyData, 'tlsKeyPath');
  const ca = pem(config, undefined, 'tlsCaPath');
  if (!crt && !ca && !config.tlsServerName) return config.tls || config.apiKey ? true : undefined;
  return {
    serverNameOverride: config.tlsServerName,
    serverRootCACertificate: ca,
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

const CONNECT_TIMEOUT_S = 10;

const TIMED_OUT = `could not connect within ${CONNECT_TIMEOUT_S} s`;
const NO_SUCH_HOST = 'the host name does not resolve';

/** The host of a `host:port` address (`[v6]:port` too), or the address as it is when it names no port. */
export function addressHost(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const parts = address.split(':');
  return parts.length === 2 ? parts[0]! : address;
}

/** False when looking the host up says it does not exist; true otherwise, a lookup that fails for another reason too. */
async function resolves(host: string): Promise<boolean> {
  try {
    await lookup(host);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOTFOUND' && code !== 'EAI_AGAIN';
  }
}

/** Why a connection failed, in a few words: the transport errors of grpc-js and of the SDK core are long. */
async function connectFailure(config: TemporalConfig, err: unknown): Promise<string> {
  const message = err instanceof Error ? err.message : String(err);
  if (/connection refused/i.test(message)) return 'connection refused';
  if (/before the deadline|timed? ?out/i.test(message)) {
    // grpc-js reports a host name that does not resolve as a connection that did not succeed before the deadline.
    return (await resolves(addressHost(config.address))) ? TIMED_OUT : NO_SUCH_HOST;
  }
  if (/dns|name resolution|ENOTFOUND|EAI_AGAIN/i.test(message)) return NO_SUCH_HOST;
  return message.split('\n')[0]!;
}

/** The error for a server that cannot be reached: where ebbflow looked, why it failed, and what to set. */
export async function unreachable(config: TemporalConfig, err: unknown): Promise<TemporalUnreachableError> {
  return new TemporalUnreachableError(
    `cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${await connectFailure(config, err)}. ` +
      'Start the local stack with `ebbflow dev`, or set TEMPORAL_ADDRESS (and TLS or TEMPORAL_API_KEY for a cluster ' +
      'or Temporal Cloud); `ebbflow config` shows what is in effect.',
    { cause: err },
  );
}

export async function connectClient(
  config: TemporalConfig,
  options: { interceptors?: WorkflowClientInterceptor[] } = {},
): Promise<Client> {
  // Options outside the try: a certificate file that cannot be read is a ConfigError, not an unreachable server.
  const connect = { ...connectionOptions(config), connectTimeout: `${CONNECT_TIMEOUT_S}s` };
  try {
    const connection = await Connection.connect(connect);
    return new Client({
      connection,
      namespace: config.namespace,
      interceptors: { workflow: options.interceptors ?? [] },
    });
  } catch (err) {
    throw await unreachable(config, err);
  }
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  const options = connectionOptions(config);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw await unreachable(config, err);
  }
}

/** The gRPC status of a request the server refuses for what it asked: a bad argument, not a failure to retry. */
export const GRPC_INVALID_ARGUMENT = 3;

/** The gRPC status code of a Temporal service error, or of the error it wraps; undefined for anything else. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}
