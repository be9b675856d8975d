import path from 'node:path';
import { Option, type Command } from 'commander';
import { createAwsClients } from '../aws/clients';
import { pipelineNames, provisionPipeline } from '../aws/provision';
import { sleep } from '../async';
import { redactConfig, required, settingsMarkdown } from '../config';
import { runChecks, type CheckStatus } from '../pipeline/check';
import { readStatus, type PipelineStatus } from '../pipeline/status';
import { collectSubmission, uploadAll } from '../pipeline/upload';
import { writeSamplePhotos } from '../images/sample-photos';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { action, cliClient, cliContext, UsageError } from './context';
import { formatBytes, formatDuration, table } from '../terminal/format';
import { money } from '../simulator/cost';
import { ProgressBar } from '../terminal/progress-bar';
import { duration, wholeNumber } from './options';

/** Task-seconds as a person reads them: seconds below six minutes, hours above. */
function taskTime(seconds: number): string {
  return seconds < 360 ? `${seconds.toFixed(1)} task-seconds` : `${(seconds / 3600).toFixed(2)} task-hours`;
}

function printStatus(status: PipelineStatus): void {
  const q = (d?: { visible: number; inFlight: number; delayed: number }) =>
    d ? [d.visible, d.inFlight, d.delayed] : [];
  process.stdout.write(
    table(
      ['queue', 'visible', 'in flight', 'delayed'],
      [
        ['ingress', ...q(status.ingress)],
        ['dead-letter', ...q(status.dlq)],
      ],
    ) + '\n\n',
  );
  const w = status.workflows;
  process.stdout.write(
    table(
      ['workflows on ' + status.taskQueue, 'count'],
      [
        ['running', w.running],
        ['completed', w.completed],
        ['failed', w.failed],
        ['timed out', w.timedOut],
        ['terminated', w.terminated],
      ],
    ) + '\n',
  );
  const fleet = status.fleet;
  if (fleet) {
    process.stdout.write('\n');
    if (fleet.error) {
      process.stdout.write(`fleet: ${fleet.error}\n`);
    } else {
      const c = fleet.cost;
      const size = c ? `${c.price.vcpu} vCPU, ${c.price.memoryGb} GB, ${c.price.pricing}` : '';
      const rate = c && fleet.running !== undefined ? `, ${money(fleet.running * c.price.hourly)} an hour now` : '';
      process.stdout.write(
        `fleet: ${fleet.running ?? '?'} worker${fleet.running === 1 ? '' : 's'} running, ${fleet.desired ?? '?'} wanted${rate}\n` +
          (c
            ? `since ${new Date(c.since).toLocaleString()}: ${taskTime(c.taskSeconds)}, ` +
              `about ${money(c.dollars)} as Fargate tasks of ${size} ($${c.price.hourly.toFixed(4)} per task-hour)\n`
            : ''),
      );
    }
  }
}

export function registerPipelineCommands(program: Command): void {
  program
    .command('submit')
    .description('Upload images (files or folders) to the input bucket; each upload starts one workflow')
    .argument('<paths...>', 'image files or folders of images')
    .option('--prefix <prefix>', 'key prefix in the input bucket (default: EBBFLOW_IMAGE_KEY_PREFIX, uploads/)')
    .option('--concurrency <n>', 'uploads at once', wholeNumber(1), 8)
    .action(
      action(async (paths: string[], opts: { prefix?: string; concurrency: number }) => {
        const { config } = cliContext('submit');
        const concurrency = opts.concurrency;
        const { prefix, items } = collectSubmission(paths, opts.prefix, config.image);
        if (items.length === 0) throw new UsageError(`no images found in ${paths.join(', ')}`);
        const aws = createAwsClients(config.aws);
        const total = items.reduce((sum, i) => sum + i.bytes, 0);
        const bar = new ProgressBar('uploading', items.length);
        await uploadAll(aws.s3, config.pipeline.inputBucket, items, { concurrency, onUploaded: () => bar.tick() });
        bar.finish();
        process.stdout.write(
          `${items.length} image${items.length === 1 ? '' : 's'} (${formatBytes(total)}) uploaded to s3://${config.pipeline.inputBucket}/${prefix}\n`,
        );
      }),
    );

  program
    .command('sample-photos')
    .description('Draw sample photos into a folder (nothing is downloaded), one path printed per photo written')
    .argument('<dir>', 'folder to write into (created if needed)')
    .option('--count <n>', 'photos to draw', wholeNumber(1), 10)
    .option('--min-side <px>', 'shortest possible long side', wholeNumber(16), 2000)
    .option('--max-side <px>', 'longest possible long side', wholeNumber(16), 4000)
    .option('--seed <n>', 'series: the same seed draws the same photos', wholeNumber(1), 1)
    .action(
      action(async (dir: string, opts: { count: number; minSide: number; maxSide: number; seed: number }) => {
        const { count, ...series } = opts;
        if (series.maxSide < series.minSide) throw new UsageError('--max-side must not be below --min-side');
        await writeSamplePhotos(dir, count, {
          ...series,
          onPhoto: (photo) => process.stdout.write(`${path.join(dir, photo.name)}\n`),
        });
      }),
    );

  program
    .command('status')
    .description(
      'Queue depth, dead-letter depth, workflows by status, and the fleet and what it has cost when a scaler runs (EBBFLOW_SCALER_URL)',
    )
    .option('--json', 'print JSON (with --watch, one line per reading)')
    .option('--watch', 'read again every --interval until Ctrl-C')
    .addOption(
      new Option('--interval <duration>', 'time between readings with --watch, e.g. 2s (at least 200ms)')
        .argParser(duration(200))
        .default(2000, '2s'),
    )
    .action(
      action(async (opts: { json?: boolean; watch?: boolean; interval: number }) => {
        const { config } = cliContext('status');
        const interval = opts.interval;
        const aws = createAwsClients(config.aws);
        const where = {
          taskQueue: config.temporal.taskQueue,
          ingressQueueUrl: required(config.pipeline.ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL'),
          dlqUrl: required(config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL'),
          scalerUrl: config.scaler.url,
        };
        const client = await cliClient(config);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          do {
            const status = await readStatus(client, aws.sqs, where);
            if (opts.json) {
              process.stdout.write(
                JSON.stringify(
                  opts.watch ? { at: new Date().toISOString(), ...status } : status,
                  null,
                  opts.watch ? undefined : 2,
                ) + '\n',
              );
            } else {
              // On a terminal each reading replaces the last.
              if (opts.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
              printStatus(status);
              if (opts.watch) {
                process.stdout.write(
                  `\nEvery ${formatDuration(interval)} · ${new Date().toLocaleTimeString()} · Ctrl-C stops\n`,
                );
              }
            }
            if (opts.watch) await sleep(interval, stop.signal);
          } while (opts.watch && !stop.signal.aborted);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await client.connection.close();
        }
      }),
    );

  program
    .command('check')
    .description('Verify this configuration reaches Temporal, the queues, buckets, topic and database; changes nothing')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const { config } = cliContext('check');
        const results = await runChecks(config);
        const failed = results.filter((r) => r.status === 'fail').length;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ok: failed === 0, checks: results }, null, 2) + '\n');
        } else {
          const mark: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skipped: '–' };
          process.stdout.write(
            table(
              ['', 'CHECK', 'RESULT'],
              results.map((r) => [mark[r.status], r.name, r.detail]),
            ) + '\n\n',
          );
          process.stdout.write(failed === 0 ? 'Everything answers.\n' : `${failed} check(s) failed.\n`);
        }
        if (failed > 0) process.exitCode = 1;
      }),
    );

  program
    .command('setup')
    .description('Register search attributes on the namespace; with --create-aws also create buckets and queues')
    .option('--create-aws', 'create buckets, queues, DLQ, notification and topic (emulator or a sandbox account)')
    .option('--prefix <name>', 'prefix of bucket and queue names (with --create-aws)', 'ebbflow')
    .action(
      action(async (opts: { createAws?: boolean; prefix: string }) => {
        const { config, logger } = cliContext('setup');
        if (opts.createAws) {
          const resources = await provisionPipeline(createAwsClients(config.aws), {
            ...pipelineNames(opts.prefix),
            imagePrefix: config.image.keyPrefix,
            imageSuffixes: config.image.keySuffixes,
          });
          process.stdout.write(JSON.stringify(resources, null, 2) + '\n');
        }
        const client = await cliClient(config);
        try {
          const added = await ensureSearchAttributes(client, config.temporal.namespace);
          logger.info('search attributes ready', { added });
        } finally {
          await client.connection.close();
        }
      }),
    );

  program
    .command('config')
    .description('Print the resolved configuration, or the table of every setting')
    .option('--markdown', 'print the table of settings (variable, default, description) as Markdown')
    .action(
      action(async (opts: { markdown?: boolean }) => {
        if (opts.markdown) {
          process.stdout.write(settingsMarkdown() + '\n');
          return;
        }
        const { config } = cliContext('config');
        process.stdout.write(JSON.stringify(redactConfig(config), null, 2) + '\n');
      }),
    );
}
