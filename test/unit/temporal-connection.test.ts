import { loadConfig } from '../../src/config';
import { freePort } from '../../src/dev/processes';
import {
  addressHost,
  connectClient,
  connectionOptions,
  connectWorker,
  tlsOptions,
  unreachable,
} from '../../src/temporal/connection';

const temporal = (env: Record<string, string>) => loadConfig({ EBBFLOW_STATE_DIR: '/nonexistent', ...env }).temporal;

describe('tlsOptions', () => {
  it('is plain TCP for a local or self-hosted server', () => {
    expect(tlsOptions(temporal({}))).toBeUndefined();
  });

  it('turns TLS on for an API key', () => {
    expect(tlsOptions(temporal({ TEMPORAL_API_KEY: 'k' }))).toBe(true);
  });

  it('takes the client certificate as PEM text, with escaped newlines', () => {
    const tls = tlsOptions(
      temporal({
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT\\nLINE',
        TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
        TEMPORAL_TLS_SERVER_NAME: 'x',
      }),
    );
    expect(tls).toMatchObject({ serverNameOverride: 'x' });
    const pair = (tls as { clientCertPair: { crt: Buffer; key: Buffer } }).clientCertPair;
    expect(pair.crt.toString()).toBe('CERT\nLINE');
    expect(pair.key.toString()).toBe('KEY');
  });

  it('turns TLS on for a server name alone, verifying that name', () => {
    expect(
      connectionOptions(
        temporal({ TEMPORAL_ADDRESS: '10.0.0.5:7233', TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' }),
      ),
    ).toMatchObject({ address: '10.0.0.5:7233', tls: { serverNameOverride: 'temporal.example.com' } });
  });

  it('turns TLS on for TEMPORAL_TLS alone: a server with a public-CA certificate, no client certificate', () => {
    expect(tlsOptions(temporal({ TEMPORAL_TLS: 'true' }))).toBe(true);
    expect(tlsOptions(temporal({ TEMPORAL_TLS: 'false' }))).toBe(false);
  });

  it('names the variable and the path of a certificate file that is not there', () => {
    const missing = temporal({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
    });
    expect(() => tlsOptions(missing)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: 'TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read /nonexistent/client.pem (no such file); check the path',
      }),
    );
    expect(() => tlsOptions(temporal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' }))).toThrow(
      /^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read \/nonexistent\/ca.pem/,
    );
  });

  it('reports a missing certificate file as such when connecting, not as an unreachable server', async () => {
    const missing = temporal({
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'C',
    });
    await expect(connectClient(missing)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read /nonexistent/client.key'),
    });
    await expect(connectWorker(missing)).rejects.toMatchObject({ name: 'ConfigError' });
  });
});

describe('an unreachable server', () => {
  it('is named with where ebbflow looked, why it failed and what to set', async () => {
    const cause = new Error('Failed to connect before the deadline');
    const err = await unreachable(temporal({ TEMPORAL_ADDRESS: '127.0.0.1:7299', TEMPORAL_NAMESPACE: 'batch' }), cause);
    expect(err.name).toBe('TemporalUnreachableError');
    expect(err.message).toContain('cannot reach Temporal at 127.0.0.1:7299 (namespace batch)');
    expect(err.message).toContain('could not connect within 10 s');
    expect(err.message).toContain('TEMPORAL_ADDRESS');
    expect(err.cause).toBe(cause);
  });

  it('says a host name does not resolve where grpc-js only says the deadline passed', async () => {
    const cause = new Error('Failed to connect before the deadline');
    for (const address of ['temporal.no-such-host.invalid:7233', 'no-such-host.invalid']) {
      const err = await unreachable(temporal({ TEMPORAL_ADDRESS: address }), cause);
      expect(err.message).toContain(
        `cannot reach Temporal at ${address} (namespace default): the host name does not resolve.`,
      );
    }
  });

  it('takes the host out of an address', () => {
    expect(addressHost('temporal.internal:7233')).toBe('temporal.internal');
    expect(addressHost('[::1]:7233')).toBe('::1');
    expect(addressHost('localhost')).toBe('localhost');
    expect(addressHost('::1')).toBe('::1');
  });

  it('keeps the first line of a reason it does not know', async () => {
    const err = await unreachable(temporal({}), new Error('tls handshake: bad certificate\n  at somewhere'));
    expect(err.message).toContain(': tls handshake: bad certificate. Start');
  });

  it('is what a worker gets from a port nothing listens on', async () => {
    const port = await freePort();
    await expect(connectWorker(temporal({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` }))).rejects.toMatchObject({
      name: 'TemporalUnreachableError',
      message: expect.stringContaining(
        `cannot reach Temporal at 127.0.0.1:${port} (namespace default): connection refused`,
      ),
    });
  });
});
