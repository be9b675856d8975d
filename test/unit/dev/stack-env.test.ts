import type { DevState } from '../../../src/config';
import { stackEnv } from '../../../src/dev/stack';

const state: DevState = {
  temporalAddress: '127.0.0.1:7233',
  temporalNamespace: 'default',
  temporalUiUrl: 'http://localhost:8233',
  awsEndpoint: 'http://127.0.0.1:5050',
  awsRegion: 'us-east-1',
  inputBucket: 'ebbflow-input',
  outputBucket: 'ebbflow-output',
  ingressQueueUrl: 'http://127.0.0.1:5050/123456789012/ebbflow-ingress',
  dlqUrl: 'http://127.0.0.1:5050/123456789012/ebbflow-dlq',
  notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:ebbflow-notifications',
  taskQueue: 'ebbflow',
  databaseUrl: 'sqlite:/tmp/ebbflow.db',
  metricsPort: 9464,
  pid: 1234,
  startedAt: '2026-01-01T00:00:00.000Z',
};

describe('stackEnv', () => {
  it("gives the stack's addresses over the shell's and drops Temporal credentials", () => {
    const { env, overridden } = stackEnv(state, {
      PATH: '/usr/bin',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      TEMPORAL_NAMESPACE: 'prod.acct',
      TEMPORAL_API_KEY: 'secret',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem',
      AWS_ENDPOINT_URL: 'https://s3.example.com',
      EBBFLOW_INPUT_BUCKET: 'prod-input',
      EBBFLOW_INGRESS_QUEUE_URL: 'https://sqs.example.com/prod',
      EBBFLOW_SCALER_URL: 'http://scaler.example.com',
    });
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.TEMPORAL_API_KEY).toBeUndefined();
    expect(env.TEMPORAL_TLS).toBeUndefined();
    expect(env.TEMPORAL_TLS_CLIENT_CERT_PATH).toBeUndefined();
    expect(env.AWS_ENDPOINT_URL).toBe(state.awsEndpoint);
    expect(env.AWS_REGION).toBe('us-east-1');
    expect(env.EBBFLOW_INPUT_BUCKET).toBe('ebbflow-input');
    expect(env.EBBFLOW_INGRESS_QUEUE_URL).toBe(state.ingressQueueUrl);
    // The stack runs no scaler: none of the shell's is used either.
    expect(env.EBBFLOW_SCALER_URL).toBeUndefined();
    expect(env.PATH).toBe('/usr/bin');
    expect(overridden.sort()).toEqual(
      [
        'AWS_ENDPOINT_URL',
        'EBBFLOW_INGRESS_QUEUE_URL',
        'EBBFLOW_INPUT_BUCKET',
        'EBBFLOW_SCALER_URL',
        'TEMPORAL_ADDRESS',
        'TEMPORAL_API_KEY',
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_TLS',
        'TEMPORAL_TLS_CLIENT_CERT_PATH',
      ].sort(),
    );
  });

  it('names nothing when the shell exports the same values or none', () => {
    const { overridden } = stackEnv(state, { TEMPORAL_ADDRESS: '127.0.0.1:7233', AWS_REGION: 'us-east-1' });
    expect(overridden).toEqual([]);
  });
});
