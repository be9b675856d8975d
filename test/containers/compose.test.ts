/**
 * The deployment as users get it: infra/Dockerfile built into an image, docker-compose.yml brought up on it with
 * `docker compose up -d --wait`, and everything checked from outside through the published ports, as a user would.
 * One stack for the whole file; the checks run in order against it and the last one takes it down.
 *
 * Temporal's and moto's registry images cannot be pulled where this runs: compose is pointed (TEMPORAL_IMAGE,
 * MOTO_IMAGE) at local test doubles with the same entrypoints, ports and health checks, built from the same pins.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type ObjectVersion,
} from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createAwsClients, type AwsClients } from '../../src/aws/clients';
import { loadConfig } from '../../src/config';
import { DEFAULT_VARIANTS, variantKey } from '../../src/common/image-variants';
import { dailySalesReportKey } from '../../src/common/report-dates';
import { freePort } from '../../src/dev/processes';
import { generateSamplePhoto } from '../../src/images/sample-photos';
import { PROCESS_IMAGE_WORKFLOW } from '../../src/images/workflow-input';
import { countWorkflows } from '../../src/pipeline/status';
import { eventually } from '../support/stack';
import { buildProjectImage, preparedImages, startEngine, type Engine } from './engine';

const root = path.resolve(__dirname, '../..');
const PREFIX = 'ebbflow'; // the setup service's --prefix, so the names below are the ones compose configures
const INPUT_BUCKET = `${PREFIX}-input`;
const OUTPUT_BUCKET = `${PREFIX}-output`;
const ACCOUNT = '123456789012';
const TASK_QUEUE = 'ebbflow'; // EBBFLOW_TASK_QUEUE in docker-compose.yml
const IMAGE_WORKFLOWS = `WorkflowType = "${PROCESS_IMAGE_WORKFLOW}"`;
const { PendingActivityState, PendingWorkflowTaskState } = temporal.api.enums.v1;

describe('the container image under docker compose', () => {
  const project = `ebbflow-test-${randomUUID().slice(0, 8)}`;
  const image = `localhost/ebbflow-test/ebbflow:${project}`;
  let engine: Engine;
  let ports: Record<string, number>;
  let aws: AwsClients;
  let client: Client | undefined;

  const compose = (...args: string[]) =>
    engine.exec('docker', ['compose', '-f', path.join(root, 'docker-compose.yml'), '-p', project, ...args], {
      env: {
        EBBFLOW_IMAGE: image,
        TEMPORAL_IMAGE: preparedImages().temporal,
        MOTO_IMAGE: preparedImages().moto,
        TEMPORAL_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.temporalUi),
        MOTO_PORT: String(ports.moto),
        WORKER_METRICS_PORT: String(ports.worker),
        BRIDGE_PORT: String(ports.bridge),
        SCALER_PORT: String(ports.scaler),
      },
    });
  const composeOk = async (...args: string[]) => {
    const result = await compose(...args);
    if (result.code !== 0)
      throw new Error(`docker compose ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`);
    return result.stdout;
  };
  const containerOf = async (service: string) => (await composeOk('ps', '-aq', service)).trim();
  const ourContainers = async () =>
    (await engine.podman('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)).trim();

  /** Uploads `count` camera-like JPEGs under `prefix` and returns their keys. */
  async function upload(prefix: string, count: number, seed: number, minSide: number): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const photo = await generateSamplePhoto(i, { seed, minSide, maxSide: minSide + 800 });
      const key = `uploads/${prefix}/${photo.name}`; // the notification covers uploads/ only
      await aws.s3.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: key, Body: photo.data }));
      keys.push(key);
    }
    return keys;
  }

  async function outputKeys(prefix: string): Promise<Set<string>> {
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await aws.s3.send(
        new ListObjectsV2Command({ Bucket: OUTPUT_BUCKET, Prefix: 'processed/', ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key?.includes(`/${prefix}/`)) keys.add(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  const expectedVariants = (keys: string[]) =>
    keys.flatMap((key) => DEFAULT_VARIANTS.map((variant) => variantKey(variant.name, INPUT_BUCKET, key))).sort();

  async function allVariants(prefix: string, keys: string[], timeoutMs: number): Promise<void> {
    const expected = expectedVariants(keys);
    await eventually(
      `${expected.length} variants of ${keys.length} photos under ${prefix}/`,
      async () => (await outputKeys(prefix)).size === expected.length,
      timeoutMs,
      1000,
    );
    expect([...(await outputKeys(prefix))].sort()).toEqual(expected);
  }

  /**
   * Image workflows a worker has taken and not finished, as the server records it: a started regular activity, or a
   * started workflow task, which the worker holds while the image's local activity waits for a slot and runs.
   */
  async function workflowsTakenByWorker(): Promise<number> {
    const query = `TaskQueue = "${TASK_QUEUE}" AND ${IMAGE_WORKFLOWS} AND ExecutionStatus = "Running"`;
    let taken = 0;
    for await (const { workflowId, runId } of client!.workflow.list({ query })) {
      const { raw } = await client!.workflow.getHandle(workflowId, runId).describe();
      const task = raw.pendingWorkflowTask?.state === PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED;
      const activity = (raw.pendingActivities ?? []).some(
        (a) => a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
      if (task || activity) taken++;
    }
    return taken;
  }

  beforeAll(async () => {
    engine = await startEngine();
    const names = ['temporal', 'temporalUi', 'moto', 'worker', 'bridge', 'scaler'];
    ports = {};
    for (const name of names) ports[name] = await freePort();
    await buildProjectImage(engine, image, preparedImages());
    engine.driveHealthChecks(project);
    await composeOk('up', '-d', '--wait', '--wait-timeout', '300');
    const env = { AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.moto}`, AWS_REGION: 'us-east-1' };
    aws = createAwsClients(loadConfig(env, { useDevState: false }).aws);
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    client = new Client({ connection, namespace: 'default' });
  }, 1_500_000);

  afterAll(async () => {
    await client?.connection.close();
    for (const service of Object.values(aws ?? {})) (service as { destroy(): void }).destroy();
    if (!engine) return;
    try {
      // Also after a failure: nothing of this run may outlive it.
      if (ports) await compose('down', '-v', '--remove-orphans', '--timeout', '5');
      const left = await ourContainers().catch(() => '');
      if (left) await engine.exec('podman', ['rm', '-f', '-v', ...left.split('\n')]);
      await engine.exec('podman', ['rmi', image]);
    } finally {
      await engine.stop();
    }
  }, 120_000);

  it('runs as a non-root user, reports healthy processes and shows its size', async () => {
    const [inspected] = JSON.parse(await engine.podman('image', 'inspect', image)) as {
      Size: number;
      Config: { User: string };
    }[];
    expect(inspected!.Config.User).toBe('1000:1000');
    expect((await composeOk('exec', '-T', 'worker', 'id', '-u')).trim()).toBe('1000');
    for (const service of ['worker', 'bridge']) {
      const health = await engine.docker('inspect', '--format', '{{.State.Health.Status}}', await containerOf(service));
      expect({ service, health: health.trim() }).toEqual({ service, health: 'healthy' });
    }
    const bridgeHealth = await fetch(`http://127.0.0.1:${ports.bridge}/healthz`);
    expect(bridgeHealth.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.worker}/metrics`)).text();
    expect(metrics).toMatch(/^temporal_/m);
    process.stderr.write(`image ${image}: ${(inspected!.Size / 1e6).toFixed(0)} MB\n`);
    expect(inspected!.Size).toBeGreaterThan(0);
  });

  it('turns photos uploaded to the input bucket into every variant', async () => {
    const keys = await upload('first', 4, 21, 1200);
    await allVariants('first', keys, 240_000);
    const [key] = keys;
    const variant = await aws.s3.send(
      new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: variantKey(DEFAULT_VARIANTS[0]!.name, INPUT_BUCKET, key!) }),
    );
    expect(variant.ContentType).toMatch(/^image\//);
  });

  it('renders a daily report started by an SQS envelope, from data seeded inside the worker container', async () => {
    const date = '2026-11-30';
    await composeOk('exec', '-T', 'worker', 'node', 'bin/ebbflow.js', 'seed-data', '--days', '3', '--end', date);
    const envelope = { workflow: 'dailySalesReportWorkflow', id: `report-${date}`, input: { date } };
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: `http://127.0.0.1:${ports.moto}/${ACCOUNT}/${PREFIX}-ingress`,
        MessageBody: JSON.stringify(envelope),
      }),
    );
    const object = await eventually(
      'the report PDF in the output bucket',
      () => aws.s3.send(new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: dailySalesReportKey(date) })),
      180_000,
      1000,
    );
    expect(object.ContentType).toBe('application/pdf');
    expect(object.Metadata?.['report-date']).toBe(date);
    const pdf = Buffer.from(await object.Body!.transformToByteArray());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('answers `docker compose run --rm setup status`', async () => {
    // --no-deps: the servers are up. Without it compose 5.6 recreates every running dependency on podman 4.3, and the
    // emulator's state with it: podman's API lists a container's networks by name where compose expects the network's
    // ID, so compose's network check finds each running container detached and replaces it. Docker reports the ID.
    const result = await compose('run', '--rm', '--no-deps', 'setup', 'status');
    expect(result.code).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/queue/i);
    expect(output).toMatch(/completed/i);
  });

  it('writes nothing outside its state folder', async () => {
    // The state folder is a volume; `docker diff` lists what changed in the container's own filesystem.
    // The engine itself writes /etc/hosts, /etc/hostname and /etc/resolv.conf into every container.
    const engineFiles = /^[ACD] \/etc(\/(hosts|hostname|resolv\.conf))?$/;
    const diff = await engine.docker('diff', await containerOf('worker'));
    expect(diff.split('\n').filter((line) => line.trim() && !engineFiles.test(line.trim()))).toEqual([]);
    const probe = await compose('exec', '-T', 'worker', 'touch', '/app/dist/probe');
    expect(probe.code).not.toBe(0);
    expect(probe.stderr).toMatch(/Permission denied/);
  });

  it('processes every image exactly once when the worker container is SIGKILLed mid-batch and started again', async () => {
    await aws.s3.send(
      new PutBucketVersioningCommand({ Bucket: OUTPUT_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    // The whole batch waits on the task queue before a worker runs: a worker that keeps up with the uploads would
    // finish the batch before any kill could strike it.
    await composeOk('stop', 'worker');
    const keys = await upload('kill', 24, 33, 2400);
    const total = expectedVariants(keys).length;
    await eventually(
      'a running workflow for every photo of the batch',
      async () => (await countWorkflows(client!, TASK_QUEUE, IMAGE_WORKFLOWS)).running === keys.length,
      120_000,
      500,
    );

    await composeOk('start', 'worker');
    await eventually(
      'the worker busy with the batch: variants written and images in progress',
      async () => (await outputKeys('kill')).size > 0 && (await workflowsTakenByWorker()) > 0,
      240_000,
      200,
    );
    await composeOk('kill', '-s', 'KILL', 'worker');
    // What the server saw when the kill struck: images the worker had taken and not finished, and more to come.
    const atKill = {
      variants: (await outputKeys('kill')).size,
      running: (await countWorkflows(client!, TASK_QUEUE, IMAGE_WORKFLOWS)).running,
      taken: await workflowsTakenByWorker(),
    };
    process.stderr.write(
      `SIGKILL struck with ${atKill.variants}/${total} variants written, ${atKill.running} image workflows running, ` +
        `${atKill.taken} of them taken by the worker\n`,
    );
    expect(atKill.variants).toBeLessThan(total);
    expect(atKill.running).toBeGreaterThan(0);
    expect(atKill.taken).toBeGreaterThan(0);
    await composeOk('start', 'worker');
    await allVariants('kill', keys, 400_000);

    // One workflow per photo, each completed; no variant written twice with different content.
    const workflows = await countWorkflows(client!, TASK_QUEUE);
    expect(workflows.failed).toBe(0);
    const versions: ObjectVersion[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await aws.s3.send(
        new ListObjectVersionsCommand({
          Bucket: OUTPUT_BUCKET,
          Prefix: 'processed/',
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      versions.push(...(page.Versions ?? []).filter((v) => v.Key?.includes('/kill/')));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    const etags = new Map<string, Set<string>>();
    for (const v of versions) etags.set(v.Key!, (etags.get(v.Key!) ?? new Set()).add(v.ETag!));
    expect([...etags.entries()].filter(([, tags]) => tags.size > 1)).toEqual([]);
    expect(etags.size).toBe(total);
  });

  it('scales workers from zero with the scaler in place of the worker service', async () => {
    await composeOk('stop', 'worker');
    // Healthy, so its /wake answers the bridge's first start.
    await composeOk('--profile', 'scaler', 'up', '-d', '--wait', '--wait-timeout', '120', 'scaler');
    const keys = await upload('scaled', 3, 45, 900);
    await allVariants('scaled', keys, 300_000);
    const decisions = (await (await fetch(`http://127.0.0.1:${ports.scaler}/decisions`)).json()) as unknown[];
    expect(JSON.stringify(decisions)).toMatch(/"desired":\s*[1-9]/);
    // The bridge's starts reached the scaler's /wake over the compose network (polled at once if the fleet was still
    // at zero, ignored if the scaler's own poll had already seen the queue).
    const metrics = await (await fetch(`http://127.0.0.1:${ports.scaler}/metrics`)).text();
    expect(metrics).toMatch(/ebbflow_scaler_wakes_total\{result="(polled|ignored)"\} [1-9]/);
  });

  it('leaves nothing running after `docker compose down -v`', async () => {
    await composeOk('--profile', 'scaler', 'down', '-v', '--timeout', '30');
    expect(await ourContainers()).toBe('');
    const volumes = await engine.podman(
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project}`,
    );
    expect(volumes.trim()).toBe('');
    const networks = await engine.podman(
      'network',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project}`,
    );
    expect(networks.trim()).toBe('');
  });
});
