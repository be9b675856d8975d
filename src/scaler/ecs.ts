/**
 * The ECS driver: the service's desiredCount is the fleet size; ECS starts and stops tasks. Busy workers hold task
 * scale-in protection (see task-protection.ts), so ECS stops idle ones first.
 */
import { DescribeServicesCommand, UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { Capacity, CapacityDriver } from './driver';

interface EcsDriverOptions {
  ecs: ECSClient;
  cluster: string;
  service: string;
}

export function createEcsDriver({ ecs, cluster, service }: EcsDriverOptions): CapacityDriver {
  return {
    name: 'ecs',
    async describe(): Promise<Capacity> {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = out.services?.find((s) => s.serviceName === service || s.serviceArn?.endsWith(`/${service}`));
      if (!found) {
        const reason = out.failures?.[0]?.reason ?? 'not found';
        throw new Error(
          `ECS service ${service} in cluster ${cluster}: ${reason} (set EBBFLOW_ECS_CLUSTER / EBBFLOW_ECS_SERVICE)`,
        );
      }
      return { desired: found.desiredCount ?? 0, running: found.runningCount ?? 0 };
    },
    async setDesired(count: number): Promise<void> {
      await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: count }));
    },
    close: async () => undefined,
  };
}
