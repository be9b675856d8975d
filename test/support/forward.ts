/** Passes one HTTP request on to an upstream server and its answer back: the core of the fault-injecting proxies. */
import http from 'node:http';

export function forwardRequest(upstream: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
}
