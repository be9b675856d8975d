import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKubernetesDriver, POD_DELETION_COST, UNKNOWN_LOAD_COST } from '../../../src/scaler/kubernetes';

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** A worker's metrics endpoint serving the SDK's slot gauge with `activities` running. */
async function workerMetrics(activities: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) =>
    res.end(
      `temporal_worker_task_slots_used{worker_type="WorkflowWorker"} 3\n` +
        `temporal_worker_task_slots_used{worker_type="ActivityWorker"} ${activities}\n` +
        `temporal_worker_task_slots_used{worker_type="LocalActivityWorker"} 0\n`,
    ),
  );
  return { server, port: await listen(server) };
}

interface StandInPod {
  name: string;
  ready: boolean;
  port: number;
  annotations: Record<string, string>;
}

/**
 * A stand-in of the Kubernetes API for one Deployment and its pods: reads, merge-patches of the scale subresource
 * and of pod annotations. It only records what the driver asks; the choice of pods to delete is Kubernetes' own.
 */
async function apiStandIn(pods: StandInPod[] = [], podsForbidden = false) {
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
        return json(200, {
          spec: {
            replicas,
            selector: { matchLabels: { 'app.kubernetes.io/name': 'ebbflow-worker' } },
            template: {
              spec: {
                terminationGracePeriodSeconds: 45,
                containers: [
                  { name: 'worker', resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } } },
                  { name: 'log-shipper', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
                ],
              },
            },
          },
          status: { replicas, readyReplicas: Math.max(0, replicas - 1) },
        });
      }
      if (req.method === 'PATCH' && req.url === `${base}/scale`) {
        replicas = (JSON.parse(raw) as { spec: { replicas: number } }).spec.replicas;
        return json(200, { kind: 'Scale', spec: { replicas } });
      }
      if (podsForbidden && req.url?.startsWith('/api/v1/namespaces/batch/pods')) {
        return json(403, { kind: 'Status', code: 403, reason: 'Forbidden' });
      }
      if (
        req.method === 'GET' &&
        req.url === '/api/v1/namespaces/batch/pods?labelSelector=app.kubernetes.io%2Fname%3Debbflow-worker'
      ) {
        return json(200, {
          items: pods.map((p) => ({
            metadata: { name: p.name, annotations: p.annotations },
            spec: { containers: [{ ports: [{ name: 'metrics', containerPort: p.port }] }] },
            status: {
              phase: 'Running',
              podIP: '127.0.0.1',
              conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }],
            },
          })),
        });
      }
      const pod = pods.find((p) => req.url === `/api/v1/namespaces/batch/pods/${p.name}`);
      if (req.method === 'PATCH' && pod) {
        Object.assign(
          pod.annotations,
          (JSON.parse(raw) as { metadata: { annotations: Record<string, string> } }).metadata.annotations,
        );
        return json(200, { kind: 'Pod' });
      }
      json(404, { kind: 'Status', code: 404, message: 'not found' });
    });
  });
  const port = await listen(server);
  return { server, url: `http://127.0.0.1:${port}`, replicas: () => replicas, requests };
}

describe('Kubernetes driver', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  test('reads ready replicas and scales through the scale subresource', async () => {
    const api = await apiStandIn();
    servers.push(api.server);
    const driver = createKubernetesDriver({
      namespace: 'batch',
      deployment: 'ebbflow-worker',
      apiUrl: api.url,
      token: () => 'sa-token',
    });
    expect(await driver.describe()).toEqual({ desired: 2, running: 1, sizeSource: expect.any(String) });
    await driver.setDesired(6);
    expect(api.replicas()).toBe(6);
    expect(await driver.describe()).toEqual({ desired: 6, running: 5, sizeSource: expect.any(String) });
    expect(api.requests).toContain(
      'PATCH /apis/apps/v1/namespaces/batch/deployments/ebbflow-worker/scale application/merge-patch+json Bearer sa-token',
    );
  });

  test('reads a worker pod’s size from the template’s requests, summed over its containers', async () => {
    const api = await apiStandIn();
    servers.push(api.server);
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'ebbflow-worker', apiUrl: api.url });
    expect(await driver.taskSize!()).toEqual({
      vcpu: 1.25,
      memoryGb: 2.25,
      source: 'requests of Deployment batch/ebbflow-worker',
    });
    // What the size is read from, for the scaler to price it again when a rollout changes it.
    expect((await driver.describe()).sizeSource).toBe(
      JSON.stringify([
        { cpu: '1', memory: '2Gi' },
        { cpu: '250m', memory: '256Mi' },
      ]),
    );
  });

  test('reports busy pods, and before a scale-in marks each ready pod with its running activities', async () => {
    const idle = await workerMetrics(0);
    const busy = await workerMetrics(2);
    const silent = createServer((req) => req.socket.destroy()); // a pod whose endpoint fails
    const silentPort = await listen(silent);
    servers.push(idle.server, busy.server, silent);
    const pods: StandInPod[] = [
      { name: 'worker-idle', ready: true, port: idle.port, annotations: {} },
      { name: 'worker-busy', ready: true, port: busy.port, annotations: { [POD_DELETION_COST]: '0' } },
      { name: 'worker-silent', ready: true, port: silentPort, annotations: {} },
      { name: 'worker-starting', ready: false, port: idle.port, annotations: {} },
    ];
    const api = await apiStandIn(pods);
    servers.push(api.server);
    const warnings: unknown[] = [];
    const driver = createKubernetesDriver({
      namespace: 'batch',
      deployment: 'ebbflow-worker',
      apiUrl: api.url,
      requiredGrace: 140_000,
      logger: { warn: (...args: unknown[]) => warnings.push(args) } as never,
    });
    // The silent pod counts as busy: a load that is not known is not taken for idle.
    expect(await driver.describe()).toEqual({
      desired: 2,
      running: 1,
      busyTasks: 2,
      runningActivities: 2,
      sizeSource: expect.any(String),
    });
    expect(warnings).toHaveLength(1); // 45 s of grace where 140 s are needed

    await driver.setDesired(1);
    expect(api.replicas()).toBe(1);
    expect(pods.map((p) => [p.name, p.annotations[POD_DELETION_COST]])).toEqual([
      ['worker-idle', '0'],
      ['worker-busy', '2'],
      ['worker-silent', String(UNKNOWN_LOAD_COST)],
      ['worker-starting', undefined], // not ready: Kubernetes removes it before any ready pod anyway
    ]);
    // The annotations are written before the replica count changes.
    const patches = api.requests.filter((r) => r.startsWith('PATCH'));
    expect(patches.at(-1)).toMatch(/\/scale /);
    expect(patches.filter((r) => r.includes('/pods/'))).toHaveLength(3);
  });

  test('a scale-out leaves the pods alone', async () => {
    const busy = await workerMetrics(1);
    servers.push(busy.server);
    const pods: StandInPod[] = [{ name: 'worker-a', ready: true, port: busy.port, annotations: {} }];
    const api = await apiStandIn(pods);
    servers.push(api.server);
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'ebbflow-worker', apiUrl: api.url });
    await driver.setDesired(5);
    expect(pods[0]!.annotations).toEqual({});
    expect(api.requests.filter((r) => r.includes('/pods/'))).toEqual([]);
  });

  test('without access to the pods it still scales, without busy counts, and says what it needs once', async () => {
    const api = await apiStandIn([], true);
    servers.push(api.server);
    const warnings: string[] = [];
    const driver = createKubernetesDriver({
      namespace: 'batch',
      deployment: 'ebbflow-worker',
      apiUrl: api.url,
      logger: { warn: (message: string) => warnings.push(message) } as never,
    });
    expect(await driver.describe()).toEqual({ desired: 2, running: 1, sizeSource: expect.any(String) });
    expect(await driver.describe()).toEqual({ desired: 2, running: 1, sizeSource: expect.any(String) });
    await driver.setDesired(1);
    expect(api.replicas()).toBe(1);
    expect(warnings).toEqual([
      'worker pods could not be read: busy workers are not known to the policy',
      'pod-deletion-cost not set: the ReplicaSet chooses the pods to remove without it',
    ]);
  });

  /** An API server that answers every request with `reply` (it gets the response to write, or to leave unfinished). */
  async function oddApi(reply: (res: ServerResponse) => void): Promise<string> {
    const server = createServer((_req, res) => reply(res));
    servers.push(server);
    return `http://127.0.0.1:${await listen(server)}`;
  }

  test('an answer that is not JSON fails the call, naming it, instead of throwing out of the process', async () => {
    const apiUrl = await oddApi((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>sign in</html>');
    });
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'ebbflow-worker', apiUrl });
    await expect(driver.describe()).rejects.toThrow(/answered 200 with something other than JSON: <html>sign in/);
  });

  test('an answer cut off after its headers fails the call at once', async () => {
    const apiUrl = await oddApi((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"spec":', () => res.socket?.destroy());
    });
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'ebbflow-worker', apiUrl });
    await expect(driver.describe()).rejects.toThrow(/the answer was cut off/);
  });

  test('an answer that stops coming fails the call at the deadline', async () => {
    const apiUrl = await oddApi((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"spec":'); // and nothing more, the connection left open
    });
    const driver = createKubernetesDriver({
      namespace: 'batch',
      deployment: 'ebbflow-worker',
      apiUrl,
      deadlineMs: 300,
    });
    await expect(driver.describe()).rejects.toThrow(/no complete answer within 300 ms/);
  });

  test('an unknown Deployment fails with the API’s answer', async () => {
    const api = await apiStandIn();
    servers.push(api.server);
    const driver = createKubernetesDriver({ namespace: 'batch', deployment: 'missing', apiUrl: api.url });
    await expect(driver.describe()).rejects.toThrow(/404/);
  });
});
