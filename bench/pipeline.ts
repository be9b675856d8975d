/**
 * End-to-end throughput: real photographs through S3 notifications → SQS → bridge → Temporal → worker → S3, against
 * the same resize activity called in-process, on the same cores, reading and writing the same emulator. The gap is
 * what orchestration costs. CPU taken by the Temporal server and the emulator is reported separately.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImageActivities } from '../activities/images';
import { createAwsClients } from '../src/aws/clients';
import { pipelineNames, provisionPipeline } from '../src/aws/provision';
import { SEARCH_ATTRIBUTES } from '../src/common/constants';
import { DEFAULT_VARIANTS } from '../src/common/image-variants';
import { loadConfig } from '../src/config';
import { freePort, startMoto, startTemporalDevServer, type ManagedProcess } from '../src/dev/processes';
import { silentLogger } from '../src/logger';
import { countWorkflows } from '../src/ops/status';
import { collectUploads, uploadAll } from '../src/ops/upload';
import { CLI_PATH, PROJECT_ROOT } from '../src/paths';
import { connectClient } from '../src/temporal/connection';
import { createActivityDeps } from '../src/worker/worker';
import type { BenchSection } from './types';

const IMAGES = 60;
const CONCURRENCY = os.cpus().length;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function photoCorpus(count: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensurePhotoCorpus } = require(path.join(PROJECT_ROOT, 'scripts', 'bootstrap.js')) as {
    ensurePhotoCorpus(): string;
  };
  const root = ensurePhotoCorpus();
  const photos: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.jpe?g$/i.test(e.name) && statSync(full).size > 200_000) photos.push(full);
    }
  };
  walk(root);
  photos.sort();
  if (photos.length === 0) throw new Error(`no JPEG photographs under ${root}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-photos-'));
  for (let i = 0; i < count; i++)
    copyFileSync(photos[i % photos.length]!, path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`));
  return dir;
}

export async function run(): Promise<BenchSection> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-bench-pipeline-'));
  const photos = photoCorpus(IMAGES);
  const [temporalPort, awsPort] = [await freePort(), await freePort()];
  const servers: ManagedProcess[] = [];
  const children: ReturnType<typeof spawn>[] = [];
  try {
    servers.push(
      await startTemporalDevServer({
        port: temporalPort,
        headless: true,
        dbFile: path.join(work, 'temporal.db'),
        searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((n) => [n, 'Keyword'])),
      }),
      await startMoto({ port: awsPort }),
    );
    const [temporal, moto] = servers as [ManagedProcess, ManagedProcess];
    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${awsPort}`,
      AWS_REGION: 'us-east-1',
      EBBFLOW_STATE_DIR: work,
      EBBFLOW_LOG_LEVEL: 'warn',
      EBBFLOW_METRICS_PORT: '0',
      EBBFLOW_WORKER_MAX_ACTIVITIES: String(CONCURRENCY),
    };
    const aws = createAwsClients({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL, emulatorCredentials: true });

    // Baseline: the activity in-process, CONCURRENCY at a time, over originals already in the bucket.
    const base = await provisionPipeline(aws, pipelineNames('baseline'));
    const items = collectUploads([photos], 'photos');
    await uploadAll(aws.s3, base.inputBucket, items);
    const baseConfig = loadConfig({ ...env, EBBFLOW_OUTPUT_BUCKET: base.outputBucket }, { useDevState: false });
    const activities = createImageActivities(createActivityDeps(baseConfig, silentLogger));
    const mockEnv = new MockActivityEnvironment();
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < items.length) {
          const item = items[next++]!;
          await mockEnv.run(activities.resizeImage, {
            bucket: base.inputBucket,
            key: item.key,
            variants: [...DEFAULT_VARIANTS],
          });
        }
      }),
    );
    const baselineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    // The pipeline: notifications queue up first, then the bridge and a worker drain them.
    const res = await provisionPipeline(aws, pipelineNames('pipeline'));
    Object.assign(env, {
      EBBFLOW_INPUT_BUCKET: res.inputBucket,
      EBBFLOW_OUTPUT_BUCKET: res.outputBucket,
      EBBFLOW_INGRESS_QUEUE_URL: res.ingressQueueUrl,
      EBBFLOW_DLQ_URL: res.dlqUrl,
    });
    await uploadAll(aws.s3, res.inputBucket, items);
    const client = await connectClient({ ...baseConfig.temporal, address: env.TEMPORAL_ADDRESS! });
    const cpu0 = { temporal: cpuSeconds(temporal.child.pid), moto: cpuSeconds(moto.child.pid) };
    const t1 = process.hrtime.bigint();
    for (const command of ['worker', 'bridge']) {
      children.push(spawn(process.execPath, [CLI_PATH, command], { env: { ...process.env, ...env }, stdio: 'ignore' }));
    }
    for (;;) {
      const w = await countWorkflows(client, baseConfig.temporal.taskQueue);
      if (w.completed + w.failed >= items.length) {
        if (w.failed > 0) throw new Error(`${w.failed} workflows failed during the benchmark`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const pipelineSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const cpu = {
      temporal: cpuSeconds(temporal.child.pid) - cpu0.temporal,
      moto: cpuSeconds(moto.child.pid) - cpu0.moto,
    };
    await client.connection.close();

    const baselineRate = items.length / baselineSeconds;
    const pipelineRate = items.length / pipelineSeconds;
    const ratio = pipelineRate / baselineRate;
    const cost = 1 - ratio;
    const markdown = `
${items.length} real photographs (Debian's plasma-workspace-wallpapers, ${Math.round(
      items.reduce((s, i) => s + i.bytes, 0) / items.length / 1024,
    )} KiB average), three variants each, ${CONCURRENCY} at a time on ${CONCURRENCY} cores.

| path | images/s | ratio to baseline |
| --- | ---: | ---: |
| baseline: resize activity called in-process, S3 in and out | ${baselineRate.toFixed(2)} | 1.00 |
| pipeline: upload notifications → SQS → bridge → Temporal → worker → S3 | ${pipelineRate.toFixed(2)} | ${ratio.toFixed(2)} |

Orchestration cost: **${(cost * 100).toFixed(0)} %** of throughput (target: at most 25 %). The worker and the bridge
start inside the measured window (process start and workflow-bundle load included), as they would on a scale-out.

CPU used while the pipeline ran: Temporal dev server ${cpu.temporal.toFixed(1)} s
(${((cpu.temporal / pipelineSeconds / CONCURRENCY) * 100).toFixed(0)} % of the machine), AWS emulator
${cpu.moto.toFixed(1)} s (${((cpu.moto / pipelineSeconds / CONCURRENCY) * 100).toFixed(0)} %). Both share the cores
with the worker here; in production they run elsewhere.
`;
    return {
      title: 'End to end: SQS → bridge → Temporal → worker → S3',
      markdown,
      figures: {
        baselineImagesPerSecond: baselineRate,
        pipelineImagesPerSecond: pipelineRate,
        pipelineToBaseline: ratio,
        temporalCpuSeconds: cpu.temporal,
        emulatorCpuSeconds: cpu.moto,
      },
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    for (const s of servers.reverse()) await s.stop();
  }
}
