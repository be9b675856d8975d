import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKubernetesDriver } from '../../../src/scaler/kubernetes';

/** A stand-in of the Kubernetes API for one Deployment: reads, and merge-patches of the scale subresource. */
async function apiStandIn(): Promise<{ server: Server; url: string; replicas: () => number; requests: string[] }> {
  let replicas = 2;
  const requests: string[] = [];
  const base = '/apis/apps/v1/namespaces/batch/deployments/ebbflow-worker';
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      requests.push(
        `${req.method} ${req.url} ${req.headers['content-type'] ?? ''} ${req.headers.authorization ?? ''}`.trim(),
      );
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === base) {
        return json(200, { spec: { replicas }, status: { replicas, readyReplicas: Math.max(0, replicas - 1) } });
      }
      if (req.method === 'PATCH' && req.url === `${base}/scale`) {
        replicas = (JSON.parse(raw) as { spec: { replicas: number } }).spec.replicas;
        return json(200, { kind: 'Scale', spec: { replicas } });
      }
      json(404, { kind: 'Status', code: 404, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    replicas: () => replicas,
    requests,
  };
}

describe('Kubernetes driver', () => {
  let api: Awaited<ReturnType<typeof apiStandIn>>;
  beforeEach(async () => {
    api = await apiStandIn();
  });
  afterEach(() => new Promise((resolve) => api.server.close(resolve)));

  test('reads ready replicas and scales through the scale subresource', async () => {
    const driver = createKubernetesDriver({
      namespace: 'batch',
      deployment: 'ebbflow-worker',
      apiUrl: api.url,
      token: () => 'sa-token',
    });
    expect(await driver.describe()).toEqual({ desired: 2, running: 1 });
    await driver.setDesired(6);
    expect(api.replicas()).toBe(6);
    expect(await driver.describe()).toEqual({ desired: 6, running: 5 });
    expect(api.requests).toContain(
      'PATCH /apis/apps/v1/namespaces/batch/deployments/ebbflow-worker/scale application/merge-patch+json Bearer sa-token',
    );
  });

  test('an unknown Deployment fails with the API’s answer', async () => {
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'missing', apiUrl: api.url });
    await expect(driver.describe()).rejects.toThrow(/404/);
  });
});
