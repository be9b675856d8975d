/** How the scaler reads and changes capacity: an ECS service, a Kubernetes Deployment, or local worker processes. */
import type { TaskSizeReading } from './cost-meter';

export interface Capacity {
  /** Tasks asked for. */
  desired: number;
  /** Tasks running (ECS runningCount, ready replicas, live processes not draining). */
  running: number;
  /** Running tasks with at least one activity in progress (or whose load could not be read); undefined: not known. */
  busyTasks?: number;
  /** Activities in progress on the running tasks; undefined: not known. */
  runningActivities?: number;
  /** Local driver keeping a standby: whether one is booted and waiting to be promoted; undefined: none is kept. */
  standbyReady?: boolean;
  /**
   * What one task's size is read from (the ECS service's task definition, the pod template's requests): when it
   * changes, the cost estimate reads the size again. Undefined: the size never changes while the scaler runs.
   */
  sizeSource?: string;
}

export interface CapacityDriver {
  readonly name: 'ecs' | 'kubernetes' | 'local';
  describe(): Promise<Capacity>;
  setDesired(count: number): Promise<void>;
  /** The size of one worker task as the platform declares it, for the cost estimate; absent: not known. */
  taskSize?(): Promise<TaskSizeReading | undefined>;
  /** Releases what the driver holds; the local driver drains its workers. */
  close(): Promise<void>;
}
