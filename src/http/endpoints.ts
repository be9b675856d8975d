/** A small HTTP server for a process's operational endpoints (/metrics, /healthz, …), one handler per path. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface EndpointReply {
  status: number;
  type: string;
  body: string;
}

/** Answers one path; `method` is the request's (GET unless the endpoint says otherwise). */
export type Endpoint = (url: URL, method: string) => EndpointReply | Promise<EndpointReply>;

/** A port (0: any free one), alone or with the address to listen on (all interfaces when absent). */
export type ListenAddress = number | { port: number; host?: string };

/** The request's target as a URL, or undefined when it is none (a scanner's `GET //[`): a 400, not a crash. */
function parsePath(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Listens on `address` and answers each path with its endpoint; an unknown path is a 404 listing the paths. */
export async function serveEndpoints(
  address: ListenAddress,
  endpoints: Record<string, Endpoint>,
): Promise<{ server: Server; url: string }> {
  const { port, host } = typeof address === 'number' ? { port: address, host: undefined } : address;
  const answer = async (req: IncomingMessage): Promise<EndpointReply> => {
    const url = parsePath(req.url);
    if (!url) return { status: 400, type: 'text/plain', body: 'not a path this server can read\n' };
    const endpoint = endpoints[url.pathname];
    if (!endpoint) return { status: 404, type: 'text/plain', body: `try ${Object.keys(endpoints).join(', ')}\n` };
    try {
      return await endpoint(url, req.method ?? 'GET');
    } catch (err) {
      return { status: 500, type: 'text/plain', body: `${String(err)}\n` };
    }
  };
  const server = createServer((req, res) => {
    void answer(req).then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const shown = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown}:${(server.address() as AddressInfo).port}` };
}
