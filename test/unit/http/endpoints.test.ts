import { connect } from 'node:net';
import type { Server } from 'node:http';
import { serveEndpoints } from '../../../src/http/endpoints';

/** Sends `request` as raw bytes and resolves the status line of the answer. */
function rawStatusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('operational endpoints', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    ({ server, url } = await serveEndpoints(
      { port: 0, host: '127.0.0.1' },
      {
        '/healthz': () => ({ status: 200, type: 'text/plain', body: 'ok\n' }),
        '/broken': () => {
          throw new Error('no reading');
        },
      },
    ));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  const port = (): number => Number(new URL(url).port);

  test('a request target that is no URL gets a 400 and the server keeps answering', async () => {
    expect(await rawStatusLine(port(), 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(
      'HTTP/1.1 400 Bad Request',
    );
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  test('an unknown path is a 404 naming the paths; a failing endpoint a 500 with its error', async () => {
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('try /healthz, /broken\n');
    const broken = await fetch(`${url}/broken`);
    expect(broken.status).toBe(500);
    expect(await broken.text()).toContain('no reading');
  });
});
