#!/usr/bin/env node
/*
 * Records the event histories that test/integration/workflows/replay.test.ts replays against the current workflow
 * code, so a change that would break runs already in flight (a reordered activity, a new timer, a removed signal)
 * fails the tests before it is deployed. Run it (after `npm run build`) only when the workflows' behaviour changes
 * on purpose; the histories are committed under test/fixtures/histories/.
 *
 * Each scenario runs on a Temporal dev server of its own with the real workflow bundle. The activities answer as the
 * scenario needs (a replay never calls activities: their results come from the history).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdirSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { Client, Connection } = require('@temporalio/client');
const { ApplicationFailure } = require('@temporalio/common');
const { NativeConnection, Runtime, DefaultLogger, Worker } = require('@temporalio/worker');
const { SEARCH_ATTRIBUTE_TYPES, SEARCH_ATTRIBUTES } = require('../dist/src/common/constants');
const { RESIZE_DEFAULTS } = require('../dist/src/common/image-variants');
const { freePort, startTemporalDevServer, tools } = require('../dist/src/dev/processes');
const { BUILT_WORKFLOW_BUNDLE } = require('../dist/src/paths');
const { variantKey } = require('../dist/src/common/image-variants');

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
const TASK_QUEUE = 'record-histories';

/** Per-scenario answers of the activities, keyed by the value the workflows pass through. */
const activities = {
  async resizeImage({ bucket, key, variants }) {
    if (key.includes('corrupt')) {
      throw ApplicationFailure.nonRetryable(
        'the jpeg image data is damaged or truncated (VipsJpeg: premature end of JPEG image)',
        'CorruptImageError',
        { attempt: 1 },
      );
    }
    return {
      source: { bucket, key, bytes: 812_345, width: 4000, height: 3000, format: 'jpeg' },
      variants: variants.map((v) => ({
        variant: v.name,
        bucket: 'photos-out',
        key: variantKey(v.name, bucket, key),
        width: Math.min(v.width, 4000),
        height: Math.round(Math.min(v.width, 4000) * 0.75),
        bytes: 10_000 * v.width,
      })),
    };
  },
  async sendToDeadLetterQueue() {
    return { messageId: 'recorded-dead-letter' };
  },
  async queryDailySalesMetrics({ date }) {
    if (date === '2026-01-01')
      throw ApplicationFailure.nonRetryable('relation "orders" does not exist', 'InvalidInput');
    return { date, orders: 412, revenueCents: 2_345_600, averageOrderCents: 5693, topProducts: [], byHour: [] };
  },
  async renderDailySalesReport({ key }) {
    return { bucket: 'reports', key, location: `s3://reports/${key}`, pages: 2, bytes: 48_213 };
  },
  async publishReportNotification() {
    return { messageId: 'recorded-notification' };
  },
  async resolveEtlSources({ sources }) {
    return { names: sources.map((s) => s.name) };
  },
  async loadEtlSource({ name, attempt }) {
    if (name === 'flaky' && attempt === 1) throw new Error('connection reset by peer');
    if (name === 'broken') throw ApplicationFailure.nonRetryable('column "amount" is missing', 'SchemaError');
    return { rowsRead: 1000, rowsWritten: 998, rowsRejected: 2, rejectReasons: { 'bad date': 2 } };
  },
};

const etlSources = (names) => names.map((name) => ({ name, prefix: `s3://raw/${name}/`, format: 'csv' }));

/** Runs one workflow to its end, failed or not: the history is what counts. */
function runToEnd(client, workflowType, workflowId, input, options = {}) {
  return client.workflow
    .execute(workflowType, { taskQueue: TASK_QUEUE, workflowId, args: [input], ...options })
    .catch(() => undefined);
}

function bridgeStarted(client, workflowId, key, sizeBytes) {
  return runToEnd(
    client,
    'processImageWorkflow',
    workflowId,
    {
      bucket: 'photos-in',
      key,
      sizeBytes,
      localActivityMaxBytes: RESIZE_DEFAULTS.localActivityMaxBytes,
      message: '{"Records":[]}',
    },
    {
      typedSearchAttributes: [
        { key: { name: SEARCH_ATTRIBUTES.sourceBucket, type: 'KEYWORD' }, value: 'photos-in' },
        { key: { name: SEARCH_ATTRIBUTES.sourceKey, type: 'KEYWORD' }, value: key },
      ],
    },
  );
}

/** What each scenario starts; each returns when its runs have ended. */
const scenarios = {
  // As the bridge starts them: tagged, with the size from the S3 event, so a small original is resized locally.
  'image-completed-bridge-started': (client) =>
    bridgeStarted(client, 'image-completed', 'uploads/2026/photo 1.jpg', 812_345),
  'image-completed-large-original': (client) =>
    bridgeStarted(client, 'image-large', 'uploads/2026/panorama.jpg', 24 * 1024 * 1024),
  'image-dead-lettered-local': (client) => bridgeStarted(client, 'image-corrupt-local', 'uploads/corrupt.jpg', 5120),
  'image-completed-hand-started': (client) =>
    runToEnd(client, 'processImageWorkflow', 'image-by-hand', {
      bucket: 'photos-in',
      key: 'by-hand.png',
      variants: ['thumbnail', { name: 'square', width: 512, height: 512 }],
    }),
  'image-dead-lettered': (client) =>
    runToEnd(client, 'processImageWorkflow', 'image-corrupt', {
      bucket: 'photos-in',
      key: 'corrupt.jpg',
      searchAttributes: false,
    }),
  'image-invalid-input': (client) =>
    runToEnd(client, 'processImageWorkflow', 'image-invalid', {
      bucket: 'photos-in',
      key: 'x.jpg',
      maxAttempts: 99,
      searchAttributes: false,
    }),
  'report-approved': async (client) => {
    const handle = await client.workflow.start('dailySalesReportWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: 'report-approved',
      args: [{ date: '2026-11-25', holdForApproval: true, notificationTopicArn: 'arn:aws:sns:us-east-1:1:n' }],
    });
    while ((await handle.query('reportStage')) !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 100));
    await handle.signal('approveReport');
    await handle.result();
  },
  'report-failed': (client) => runToEnd(client, 'dailySalesReportWorkflow', 'report-failed', { date: '2026-01-01' }),
  'etl-fan-out': (client) =>
    runToEnd(client, 'etlFanOutWorkflow', 'etl-run', {
      date: '2026-11-25',
      sources: etlSources(['orders', 'flaky', 'broken', 'refunds']),
      parallelism: 2,
      toleratedFailurePercent: 30,
      retryInitialIntervalMs: 100,
    }),
  'etl-continued-as-new': (client) =>
    runToEnd(client, 'etlFanOutWorkflow', 'etl-long', {
      date: '2026-11-25',
      sources: etlSources(['a', 'b', 'c', 'd', 'e']),
      parallelism: 2,
      continueAsNewAfterEvents: 20,
    }),
};

async function record(name, scenario) {
  const port = await freePort();
  const server = await startTemporalDevServer({ port, headless: true, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
  const address = `127.0.0.1:${port}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: { codePath: BUILT_WORKFLOW_BUNDLE },
    activities,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    await worker.runUntil(async () => {
      await scenario(client);
      // Visibility records a run's end a moment after the run ends.
      while ((await client.workflow.count('ExecutionStatus = "Running"')).count > 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    let n = 0;
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus != "Running"' })) {
      // The Temporal CLI's JSON, which `historyFromJSON` reads and which anyone can export from a real cluster.
      const history = execFileSync(tools.temporal(), [
        'workflow',
        'show',
        '--address',
        address,
        '--workflow-id',
        execution.workflowId,
        '--run-id',
        execution.runId,
        '--output',
        'json',
      ]);
      // Replays need the workflow id (child ids derive from it): it is the file name's last part.
      const file = `${name}.${String(++n).padStart(2, '0')}.${encodeURIComponent(execution.workflowId)}.json`;
      writeFileSync(path.join(OUT, file), history);
    }
    process.stdout.write(`${name}: ${n} histories\n`);
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

/** `node scripts/record-histories.js [scenario …]`: every scenario, or only those named. */
async function main() {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in scenarios));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${Object.keys(scenarios).join(', ')})`);
  }
  const chosen = names.length > 0 ? names : Object.keys(scenarios);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  mkdirSync(OUT, { recursive: true });
  // Only the chosen scenarios' files: other scenarios' and histories exported from a real cluster stay.
  const ours = (file) => chosen.some((name) => file.startsWith(`${name}.`));
  for (const file of readdirSync(OUT)) if (file.endsWith('.json') && ours(file)) rmSync(path.join(OUT, file));
  for (const name of chosen) await record(name, scenarios[name]);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
