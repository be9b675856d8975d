/**
 * The Kubernetes driver: the Deployment's scale subresource is the fleet size. On scale-in the kubelet sends SIGTERM
 * and waits `terminationGracePeriodSeconds`, which the worker uses to finish its activities (it must cover the
 * activity timeout: see grace.ts; the driver warns when the Deployment's is shorter).
 *
 * Which pods go is the ReplicaSet's choice; among ready pods it removes those with the lowest
 * `controller.kubernetes.io/pod-deletion-cost` first. Before each scale-in the driver reads every worker pod's running
 * activities from its metrics port (the container port named `metrics`) and sets that annotation to them, so idle
 * pods go first and busy ones last; it also reports busy pods to the policy, which does not scale in below them. The
 * annotation is written only at a scale-in, not at every poll, as Kubernetes asks of it.
 *
 * It speaks to the API server directly: two calls need no client library, and the official one (2.x) requires
 * Node 22. In a pod it uses the service account (token re-read on every call, as projected tokens rotate); outside,
 * point EBBFLOW_K8S_API_URL at `kubectl proxy`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../logger';
import { parseCpuQuantity, parseMemoryQuantity, type TaskSizeReading } from './cost-meter';
import type { Capacity, CapacityDriver } from './driver';
import { fleetLoad, readWorkerLoad, type WorkerLoad } from './worker-load';

/** The annotation the ReplicaSet controller reads to choose which pods to delete first (lowest first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/** Cost of a pod whose load could not be read: after every pod known to be idle or less busy. */
export const UNKNOWN_LOAD_COST = 1_000_000;

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface KubernetesDriverOptions {
  namespace: string;
  deployment: string;
  /** API server; defaults to the in-cluster address with the pod's service account. */
  apiUrl?: string;
  /** Bearer token source; defaults to the service account token when apiUrl is unset. */
  token?: () => string;
  /** CA of the API server; defaults to the service account's CA when apiUrl is unset. */
  ca?: Buffer;
  /** Worker metrics port when the pod names none `metrics`. @defaultValue 9464 */
  metricsPort?: number;
  /** Least terminationGracePeriodSeconds that covers the activity timeout, ms; a shorter one is warned about. */
  requiredGrace?: number;
  /** Longest one API call may take, answer included. @defaultValue 10 s */
  deadlineMs?: number;
  logger?: Logger;
}

interface Pod {
  metadata?: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: { ports?: { name?: string; containerPort?: number }[] }[] };
  status?: { podIP?: string; phase?: string; conditions?: { type?: string; status?: string }[] };
}

interface Deployment {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      spec?: {
        terminationGracePeriodSeconds?: number;
        containers?: { resources?: { requests?: { cpu?: string; memory?: string } } }[];
      };
    };
  };
  status?: { readyReplicas?: number };
}

/** The resource requests of each container of the worker pods. */
const requestsOf = (d: Deployment): { cpu?: string; memory?: string }[] =>
  (d.spec?.template?.spec?.containers ?? []).map((c) => c.resources?.requests ?? {});

const isReady = (pod: Pod): boolean =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.phase === 'Running' &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The pod-deletion-cost for a load: the running activities, so that idle pods go first. */
const deletionCost = (load: WorkerLoad): number => load.activities ?? UNKNOWN_LOAD_COST;

interface Access {
  url: URL;
  token?: () => string;
  ca?: Buffer;
  deadlineMs?: number;
}

function access(options: KubernetesDriverOptions): Access {
  if (options.apiUrl) {
    return { url: new URL(options.apiUrl), token: options.token, ca: options.ca, deadlineMs: options.deadlineMs };
  }
  return {
    url: new URL('https://kubernetes.default.svc'),
    token: options.token ?? (() => readFileSync(`${SERVICE_ACCOUNT}/token`, 'utf8').trim()),
    ca: options.ca ?? readFileSync(`${SERVICE_ACCOUNT}/ca.crt`),
    deadlineMs: options.deadlineMs,
  };
}

/** Longest a call to the API server may take, answer included; a poll that waits longer decides nothing. */
const API_DEADLINE_MS = 10_000;

function call<T = unknown>(a: Access, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, a.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload) headers['content-type'] = 'application/merge-patch+json';
  if (a.token) headers.authorization = `Bearer ${a.token()}`;
  const transport = url.protocol === 'https:' ? https : http;
  const what = `Kubernetes API ${method} ${url.pathname}`;
  return new Promise((resolve, reject) => {
    // A deadline on the whole exchange, not only an idle socket: an answer cut off after its headers (an API server
    // restarting, a proxy going away) would otherwise leave the poll waiting for good.
    const deadlineMs = a.deadlineMs ?? API_DEADLINE_MS;
    const signal = AbortSignal.timeout(deadlineMs);
    const late = (): Error => new Error(`${what}: no complete answer within ${deadlineMs} ms`);
    const req = transport.request(url, { method, headers, ca: a.ca, signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', () => undefined); // the request's 'error' or the 'close' below says what happened
      res.on('close', () => {
        if (!res.complete) reject(signal.aborted ? late() : new Error(`${what}: the answer was cut off`));
      });
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) {
          reject(new Error(`${what}: ${res.statusCode} ${text.slice(0, 300)}`));
          return;
        }
        try {
          resolve((text ? JSON.parse(text) : undefined) as T);
        } catch {
          reject(
            new Error(`${what}: answered ${res.statusCode} with something other than JSON: ${text.slice(0, 120)}`),
          );
        }
      });
    });
    req.on('error', (err) => reject(signal.aborted ? late() : err));
    req.end(payload);
  });
}

export function createKubernetesDriver(options: KubernetesDriverOptions): CapacityDriver {
  const a = access(options);
  const namespace = encodeURIComponent(options.namespace);
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${encodeURIComponent(options.deployment)}`;
  let graceChecked = false;
  const warned = new Set<string>();
  /** Missing RBAC (pods list or patch) is said once, not at every poll. */
  const warnOnce = (message: string, error: unknown): void => {
    if (warned.has(message)) return;
    warned.add(message);
    options.logger?.warn(message, { error, needs: 'list and patch on pods in the namespace' });
  };

  const checkGrace = (d: Deployment): void => {
    if (graceChecked || options.requiredGrace === undefined) return;
    graceChecked = true;
    const seconds = d.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30;
    if (seconds * 1000 < options.requiredGrace) {
      options.logger?.warn('terminationGracePeriodSeconds is shorter than the activity timeout needs', {
        deployment: options.deployment,
        terminationGracePeriodSeconds: seconds,
        neededSeconds: Math.ceil(options.requiredGrace / 1000),
      });
    }
  };

  /** The Deployment's ready worker pods with the activities each one runs. */
  const readyPods = async (d: Deployment): Promise<{ name: string; pod: Pod; load: WorkerLoad }[]> => {
    const labels = Object.entries(d.spec?.selector?.matchLabels ?? {});
    if (labels.length === 0) return [];
    const selector = encodeURIComponent(labels.map(([k, v]) => `${k}=${v}`).join(','));
    const list = await call<{ items?: Pod[] }>(
      a,
      'GET',
      `/api/v1/namespaces/${namespace}/pods?labelSelector=${selector}`,
    );
    const ready = (list.items ?? []).filter(isReady);
    return Promise.all(
      ready.map(async (pod) => {
        const port =
          pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'metrics')?.containerPort ??
          options.metricsPort ??
          9464;
        const ip = pod.status?.podIP;
        const load = ip ? await readWorkerLoad(`http://${ip.includes(':') ? `[${ip}]` : ip}:${port}/metrics`) : {};
        return { name: pod.metadata?.name ?? '', pod, load };
      }),
    );
  };

  return {
    name: 'kubernetes',
    async describe(): Promise<Capacity> {
      const d = await call<Deployment>(a, 'GET', path);
      checkGrace(d);
      const pods = await readyPods(d).catch((error: unknown) => {
        warnOnce('worker pods could not be read: busy workers are not known to the policy', error);
        return [];
      });
      return {
        desired: d.spec?.replicas ?? 0,
        running: d.status?.readyReplicas ?? 0,
        ...(pods.length > 0 ? fleetLoad(pods.map((p) => p.load)) : {}),
        sizeSource: JSON.stringify(requestsOf(d)),
      };
    },
    /**
     * The pod template's requests, summed over its containers: what EKS on Fargate bills a pod by (it rounds them up to
     * the next Fargate size, which this does not).
     */
    async taskSize(): Promise<TaskSizeReading | undefined> {
      const requests = requestsOf(await call<Deployment>(a, 'GET', path));
      const sum = (values: (number | undefined)[]): number | undefined =>
        values.some((v) => v === undefined) || values.length === 0
          ? undefined
          : values.reduce<number>((total, v) => total + v!, 0);
      const vcpu = sum(requests.map((r) => (r.cpu === undefined ? undefined : parseCpuQuantity(r.cpu))));
      const memoryGb = sum(requests.map((r) => (r.memory === undefined ? undefined : parseMemoryQuantity(r.memory))));
      return {
        ...(vcpu ? { vcpu } : {}),
        ...(memoryGb ? { memoryGb } : {}),
        source: `requests of Deployment ${options.namespace}/${options.deployment}`,
      };
    },
    async setDesired(count: number): Promise<void> {
      const d = await call<Deployment>(a, 'GET', path);
      if (count < (d.spec?.replicas ?? 0)) {
        // Mark every ready pod with its current load, so the ReplicaSet removes idle pods first. Without access to
        // the pods the scale-in still happens, as it would without this driver: the grace is what protects the work.
        try {
          for (const { name, pod, load } of await readyPods(d)) {
            const cost = String(deletionCost(load));
            if (!name || pod.metadata?.annotations?.[POD_DELETION_COST] === cost) continue;
            await call(a, 'PATCH', `/api/v1/namespaces/${namespace}/pods/${encodeURIComponent(name)}`, {
              metadata: { annotations: { [POD_DELETION_COST]: cost } },
            });
          }
        } catch (error) {
          warnOnce('pod-deletion-cost not set: the ReplicaSet chooses the pods to remove without it', error);
        }
      }
      await call(a, 'PATCH', `${path}/scale`, { spec: { replicas: count } });
    },
    close: async () => undefined,
  };
}
