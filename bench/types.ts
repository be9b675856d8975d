/** One section of docs/benchmarks.md, produced by one benchmark module's `run()`. */
export interface BenchSection {
  title: string;
  /** Markdown body: what was measured, against which baseline, and the ratios. */
  markdown: string;
  /** Headline figures, by name; ratios are dimensionless, others carry their unit in the name. */
  figures: Record<string, number>;
}

export type BenchModule = { run(): Promise<BenchSection> };
