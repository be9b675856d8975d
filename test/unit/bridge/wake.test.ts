import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wakeNotifier } from '../../../src/bridge/wake';
import { silentLogger } from '../../../src/logger';

/** A scaler's /wake stand-in that records the method of every call. */
async function wakeEndpoint(): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    res.writeHead(202).end('polling now\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wake`, calls };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('waking the scaler', () => {
  test('POSTs once per interval however many workflows start', async () => {
    const { server, url, calls } = await wakeEndpoint();
    let now = 0;
    try {
      const wake = wakeNotifier(url, silentLogger, 1_000, () => now);
      for (let i = 0; i < 25; i++) wake();
      await until(() => calls.length === 1);
      now = 999;
      wake();
      now = 1_000;
      wake();
      await until(() => calls.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toEqual(['POST /wake', 'POST /wake']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a scaler that cannot be reached costs the caller nothing', async () => {
    const { server, url } = await wakeEndpoint();
    await new Promise((resolve) => server.close(resolve));
    const failures: unknown[] = [];
    const logger = { ...silentLogger, debug: (_: string, fields?: Record<string, unknown>) => failures.push(fields) };
    const wake = wakeNotifier(url, logger as typeof silentLogger);
    expect(wake()).toBeUndefined(); // returns at once, before the call has failed
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({ url });
  });
});
