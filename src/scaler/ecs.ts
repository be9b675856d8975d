/**
 * The ECS driver: the service's desiredCount is the fleet size; ECS starts and stops tasks. Busy workers hold task
 * scale-in protection (see task-protection.ts), so ECS stops idle ones first.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import type { TaskSizeReading } from './cost-meter';
import type { Capacity, CapacityDriver } from './driver';

interface EcsDriverOptions {
  ecs: ECSClient;
  cluster: string;
  service: string;
}

/** Spot when every task the service's capacity providers place goes to FARGATE_SPOT. */
export function billedAsSpot(found: Service): boolean {
  const strategy = found.capacityProviderStrategy ?? [];
  const weighted = strategy.filter((p) => (p.weight ?? 0) > 0 || (p.base ?? 0) > 0);
  return weighted.length > 0 && weighted.every((p) => p.capacityProvider === 'FARGATE_SPOT');
}

export function createEcsDriver({ ecs, cluster, service }: EcsDriverOptions): CapacityDriver {
  const find = async (): Promise<Service> => {
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const found = out.services?.find((s) => s.serviceName === service || s.serviceArn?.endsWith(`/${service}`));
    if (!found) {
      const reason = out.failures?.[0]?.reason ?? 'not found';
      throw new Error(
        `ECS service ${service} in cluster ${cluster}: ${reason} (set EBBFLOW_ECS_CLUSTER / EBBFLOW_ECS_SERVICE)`,
      );
    }
    return found;
  };
  return {
    name: 'ecs',
    async describe(): Promise<Capacity> {
      const found = await find();
      return {
        desired: found.desiredCount ?? 0,
        running: found.runningCount ?? 0,
        ...(found.taskDefinition ? { sizeSource: found.taskDefinition } : {}),
      };
    },
    /** The service's task definition: its CPU units and MiB, its architecture, and Spot from the capacity providers. */
    async taskSize(): Promise<TaskSizeReading | undefined> {
      const found = await find();
      if (!found.taskDefinition) return undefined;
      const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: found.taskDefinition }));
      const definition = out.taskDefinition;
      if (!definition) return undefined;
      const cpu = Number(definition.cpu);
      const memory = Number(definition.memory);
      const arm = definition.runtimePlatform?.cpuArchitecture === 'ARM64';
      const name = definition.family ? `${definition.family}:${definition.revision ?? '?'}` : found.taskDefinition;
      return {
        ...(cpu > 0 ? { vcpu: cpu / 1024 } : {}),
        ...(memory > 0 ? { memoryGb: memory / 1024 } : {}),
        arm,
        spot: billedAsSpot(found),
        source: `ECS task definition ${name}`,
      };
    },
    async setDesired(count: number): Promise<void> {
      await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: count }));
    },
    close: async () => undefined,
  };
}
