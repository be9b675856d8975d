import type { Command } from 'commander';
import { createAwsClients } from '../aws/clients';
import { processImageInput } from '../images/workflow-input';
import {
  backfillBucket,
  countObjects,
  DEFAULT_BACKFILL_RATE,
  parseS3Url,
  parseSuffixes,
  type BackfillCounts,
  type BackfillFailure,
} from '../pipeline/backfill';
import { IMAGE_EXTENSIONS } from '../pipeline/upload';
import { action, cliClient, cliContext, UsageError } from './context';
import { instant, perSecond, wholeNumber } from './options';
import { formatDuration } from '../terminal/format';

/** Most failures printed one by one; the rest are counted. */
const FAILURES_SHOWN = 10;

interface BackfillCliOptions {
  suffix?: string;
  rate: number;
  dryRun?: boolean;
  reprocess?: boolean;
  reprocessBefore?: Date;
  concurrency: number;
}

/** One line of counts; with a bar once the total is known. */
function backfillLine(counts: BackfillCounts, total: number | undefined, elapsedMs: number, dryRun = false): string {
  const handled = counts.started + counts.alreadyDone + counts.skipped + counts.failed;
  const rate = elapsedMs > 0 ? (counts.started * 1000) / elapsedMs : 0;
  const parts = [
    `${dryRun ? 'to start' : 'started'} ${counts.started}`,
    `already done ${counts.alreadyDone}`,
    `skipped ${counts.skipped}`,
    `failed ${counts.failed}`,
    `${rate.toFixed(1)}/s`,
  ].join('  ');
  if (total === undefined) return `${handled} objects  ${parts}`;
  const ratio = total === 0 ? 1 : Math.min(1, handled / total);
  const width = 24;
  const full = Math.round(ratio * width);
  const bar = `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
  return `${bar} ${handled}/${total} ${(ratio * 100).toFixed(0)}%  ${parts}`;
}

/** On a terminal the line redraws in place; elsewhere (CI, pipes, logs) a plain line at most every 5 s. */
function progressReporter(dryRun: boolean): {
  update: (counts: BackfillCounts) => void;
  setTotal: (n: number) => void;
  finish: (counts: BackfillCounts) => void;
} {
  const started = Date.now();
  const tty = Boolean(process.stderr.isTTY);
  let total: number | undefined;
  let lastPrint = 0;
  const line = (counts: BackfillCounts): string => backfillLine(counts, total, Date.now() - started, dryRun);
  return {
    setTotal: (n) => (total = n),
    update(counts) {
      const now = Date.now();
      if (now - lastPrint < (tty ? 100 : 5000)) return;
      lastPrint = now;
      process.stderr.write(tty ? `\r\x1b[2K${line(counts)}` : `${line(counts)}\n`);
    },
    finish(counts) {
      process.stderr.write(tty ? `\r\x1b[2K${line(counts)}\n` : `${line(counts)}\n`);
    },
  };
}

export function registerBackfillCommands(program: Command): void {
  program
    .command('backfill')
    .description('Process objects already in a bucket: one image workflow each, with the id the bridge would use')
    .argument('<location>', 's3://bucket/prefix to read objects from')
    .option(
      '--suffix <list>',
      `only keys ending in one of these, comma-separated (default: ${[...IMAGE_EXTENSIONS].join(',')})`,
    )
    .option('--rate <rate>', `most workflow starts a second (e.g. 50/s, 600/min)`, perSecond, DEFAULT_BACKFILL_RATE)
    .option('--dry-run', 'count what would start and what already ran; start nothing')
    .option('--reprocess', 'run objects again whose last run completed (e.g. for new variants)')
    .option(
      '--reprocess-before <time>',
      'with --reprocess: only runs that completed before this time (resume an interrupted reprocess with the time it printed)',
      instant,
    )
    .option('--concurrency <n>', 'starts in flight at once (the rate still applies)', wholeNumber(1, 256), 16)
    .action(
      action(async (location: string, opts: BackfillCliOptions) => {
        const target = parseS3Url(location);
        const suffixes = opts.suffix === undefined ? [...IMAGE_EXTENSIONS] : parseSuffixes(opts.suffix);
        const { concurrency } = opts;
        if (opts.reprocessBefore && !opts.reprocess) throw new UsageError('--reprocess-before goes with --reprocess');
        const reprocessBefore = opts.reprocess ? (opts.reprocessBefore ?? new Date()) : undefined;
        const { config } = cliContext('backfill');
        const { s3 } = createAwsClients(config.aws);
        const client = await cliClient(config);
        const what = opts.dryRun ? 'Dry run over' : 'Backfilling';
        process.stderr.write(
          `${what} s3://${target.bucket}/${target.prefix} on task queue ${config.temporal.taskQueue} at most ${opts.rate}/s\n`,
        );
        if (reprocessBefore) {
          process.stderr.write(
            `Reprocessing runs completed before ${reprocessBefore.toISOString()}; if interrupted, resume with ` +
              `--reprocess --reprocess-before ${reprocessBefore.toISOString()}\n`,
          );
        }
        const progress = progressReporter(Boolean(opts.dryRun));
        // The total comes from a second, faster listing that keeps nothing; the bar appears once it is known.
        countObjects(s3, target).then(progress.setTotal, () => undefined);
        const failures: BackfillFailure[] = [];
        const started = Date.now();
        try {
          const counts = await backfillBucket({
            s3,
            client,
            taskQueue: config.temporal.taskQueue,
            location: target,
            suffixes,
            rate: opts.rate,
            dryRun: opts.dryRun,
            reprocessBefore,
            concurrency,
            imageInput: (source) => processImageInput(config, source, { outputBucket: config.pipeline.outputBucket }),
            onProgress: progress.update,
            onFailure: (f) => failures.push(f),
          });
          progress.finish(counts);
          for (const f of failures.slice(0, FAILURES_SHOWN)) {
            process.stderr.write(`failed: s3://${target.bucket}/${f.key} (${f.workflowId}): ${f.error}\n`);
          }
          if (failures.length > FAILURES_SHOWN)
            process.stderr.write(`… and ${failures.length - FAILURES_SHOWN} more\n`);
          const verb = opts.dryRun ? 'would start' : 'started';
          process.stdout.write(
            `${counts.listed} objects listed in ${formatDuration(Date.now() - started)}: ${verb} ${counts.started}, ` +
              `already done ${counts.alreadyDone}, skipped ${counts.skipped}, failed ${counts.failed}.\n`,
          );
          if (opts.dryRun) process.stdout.write('Dry run: nothing was started.\n');
          if (counts.failed > 0) {
            process.stdout.write(
              'Run the same command again to retry the failed ones; started ones are not repeated.\n',
            );
            process.exitCode = 1;
          }
        } finally {
          await client.connection.close();
        }
      }),
    );
}
