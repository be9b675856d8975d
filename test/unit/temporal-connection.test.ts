import { loadConfig } from '../../src/config';
import { tlsOptions } from '../../src/temporal/connection';

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
