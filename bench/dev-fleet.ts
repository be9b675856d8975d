/**
 * The local fleet as shipped against fixed fleets: a batch of real photographs uploaded to a fresh `ebbflow dev`,
 * timed from the first upload until the last workflow of the batch closed. The shipped stack starts scaled to zero
 * (its local scaler, as many workers at most as the machine's cores call for); each fixed fleet has its workers
 * polling and warmed by one image before the batch. Every fleet gets a stack of its own, in alternating rounds.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { collectUploads, uploadAll } from '../src/pipeline/upload';
import { startDev, variantsWritten, waitForBatch, type DevRun } from './dev-stack';
import { waitFor } from '../src/dev/processes';
import { photoCorpus } from './images';
import { median } from './stats';
import type { BenchSection } from './types';

/** Batch sizes, as a person drops a folder of photos. */
const BATCHES = [40, 120];
const ROUNDS = 2;
/** The shipped stack must reach this share of the best fixed fleet's throughput. */
const GOAL = 0.97;

interface Fleet {
  name: string;
  args: string[];
  fixed: boolean;
}

const FLEETS: Fleet[] = [
  { name: 'shipped', args: [], fixed: false },
  { name: 'fixed, 1 worker', args: ['--no-scaler', '--workers', '1'], fixed: true },
  { name: 'fixed, 2 workers', args: ['--no-scaler', '--workers', '2'], fixed: true },
];

/** When the last workflow started for keys under `prefix` closed, by the server's clock (this host's). */
async function lastClose(client: Client, prefix: string): Promise<number> {
  let last = 0;
  for await (const run of client.workflow.list({ query: `${SEARCH_ATTRIBUTES.sourceKey} STARTS_WITH "${prefix}"` })) {
    last = Math.max(last, run.closeTime?.getTime() ?? 0);
  }
  return last;
}

/** Images per second of one batch on a fresh stack of `fleet`, and the most workers the shipped stack may run. */
async function batchOn(
  fleet: Fleet,
  photos: string,
  size: number,
  round: number,
): Promise<{ rate: number; max?: number }> {
  const dev: DevRun = await startDev(`fleet-${round}`, fleet.args);
  try {
    const max = /\(0 to (\d+) workers?/.exec(dev.output())?.[1];
    if (fleet.fixed) {
      // A running fleet: its workers poll, and one image has been through them.
      const [warm] = collectUploads([photos], `${dev.config.image.keyPrefix}warm-up/`);
      await uploadAll(dev.aws.s3, dev.state.inputBucket, [warm!]);
      await waitFor('the warm-up image', () => variantsWritten(dev, warm!.key), {
        timeoutMs: 120_000,
        intervalMs: 100,
      });
    }
    const prefix = `${dev.config.image.keyPrefix}batch/`;
    const items = collectUploads([photos], prefix).slice(0, size);
    const t0 = Date.now();
    await uploadAll(dev.aws.s3, dev.state.inputBucket, items);
    const completed = await waitForBatch(dev, prefix, items.length);
    if (completed !== items.length)
      throw new Error(`${fleet.name}: ${items.length - completed} images did not complete`);
    const seconds = ((await lastClose(dev.client, prefix)) - t0) / 1000;
    return { rate: items.length / seconds, max: max === undefined ? undefined : Number(max) };
  } finally {
    await dev.stop();
  }
}

export async function run(): Promise<BenchSection> {
  const photos = photoCorpus(Math.max(...BATCHES));
  const rates = new Map<string, number[]>();
  let shippedMax: number | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of BATCHES) {
      // Alternating order, so drift on a shared machine does not always favour the same fleet.
      const order = round % 2 === 0 ? FLEETS : [...FLEETS].reverse();
      for (const fleet of order) {
        const { rate, max } = await batchOn(fleet, photos, size, round);
        if (!fleet.fixed) shippedMax = max;
        const key = `${size}/${fleet.name}`;
        rates.set(key, [...(rates.get(key) ?? []), rate]);
        process.stderr.write(`dev-fleet: ${size} photos, ${fleet.name}: ${rate.toFixed(2)} images/s\n`);
      }
    }
  }

  const figures: Record<string, number> = {};
  const rows: string[] = [];
  const ratios: number[] = [];
  for (const size of BATCHES) {
    const med = (fleet: Fleet) => median(rates.get(`${size}/${fleet.name}`)!);
    const best = Math.max(...FLEETS.filter((f) => f.fixed).map(med));
    for (const fleet of FLEETS) {
      const each = rates.get(`${size}/${fleet.name}`)!;
      const ratio = med(fleet) / best;
      if (!fleet.fixed) {
        ratios.push(ratio);
        figures[`shippedVsBestFixed${size}`] = ratio;
      }
      const label = fleet.fixed
        ? `${fleet.name}, running`
        : `shipped: local scaler, 0 to ${shippedMax ?? '?'} worker${shippedMax === 1 ? '' : 's'}, from zero`;
      const shown = fleet.fixed ? ratio.toFixed(2) : `**${ratio.toFixed(2)}**`;
      rows.push(
        `| ${size} | ${label} | ${med(fleet).toFixed(2)} | ${each.map((r) => r.toFixed(2)).join(', ')} | ${shown} |`,
      );
    }
  }
  const met = ratios.every((r) => r >= GOAL);
  const markdown = [
    `A batch of real photographs (the wallpapers corpus of the image section) uploaded to a fresh \`ebbflow dev\``,
    `(headless), timed from the first upload until the last workflow of the batch closed. The shipped stack starts`,
    `scaled to zero with its local scaler, whose most workers follow the machine's cores (${os.availableParallelism()} here: one worker per`,
    `\`EBBFLOW_WORKER_MAX_ACTIVITIES\` cores, as resizes are CPU-bound); each fixed fleet (\`--no-scaler --workers N\`)`,
    `has its workers polling and warmed by one image. Baseline: the faster fixed fleet in the same run. ${ROUNDS} rounds,`,
    'each fleet on a stack of its own, in alternating order; medians.',
    '',
    '| photos | fleet | images/s | each round | ÷ best fixed |',
    '| ---: | --- | ---: | --- | ---: |',
    ...rows,
    '',
    `Goal: the shipped stack at least ${GOAL}× the best fixed fleet for both batches — **${met ? 'met' : 'not met'}**`,
    `(${ratios.map((r) => `${r.toFixed(2)}×`).join(' and ')}). The shipped stack pays its cold start (the scaler's decision and a worker's`,
    'start-up, about 2 s: the `dev` section) inside the timed window; a fixed fleet paid it before.',
  ].join('\n');
  return { title: 'The local fleet as shipped against fixed fleets', markdown, figures };
}
