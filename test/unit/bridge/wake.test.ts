import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wakeNotifier } from '../../../src/bridge/wake';
import { createLogger, silentLogger, type Logger } from '../../../src/logger';

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

  test('a scaler that cannot be reached costs the caller nothing, and is warned about once', async () => {
    const { server, url } = await wakeEndpoint();
    await new Promise((resolve) => server.close(resolve));
    const { logger, lines } = recordingLogger();
    let now = 0;
    const wake = wakeNotifier(url, logger, 1_000, () => now);
    expect(wake()).toBeUndefined(); // returns at once, before the call has failed
    await until(() => lines.length === 1);
    now = 1_000;
    wake();
    await until(() => lines.length === 2);
    expect(lines.map(({ level }) => level)).toEqual(['warn', 'debug']);
    expect(lines[0]).toMatchObject({ url });
  });

  test('a call that failed is made again by the next start a moment later, not a whole interval later', async () => {
    let up = false;
    const calls: string[] = [];
    const server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(up ? 202 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wake`;
    const { logger, lines } = recordingLogger();
    let now = 0;
    try {
      const wake = wakeNotifier(url, logger, 1_000, () => now, 100);
      wake(); // the scaler is still starting: 503
      wake(); // within the interval: no second call
      await until(() => lines.length === 1);
      expect(calls).toHaveLength(1);
      now = 50;
      wake(); // too soon after the failure
      now = 100;
      up = true;
      wake(); // 100 ms on: tried again, and taken
      await until(() => lines.length === 2);
      expect(lines[1]).toMatchObject({ level: 'info', msg: 'the scaler answers wake calls again' });
      expect(calls).toHaveLength(2);
      now = 500;
      wake(); // after a success, the interval holds again
      now = 1_100;
      wake();
      await until(() => calls.length === 3);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toHaveLength(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('an error status is a failure that names it, and a scaler that answers again is noted', async () => {
    let status = 404;
    const server = createServer((_req, res) => void res.writeHead(status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wrong`;
    const { logger, lines } = recordingLogger();
    let now = 0;
    try {
      const wake = wakeNotifier(url, logger, 1_000, () => now);
      wake();
      await until(() => lines.length === 1);
      expect(lines[0]).toMatchObject({ level: 'warn' });
      expect(JSON.stringify(lines[0]!.error)).toContain(`${url} answered 404`);
      status = 202;
      now = 1_000;
      wake();
      await until(() => lines.length === 2);
      expect(lines[1]).toMatchObject({ level: 'info', msg: 'the scaler answers wake calls again' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** A debug-level logger whose JSON lines are kept, parsed. */
function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }), lines };
}
