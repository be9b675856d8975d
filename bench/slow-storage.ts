/**
 * A pass-through HTTP proxy in front of the AWS emulator that holds every S3 object read for a fixed time before
 * forwarding it. The live scaling benchmark uses it to give each item the service time of work that waits on I/O
 * (a slow origin, a remote API) rather than on this machine's cores, so that ten workers on two cores really do ten
 * times the work of one, as ten Fargate tasks would. Everything else (SQS, CloudWatch, S3 writes) passes untouched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowStorage {
  /** Endpoint to hand to AWS clients instead of the emulator's. */
  url: string;
  /** Object reads held so far. */
  held(): number;
  close(): Promise<void>;
}

/** A path-style S3 object read: GET /<bucket>/<key>, as the SDK sends with an endpoint override. */
function isObjectRead(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' || !req.url) return false;
  const [pathname = '', query = ''] = req.url.split('?');
  return pathname.split('/').filter(Boolean).length >= 2 && !/(^|&)(list-type|uploads|versions)=/.test(query);
}

export async function startSlowStorage(target: string, readDelayMs: number): Promise<SlowStorage> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let held = 0;
  const server = http.createServer((req, res) => {
    const forward = () => {
      const proxied = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      proxied.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`slow-storage proxy: ${err.message}`);
      });
      req.pipe(proxied);
    };
    if (isObjectRead(req)) {
      held++;
      setTimeout(forward, readDelayMs);
    } else {
      forward();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
