/**
 * The Kubernetes driver: the Deployment's scale subresource is the fleet size. On scale-in the kubelet sends SIGTERM
 * and waits `terminationGracePeriodSeconds`, which the worker uses to finish its activities (infra/k8s sets it above
 * the worker's shutdown grace).
 *
 * It speaks to the API server directly: two calls need no client library, and the official one (2.x) requires
 * Node 22. In a pod it uses the service account (token re-read on every call, as projected tokens rotate); outside,
 * point EBBFLOW_K8S_API_URL at `kubectl proxy`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Capacity, CapacityDriver } from './driver';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesDriverOptions {
  namespace: string;
  deployment: string;
  /** API server; defaults to the in-cluster address with the pod's service account. */
  apiUrl?: string;
  /** Bearer token source; defaults to the service account token when apiUrl is unset. */
  token?: () => string;
  /** CA of the API server; defaults to the service account's CA when apiUrl is unset. */
  ca?: Buffer;
}

interface Access {
  url: URL;
  token?: () => string;
  ca?: Buffer;
}

function access(options: KubernetesDriverOptions): Access {
  if (options.apiUrl) return { url: new URL(options.apiUrl), token: options.token, ca: options.ca };
  return {
    url: new URL('https://kubernetes.default.svc'),
    token: options.token ?? (() => readFileSync(`${SERVICE_ACCOUNT}/token`, 'utf8').trim()),
    ca: options.ca ?? readFileSync(`${SERVICE_ACCOUNT}/ca.crt`),
  };
}

function call(a: Access, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, a.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload) headers['content-type'] = 'application/merge-patch+json';
  if (a.token) headers.authorization = `Bearer ${a.token()}`;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, ca: a.ca, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) {
          reject(new Error(`Kubernetes API ${method} ${url.pathname}: ${res.statusCode} ${text.slice(0, 300)}`));
        } else {
          resolve(text ? JSON.parse(text) : undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`Kubernetes API ${method} ${url.pathname}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function createKubernetesDriver(options: KubernetesDriverOptions): CapacityDriver {
  const a = access(options);
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(options.namespace)}/deployments/${encodeURIComponent(options.deployment)}`;
  return {
    name: 'kubernetes',
    async describe(): Promise<Capacity> {
      const d = (await call(a, 'GET', path)) as { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
      return { desired: d.spec?.replicas ?? 0, running: d.status?.readyReplicas ?? 0 };
    },
    async setDesired(count: number): Promise<void> {
      await call(a, 'PATCH', `${path}/scale`, { spec: { replicas: count } });
    },
    close: async () => undefined,
  };
}
