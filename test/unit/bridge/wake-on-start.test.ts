import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { wakeOnStart } from '../../../src/bridge/wake';

/** A scaler's /wake that counts the calls it has answered. */
async function wakeEndpoint(): Promise<{ url: string; calls: () => number; server: Server }> {
  let calls = 0;
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/wake') calls++;
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/wake`, calls: () => calls, server };
}

const input = {} as WorkflowStartInput;
const started = async (): Promise<WorkflowStartOutput> => ({ runId: 'run-1', eagerlyStarted: false });

describe('wakeOnStart', () => {
  let endpoint: Awaited<ReturnType<typeof wakeEndpoint>>;
  beforeEach(async () => (endpoint = await wakeEndpoint()));
  afterEach(() => new Promise((resolve) => endpoint.server.close(resolve)));

  test('a start has woken the scaler by the time it returns, at most once a second', async () => {
    let now = 0;
    const interceptor = wakeOnStart(endpoint.url, 1_000, () => now);
    await expect(interceptor.startWithDetails!(input, started)).resolves.toEqual({
      runId: 'run-1',
      eagerlyStarted: false,
    });
    expect(endpoint.calls()).toBe(1);
    now = 500;
    await interceptor.startWithDetails!(input, started);
    expect(endpoint.calls()).toBe(1);
    now = 1_500;
    await interceptor.signalWithStart!({} as never, async () => 'run-2');
    expect(endpoint.calls()).toBe(2);
  });

  test('a start that fails wakes nothing and fails as it would have', async () => {
    const interceptor = wakeOnStart(endpoint.url);
    await expect(
      interceptor.startWithDetails!(input, async () => {
        throw new Error('WorkflowExecutionAlreadyStarted');
      }),
    ).rejects.toThrow('WorkflowExecutionAlreadyStarted');
    expect(endpoint.calls()).toBe(0);
  });

  test('a scaler that does not listen costs the start nothing but the attempt', async () => {
    const url = endpoint.url;
    await new Promise((resolve) => endpoint.server.close(resolve));
    endpoint.server = createServer();
    const interceptor = wakeOnStart(url);
    await expect(interceptor.startWithDetails!(input, started)).resolves.toMatchObject({ runId: 'run-1' });
  });
});
