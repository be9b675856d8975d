/**
 * The Kubernetes driver: the Deployment's scale subresource is the fleet size. On scale-in the kubelet sends SIGTERM
 * and waits `terminationGracePeriodSeconds`, which the worker uses to finish its activities (infra/k8s sets it above
 * the worker's shutdown grace).
 */
import type { Capacity, CapacityDriver } from './driver';

export interface KubernetesDriverOptions {
  namespace: string;
  deployment: string;
}

export async function createKubernetesDriver({
  namespace,
  deployment,
}: KubernetesDriverOptions): Promise<CapacityDriver> {
  // The client is an ES module: load it only when this driver is chosen.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  return {
    name: 'kubernetes',
    async describe(): Promise<Capacity> {
      const d = await apps.readNamespacedDeployment({ name: deployment, namespace });
      return { desired: d.spec?.replicas ?? 0, running: d.status?.readyReplicas ?? 0 };
    },
    async setDesired(count: number): Promise<void> {
      await apps.replaceNamespacedDeploymentScale({
        name: deployment,
        namespace,
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name: deployment, namespace },
          spec: { replicas: count },
        },
      });
    },
    close: async () => undefined,
  };
}
