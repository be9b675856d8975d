/**
 * The EKS option, checked without a cluster: every manifest parses and has the kind we mean, the kustomization lists
 * files that exist, and the settings agree with each other and with ebbflow's config (grace periods, names, RBAC).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '../../../src/config';
import { unknownVariables } from './known-settings';

const root = path.resolve(__dirname, '../../..');
const base = path.join(root, 'infra/k8s/base');
const overlay = path.join(root, 'infra/k8s/overlays/example');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
}
interface Deployment extends Manifest {
  spec: { replicas?: number; template: { spec: PodSpec } };
}

function load(dir: string): { kustomization: { resources: string[] }; manifests: Manifest[] } {
  const read = (file: string): Manifest[] =>
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest;
    });
  const [kustomization] = read('kustomization.yaml') as unknown as { resources: string[] }[];
  const manifests = kustomization!.resources.filter((r) => r.endsWith('.yaml')).flatMap(read);
  return { kustomization: kustomization!, manifests };
}

const { kustomization, manifests } = load(base);
const find = <T extends Manifest>(kind: string, name: string): T => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};
const config = find<Manifest & { data: Record<string, string> }>('ConfigMap', 'ebbflow-config').data;
const worker = find<Deployment>('Deployment', 'ebbflow-worker');
const bridge = find<Deployment>('Deployment', 'ebbflow-bridge');
const scaler = find<Deployment>('Deployment', 'ebbflow-scaler');

describe('infra/k8s', () => {
  it('lists files that exist, each parsing to manifests of the expected kinds', () => {
    for (const resource of kustomization.resources) expect(existsSync(path.join(base, resource))).toBe(true);
    const kinds = manifests.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'v1 ConfigMap ebbflow-config',
        'v1 ServiceAccount ebbflow-worker',
        'v1 ServiceAccount ebbflow-bridge',
        'v1 ServiceAccount ebbflow-scaler',
        'rbac.authorization.k8s.io/v1 Role ebbflow-scaler',
        'rbac.authorization.k8s.io/v1 RoleBinding ebbflow-scaler',
        'apps/v1 Deployment ebbflow-worker',
        'apps/v1 Deployment ebbflow-bridge',
        'apps/v1 Deployment ebbflow-scaler',
        'policy/v1 PodDisruptionBudget ebbflow-worker',
        'policy/v1 PodDisruptionBudget ebbflow-bridge',
        'policy/v1 PodDisruptionBudget ebbflow-scaler',
        'networking.k8s.io/v1 NetworkPolicy ebbflow',
        'networking.k8s.io/v1 NetworkPolicy ebbflow-worker-from-scaler',
      ].sort(),
    );
  });

  it('runs worker, bridge and scaler commands from the same image, as non-root, with the shared settings', () => {
    for (const [deployment, command] of [
      [worker, 'worker'],
      [bridge, 'bridge'],
      [scaler, 'scaler'],
    ] as const) {
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      expect(container!.args).toEqual([command]);
      expect(container!.image).toBe('ebbflow:latest');
      expect(container!.envFrom).toEqual([{ configMapRef: { name: 'ebbflow-config' } }]);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
      expect(pod.serviceAccountName).toBe(deployment.metadata.name);
      expect(unknownVariables((container!.env ?? []).map((e) => e.name))).toEqual([]);
    }
    expect(unknownVariables(Object.keys(config))).toEqual([]);
  });

  it('gives workers longer to stop than their own shutdown grace, and leaves the replica count to the scaler', () => {
    const graceSeconds = parseDuration(config.EBBFLOW_WORKER_SHUTDOWN_GRACE ?? '') / 1000;
    expect(graceSeconds).toBeGreaterThan(0);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(graceSeconds + 10);
    expect(worker.spec.replicas).toBeUndefined();
  });

  it('lets the scaler get and patch only the worker Deployment scale, through its own service account', () => {
    const role = find<
      Manifest & { rules: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[] }
    >('Role', 'ebbflow-scaler');
    const scale = role.rules.find((r) => r.resources.includes('deployments/scale'));
    expect(scale).toMatchObject({ apiGroups: ['apps'], resourceNames: [worker.metadata.name] });
    expect(scale!.verbs.sort()).toEqual(['get', 'patch']);
    expect(role.rules.flatMap((r) => r.verbs)).not.toContain('delete');
    const binding = find<
      Manifest & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string }[] }
    >('RoleBinding', 'ebbflow-scaler');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'ebbflow-scaler' });
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'ebbflow-scaler' })]);
    expect(config).toMatchObject({ EBBFLOW_SCALER_DRIVER: 'kubernetes', EBBFLOW_K8S_DEPLOYMENT: worker.metadata.name });
  });

  it('annotates every service account for IRSA', () => {
    const accounts = manifests.filter((m) => m.kind === 'ServiceAccount');
    for (const account of accounts) {
      expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    }
  });

  it('has an example overlay that creates the namespace and sets the image of the base', () => {
    const text = readFileSync(path.join(overlay, 'kustomization.yaml'), 'utf8');
    const [doc] = parseAllDocuments(text);
    const overlayKustomization = doc!.toJS() as { resources: string[]; images: { name: string }[] };
    expect(overlayKustomization.resources).toContain('../../base');
    expect(overlayKustomization.images.map((i) => i.name)).toEqual(['ebbflow']);
    const [namespace] = parseAllDocuments(readFileSync(path.join(overlay, 'namespace.yaml'), 'utf8'));
    expect(namespace!.toJS()).toMatchObject({ kind: 'Namespace', metadata: { name: 'ebbflow' } });
  });

  it('binds the scaler Role to the service account of the namespace an overlay deploys to', () => {
    for (const [dir, namespace] of [
      ['overlays/example', 'ebbflow'],
      ['overlays/other-namespace', 'batch-jobs'],
    ] as const) {
      const rendered = spawnSync('kubectl', ['kustomize', path.join(root, 'infra/k8s', dir)], { encoding: 'utf8' });
      expect(rendered.status).toBe(0);
      const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Manifest & { subjects?: unknown[] });
      const binding = docs.find((d) => d.kind === 'RoleBinding' && d.metadata.name === 'ebbflow-scaler')!;
      expect(binding.metadata.namespace).toBe(namespace);
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ebbflow-scaler', namespace }]);
    }
  });

  it('mounts a service-account token only in the scaler, and gives workers at least the longest activity timeout', () => {
    for (const deployment of [worker, bridge]) {
      expect(
        (deployment.spec.template.spec as { automountServiceAccountToken?: boolean }).automountServiceAccountToken,
      ).toBe(false);
    }
    const accounts = manifests.filter((m) => m.kind === 'ServiceAccount') as (Manifest & {
      automountServiceAccountToken?: boolean;
    })[];
    expect(accounts.filter((a) => a.automountServiceAccountToken !== false).map((a) => a.metadata.name)).toEqual([
      'ebbflow-scaler',
    ]);
    // The daily report's steps may take 5 minutes (the longest activity timeout); image resizes 2.
    expect(parseDuration(config.EBBFLOW_WORKER_SHUTDOWN_GRACE ?? '')).toBeGreaterThanOrEqual(5 * 60_000);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
  });

  it('has a KEDA overlay that sizes the workers from the ingress queue and the task queue, without the scaler', () => {
    const rendered = spawnSync('kubectl', ['kustomize', path.join(root, 'infra/k8s/overlays/keda')], {
      encoding: 'utf8',
    });
    expect(rendered.status).toBe(0);
    const docs = parseAllDocuments(rendered.stdout).map(
      (d) => d.toJS() as Manifest & { spec?: Record<string, unknown> },
    );
    expect(docs.filter((d) => d.metadata.name === 'ebbflow-scaler')).toEqual([]);
    const scaled = docs.find((d) => d.kind === 'ScaledObject')!;
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { name: worker.metadata.name },
      minReplicaCount: 0,
      maxReplicaCount: Number(config.EBBFLOW_SCALER_MAX_TASKS),
    });
    const triggers = scaled.spec!.triggers as {
      type: string;
      metadata: Record<string, string>;
      authenticationRef: { name: string };
    }[];
    expect(triggers.map((t) => t.type)).toEqual(['aws-sqs-queue', 'temporal']);
    const [sqs, temporal] = triggers;
    expect(sqs!.metadata).toMatchObject({
      queueURL: config.EBBFLOW_INGRESS_QUEUE_URL,
      queueLength: config.EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK,
    });
    expect(temporal!.metadata).toMatchObject({
      taskQueue: config.EBBFLOW_TASK_QUEUE,
      targetQueueSize: config.EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK,
    });
    const auth = docs.find((d) => d.kind === 'TriggerAuthentication')!;
    expect(triggers.every((t) => t.authenticationRef.name === auth.metadata.name)).toBe(true);
    expect(auth.spec).toMatchObject({ podIdentity: { provider: 'aws' } });
  });
});
