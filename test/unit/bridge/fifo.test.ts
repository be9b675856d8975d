import { loadConfig } from '../../../src/config';
import { describeFailure } from '../../../src/cli/context';
import { requireQueues } from '../../../src/bridge';

const config = (env: Record<string, string>) => loadConfig(env, { useDevState: false });
const standard = 'http://127.0.0.1:4566/000000000000/ebbflow-ingress';
const dlq = 'http://127.0.0.1:4566/000000000000/ebbflow-dlq';

describe('the queues a bridge starts with', () => {
  it('are accepted when both are standard queues', () => {
    expect(() => requireQueues(config({ EBBFLOW_INGRESS_QUEUE_URL: standard, EBBFLOW_DLQ_URL: dlq }))).not.toThrow();
  });

  it.each([
    ['EBBFLOW_INGRESS_QUEUE_URL', { EBBFLOW_INGRESS_QUEUE_URL: `${standard}.fifo`, EBBFLOW_DLQ_URL: dlq }],
    ['EBBFLOW_DLQ_URL', { EBBFLOW_INGRESS_QUEUE_URL: standard, EBBFLOW_DLQ_URL: `${dlq}.fifo` }],
  ])('refuse a FIFO queue in %s with a configuration error naming it', (variable, env) => {
    let caught: unknown;
    try {
      requireQueues(config(env));
    } catch (err) {
      caught = err;
    }
    expect((caught as Error | undefined)?.name).toBe('ConfigError');
    const { message, exitCode } = describeFailure(caught);
    expect(message).toMatch(new RegExp(`^${variable}: .*\\.fifo is a FIFO queue`));
    expect(message).toContain('standard queue');
    expect(exitCode).toBe(2);
  });

  it('name a missing queue before looking at the other', () => {
    expect(() => requireQueues(config({ EBBFLOW_DLQ_URL: `${dlq}.fifo` }))).toThrow(/EBBFLOW_INGRESS_QUEUE_URL/);
  });
});
