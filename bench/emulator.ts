/**
 * The AWS emulator's CPU per image: the S3 and SQS requests one photograph causes in the pipeline, sent to moto as
 * `moto_server` runs it (the baseline) and as the local stack runs it (scripts/emulator.py), side by side in each
 * round. The emulator shares the machine's cores with everything else of a local stack, so what it spends per
 * request is taken from the resizes.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { forEachConcurrently } from '../src/async';
import { createAwsClients, type AwsClients } from '../src/aws/clients';
import { pipelineNames, provisionPipeline, type PipelineResources } from '../src/aws/provision';
import { DEFAULT_VARIANTS, variantKey } from '../src/common/image-variants';
import { freePort, startMoto, tools, type ManagedProcess } from '../src/dev/processes';
import { renderVariants } from '../src/images/resize';
import { photoCorpusFiles } from './images';
import { cpuSeconds } from './processes';
import { median } from './stats';
import type { BenchSection } from './types';

const ROUNDS = 5;
const IMAGES = 120;
/** Requests in flight, as a worker's activity slots and the uploader send them. */
const CONCURRENCY = 4;
/** Requests per image: the upload, a tenth of a receive and of a batch delete, the download, three variants. */
const REQUESTS_PER_IMAGE = 1 + 0.1 + 0.1 + 1 + DEFAULT_VARIANTS.length;

interface Emulator {
  name: string;
  command?: { command: string; args: string[] };
}

function emulators(): Emulator[] {
  // moto_server is installed beside the Python that runs the local stack's launcher.
  const python = tools.emulator().command;
  return [
    {
      name: '`moto_server`, as moto ships it (baseline)',
      command: { command: path.join(path.dirname(python), 'moto_server'), args: [] },
    },
    {
      name: "**ebbflow**: moto's server through scripts/emulator.py (each host's service resolved once, retention read once)",
    },
  ];
}

interface Photo {
  original: Buffer;
  variants: Buffer[];
}

/** The corpus photographs and their variants as the worker renders them, so each request carries real sizes. */
async function photos(): Promise<Photo[]> {
  const out: Photo[] = [];
  for (const file of photoCorpusFiles()) {
    const original = readFileSync(file);
    const rendered = await renderVariants(original, DEFAULT_VARIANTS, { maxPixels: 100_000_000 });
    out.push({ original, variants: rendered.variants.map((v) => v.data) });
  }
  return out;
}

/** The traffic of `count` images: the uploads, the bridge's receives and deletes, the worker's downloads and uploads. */
async function traffic(
  aws: AwsClients,
  pipeline: PipelineResources,
  corpus: Photo[],
  prefix: string,
  count: number,
): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}photo-${String(i).padStart(4, '0')}.jpg`);
  const photoOf = (i: number): Photo => corpus[i % corpus.length]!;
  await forEachConcurrently(keys, CONCURRENCY, async (key, i) => {
    await aws.s3.send(new PutObjectCommand({ Bucket: pipeline.inputBucket, Key: key, Body: photoOf(i).original }));
  });
  // The bucket notified the queue of each upload; the bridge takes them ten at a time and deletes each batch.
  let received = 0;
  let emptyReceives = 0;
  while (received < count) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pipeline.ingressQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) {
      if (++emptyReceives >= 30)
        throw new Error(`the ingress queue stayed empty for 30 s with ${received} of ${count} notifications received`);
      continue;
    }
    emptyReceives = 0;
    received += Messages.length;
    await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: pipeline.ingressQueueUrl,
        Entries: Messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  await forEachConcurrently(keys, CONCURRENCY, async (key, i) => {
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: pipeline.inputBucket, Key: key }));
    await object.Body!.transformToByteArray();
    for (const [v, data] of photoOf(i).variants.entries()) {
      const variantName = DEFAULT_VARIANTS[v]!.name;
      await aws.s3.send(
        new PutObjectCommand({
          Bucket: pipeline.outputBucket,
          Key: variantKey(variantName, pipeline.inputBucket, key),
          Body: data,
          ContentType: 'image/jpeg',
        }),
      );
    }
  });
}

/** CPU ms per image one fresh emulator spent on `count` images' traffic. */
async function cpuPerImage(emulator: Emulator, corpus: Photo[], round: number): Promise<number> {
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `ebbflow-bench-emulator-${process.pid}-${round}.log`);
  const proc: ManagedProcess = await startMoto({ port, logFile, command: emulator.command });
  try {
    const aws = createAwsClients({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      emulatorCredentials: true,
    });
    const pipeline = await provisionPipeline(aws, pipelineNames(`bench${round}`));
    // One image first, so neither emulator is timed loading the code of S3 and SQS.
    await traffic(aws, pipeline, corpus, 'uploads/warm-up-', 1);
    const before = cpuSeconds(proc.child.pid);
    await traffic(aws, pipeline, corpus, 'uploads/', IMAGES);
    return ((cpuSeconds(proc.child.pid) - before) * 1000) / IMAGES;
  } finally {
    await proc.stop();
  }
}

export async function run(): Promise<BenchSection> {
  const corpus = await photos();
  const kinds = emulators();
  const perImage = kinds.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating order: neither is always the first on a cold page cache.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const ms: number[] = [];
    for (const k of order) ms[k] = await cpuPerImage(kinds[k]!, corpus, round * 2 + k);
    perImage.forEach((list, k) => list.push(ms[k]!));
    ratios.push(ms[0]! / ms[1]!);
    process.stderr.write(`round ${round + 1}: ${ms.map((m) => m.toFixed(1)).join(' / ')} ms per image\n`);
  }
  const ratio = median(ratios);
  const rows = kinds.map((kind, k) => {
    const ms = median(perImage[k]!);
    const cells = [
      kind.name,
      ms.toFixed(1),
      (ms / REQUESTS_PER_IMAGE).toFixed(2),
      perImage[k]!.map((m) => m.toFixed(1)).join(', '),
      k === 0 ? '1.00' : `**${ratio.toFixed(2)}**`,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const markdown = [
    `The S3 and SQS requests of ${IMAGES} photographs (the wallpapers corpus of the image section, with the variants the`,
    'worker renders from them) sent to a fresh emulator over HTTP with the AWS SDK: each original uploaded to the input',
    'bucket, whose notification the emulator puts on the ingress queue; the queue received ten messages at a time and',
    `each batch deleted, as the bridge does; each original downloaded and its ${DEFAULT_VARIANTS.length} variants uploaded, as the worker does;`,
    `${CONCURRENCY} requests in flight. About ${REQUESTS_PER_IMAGE.toFixed(1)} requests per image. The emulator's CPU (user + system, all`,
    `threads) is charged per image. ${ROUNDS} rounds, each starting both emulators afresh, in alternating order; the`,
    "ratio is the median of the rounds' ratios (how many images the local stack's emulator serves per CPU-second for",
    "each one the baseline serves), CPU the median round's.",
    '',
    '| emulator | CPU ms per image | per request | each round | images per CPU-second vs baseline |',
    '| --- | ---: | ---: | --- | ---: |',
    ...rows,
    '',
    "moto's dispatcher finds the service of every request by listing its own package folder, a file-system check of",
    'each of some two hundred entries, and then matching the host against the URL patterns of every service, all under',
    "one lock; and for each message a receive hands out it computes all of the queue's attributes three times to read",
    'its retention period, each count of messages a walk over the whole queue. scripts/emulator.py runs the same server',
    'and application, works out the service once per host and reads the retention period alone.',
  ].join('\n');
  return {
    title: "The AWS emulator: CPU per image's requests",
    markdown,
    figures: {
      baselineCpuMsPerImage: median(perImage[0]!),
      ebbflowCpuMsPerImage: median(perImage[1]!),
      ratio,
    },
  };
}
