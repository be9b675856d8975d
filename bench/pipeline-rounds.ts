/** What one round of the end-to-end benchmark measures, per placement, and the medians over the rounds. */
import { median } from './stats';

export interface BaselineRun {
  seconds: number;
  /** CPU seconds of this process (the resize activity) and of the emulator. */
  self: number;
  moto: number;
}

export interface Placement {
  /** Cores the resize work may use (the baseline, worker, bridge and emulator). */
  cores: number;
  /** Whether the Temporal server has a core of its own. */
  apart: boolean;
  rounds: { baseline: BaselineRun & { concurrency: number }; pipeline: Burst; bridged: Burst; bare: BareRun }[];
}

/** The same number of bare workflows (bench/workflows/bare-workflow.ts) through the same server, on a worker of their own. */
export interface BareRun {
  seconds: number;
  /** CPU seconds of the bare worker and of the server. */
  worker: number;
  temporal: number;
}

/** A placement's medians over its rounds. */
export interface Phase {
  cores: number;
  /** The baseline's concurrency that was faster most often. */
  baseline: BaselineRun & { concurrency: number };
  pipeline: Burst;
  /** The pipeline with the bridge inside the worker process. */
  bridged: Burst;
  bare: BareRun;
  /** The rounds' throughput ratios, pipeline to baseline (each round's pair ran back to back). */
  ratio: Ratios;
  /** The same for the pipeline with the bridge inside the worker. */
  bridgedRatio: Ratios;
}

/** Ratios over the rounds: their median, and the lowest and highest. */
export interface Ratios {
  median: number;
  range: [number, number];
}

export function summarise(placement: Placement): Phase {
  const { rounds } = placement;
  const mid = (pick: (r: Placement['rounds'][number]) => number): number => median(rounds.map(pick));
  const ratios = (pick: (r: Placement['rounds'][number]) => Burst): Ratios => {
    const each = rounds.map((r) => r.baseline.seconds / pick(r).seconds);
    return { median: median(each), range: [Math.min(...each), Math.max(...each)] };
  };
  const burst = (pick: (r: Placement['rounds'][number]) => Burst): Burst => ({
    seconds: mid((r) => pick(r).seconds),
    worker: mid((r) => pick(r).worker),
    bridge: mid((r) => pick(r).bridge),
    temporal: mid((r) => pick(r).temporal),
    moto: mid((r) => pick(r).moto),
  });
  const counts = new Map<number, number>();
  for (const { baseline } of rounds) counts.set(baseline.concurrency, (counts.get(baseline.concurrency) ?? 0) + 1);
  return {
    cores: placement.cores,
    baseline: {
      concurrency: [...counts].sort((a, b) => b[1] - a[1])[0]![0],
      seconds: mid((r) => r.baseline.seconds),
      self: mid((r) => r.baseline.self),
      moto: mid((r) => r.baseline.moto),
    },
    pipeline: burst((r) => r.pipeline),
    bridged: burst((r) => r.bridged),
    bare: {
      seconds: mid((r) => r.bare.seconds),
      worker: mid((r) => r.bare.worker),
      temporal: mid((r) => r.bare.temporal),
    },
    ratio: ratios((r) => r.pipeline),
    bridgedRatio: ratios((r) => r.bridged),
  };
}

export interface Burst {
  seconds: number;
  /** CPU seconds of each process while the burst ran. */
  worker: number;
  bridge: number;
  temporal: number;
  moto: number;
}
