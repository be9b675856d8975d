import { loadConfig } from '../../src/config';
import { freePort } from '../../src/dev/processes';
import { connectWorker, tlsOptions, unreachable } from '../../src/temporal/connection';

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
});

describe('an unreachable server', () => {
  it('is named with where ebbflow looked, why it failed and what to set', () => {
    const cause = new Error('Failed to connect before the deadline');
    const err = unreachable(
      temporal({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'batch' }),
      cause,
    );
    expect(err.name).toBe('TemporalUnreachableError');
    expect(err.message).toContain('cannot reach Temporal at temporal.internal:7233 (namespace batch)');
    expect(err.message).toContain('could not connect within 10 s');
    expect(err.message).toContain('TEMPORAL_ADDRESS');
    expect(err.cause).toBe(cause);
  });

  it('keeps the first line of a reason it does not know', () => {
    const err = unreachable(temporal({}), new Error('tls handshake: bad certificate\n  at somewhere'));
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
