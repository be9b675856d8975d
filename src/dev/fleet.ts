/**
 * The size of the local fleet: `ebbflow dev` runs on the cores of one machine, and resizing images is CPU-bound.
 */

/**
 * Most worker processes a local fleet needs to keep `cores` busy when each worker runs `activitySlots` resizes at once:
 * one per that many cores, at least one. More would only fight over the same cores and memory (a worker holds a few
 * hundred MB) while adding start-ups; work that waits on I/O rather than on the cores is better served by more, which
 * `ebbflow dev --workers` sets.
 */
export function localWorkersFor(cores: number, activitySlots: number): number {
  return Math.max(1, Math.ceil(cores / Math.max(1, activitySlots)));
}
