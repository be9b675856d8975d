/** A small HTTP server for a process's operational endpoints (/metrics, /healthz, …), one handler per path. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EndpointReply {
  status: number;
  type: string;
  body: string;
}

export type Endpoint = (url: URL) => EndpointReply | Promise<EndpointReply>;

/** Listens on `port` (0: any free port) and answers GET on each path; anything else is a 404 listing the paths. */
export async function serveEndpoints(
  port: number,
  endpoints: Record<string, Endpoint>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const endpoint = endpoints[url.pathname];
    const answer = endpoint
      ? Promise.resolve()
          .then(() => endpoint(url))
          .catch((err: unknown) => ({ status: 500, type: 'text/plain', body: `${String(err)}\n` }))
      : Promise.resolve({ status: 404, type: 'text/plain', body: `try ${Object.keys(endpoints).join(', ')}\n` });
    void answer.then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` };
}
