/**
 * `ebbflow etl …`: run the fan-out ETL over a sources file, watch its per-source ledger live, redrive only the
 * failed sources of a finished run, and generate realistic sample sources into the input bucket.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { createAwsClients } from '../aws/clients';
import type { EbbflowConfig } from '../config';
import { ETL_MAX_PARALLELISM, etlSetProblem, type EtlSetRequest } from '../common/etl-controls';
import type { EtlFanOutInput } from '../common/etl-types';
import { generateSampleSources, type EtlFault } from '../etl/generate';
import { renderLedger, toleranceText } from '../etl/ledger-view';
import { readEtlRun, redriveFailedSources, setEtlControls, startEtlRun, type RunView } from '../etl/runs';
import { locateSourcesFile, parseSourcesFile } from '../etl/sources';
import { sleep } from '../async';
import { action, cliClient, cliContext, readGivenFile, UsageError } from './context';
import { formatBytes, table } from '../terminal/format';
import { isoDate, numberFrom, wholeNumber, wholeRange } from './options';

const today = (): string => new Date().toISOString().slice(0, 10);

/**
 * A local sources file is validated here (errors name the bad field) and uploaded to the input bucket under a key
 * derived from its content, so the run reads exactly what was checked. Anything else is taken as an S3 key, which must
 * exist: a run over a file that is nowhere would only fail.
 */
async function sourcesKey(config: EbbflowConfig, ref: string): Promise<string> {
  if (!existsSync(ref)) {
    const { bucket, key } = locateSourcesFile(ref, config.pipeline.inputBucket);
    try {
      await createAwsClients(config.aws).s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if ((err as Error).name !== 'NotFound') throw err;
      throw new UsageError(`no sources file ${ref}: not a local file, and s3://${bucket}/${key} does not exist`);
    }
    return ref;
  }
  const text = readGivenFile(ref, '--config');
  try {
    parseSourcesFile(text, ref);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const key = `etl/config/${path.basename(ref).replace(/\.(ya?ml|json)$/, '')}-${hash}.yaml`;
  await createAwsClients(config.aws).s3.send(
    new PutObjectCommand({ Bucket: config.pipeline.inputBucket, Key: key, Body: text }),
  );
  return key;
}

function outcomeText(view: RunView): string | undefined {
  if (!view.outcome) return undefined;
  const text = view.outcome.status === 'succeeded' ? '✔ succeeded' : `✘ failed: ${view.outcome.message ?? ''}`;
  const lines = [text];
  if (view.ledger.ledgerUrl) lines.push(`ledger: ${view.ledger.ledgerUrl}`);
  if (view.note) lines.push(view.note);
  return lines.join('\n');
}

/** Prints the ledger, redrawing it in place on a terminal until the run closes. */
async function watch(
  client: Client,
  workflowId: string,
  options: { all?: boolean; intervalMs?: number; follow: boolean },
): Promise<RunView> {
  const tty = process.stdout.isTTY;
  let lastLines = 0;
  let waitingSaid = false;
  for (;;) {
    let view: RunView;
    try {
      view = await readEtlRun(client, workflowId);
    } catch (err) {
      // A run that no worker has picked up yet cannot answer the query: wait for one, say so once.
      const name = (err as Error).name;
      if (!options.follow || (name !== 'QueryNotRegisteredError' && !/deadline|timeout/i.test(String(err)))) throw err;
      if (!waitingSaid) process.stderr.write(`waiting for a worker on the task queue to pick up ${workflowId}…\n`);
      waitingSaid = true;
      await sleep(options.intervalMs ?? 1000);
      continue;
    }
    const text = renderLedger(view.ledger, { all: options.all }, outcomeText(view));
    if (tty && options.follow) {
      if (lastLines > 0) process.stdout.write(`\x1b[${lastLines}F\x1b[0J`);
      process.stdout.write(text + '\n');
      lastLines = text.split('\n').length;
    } else if (!view.running || !options.follow) process.stdout.write(text + '\n');
    if (!view.running || !options.follow) return view;
    await sleep(options.intervalMs ?? 1000);
  }
}

async function withClient<T>(config: EbbflowConfig, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await cliClient(config);
  try {
    return await body(client);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') {
      throw new UsageError(`no such run in namespace ${config.temporal.namespace}: ${(err as Error).message}`);
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

function exitFor(view: RunView): void {
  if (view.outcome?.status === 'failed') process.exitCode = 1;
}

type Tolerances = Pick<EtlSetRequest, 'toleratedFailurePercent' | 'toleratedFailureCount'>;

/**
 * The failure tolerances given on the command line; one not given is left out, not sent empty: the workflow holds a
 * run given only a count to no percentage, and an update leaves a setting it is not sent as it is.
 */
function givenTolerances(opts: Tolerances): Tolerances {
  return {
    ...(opts.toleratedFailurePercent === undefined ? {} : { toleratedFailurePercent: opts.toleratedFailurePercent }),
    ...(opts.toleratedFailureCount === undefined ? {} : { toleratedFailureCount: opts.toleratedFailureCount }),
  };
}

export function registerEtlCommands(program: Command): void {
  const etl = program
    .command('etl')
    .description('Fan-out ETL: many sources, bounded parallelism, a per-source ledger, redrive of the failed');

  etl
    .command('run')
    .description('Start an ETL run over every source of a sources file (local YAML/JSON, or a key in the input bucket)')
    .requiredOption('--config <file-or-key>', 'sources file: a local path, a key in the input bucket, or s3://…')
    .option(
      '--parallelism <n>',
      'sources in flight at once (default: EBBFLOW_ETL_PARALLELISM)',
      wholeNumber(1, ETL_MAX_PARALLELISM),
    )
    .option(
      '--tolerated-failure-percent <p>',
      'fail the run only when more than this share of sources fails (default: 0, or none with a count)',
      numberFrom(0, 100),
    )
    .option('--tolerated-failure-count <n>', 'fail the run only when more than this many sources fail', wholeNumber(0))
    .option('--max-attempts <n>', 'attempts per source (default: EBBFLOW_ETL_MAX_ATTEMPTS)', wholeNumber(1, 20))
    .option('--date <YYYY-MM-DD>', 'business date to load (default: today, UTC)', isoDate)
    .option('--id <workflow-id>', 'workflow id of the run (default: etl-<date>-<random>)')
    .option('--no-watch', 'print the run id and return instead of showing the live ledger')
    .action(
      action(
        async (opts: {
          config: string;
          parallelism?: number;
          toleratedFailurePercent?: number;
          toleratedFailureCount?: number;
          maxAttempts?: number;
          date?: string;
          id?: string;
          watch: boolean;
        }) => {
          const { config } = cliContext('etl');
          const input: EtlFanOutInput = {
            sources: await sourcesKey(config, opts.config),
            parallelism: opts.parallelism ?? config.etl.parallelism,
            ...givenTolerances(opts),
            maxAttempts: opts.maxAttempts ?? config.etl.maxAttempts,
            date: opts.date ?? today(),
            retryInitialIntervalMs: config.etl.retryInitialInterval,
            heartbeatTimeoutMs: config.etl.heartbeatTimeout,
          };
          await withClient(config, async (client) => {
            const id = await startEtlRun(client, input, { taskQueue: config.temporal.taskQueue, workflowId: opts.id });
            process.stderr.write(
              `started ${id} (${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${id})\n`,
            );
            if (!opts.watch) {
              process.stdout.write(`${id}\n`);
              return;
            }
            exitFor(await watch(client, id, { follow: true }));
          });
        },
      ),
    );

  etl
    .command('status')
    .description('The per-source ledger of a run, refreshed until the run is done')
    .argument('<run>', 'workflow id of the run')
    .option('--json', 'print the ledger once as JSON')
    .option('--once', 'print the ledger once instead of following the run')
    .option('--all', 'show every source, not only running, failed and the latest finished')
    .action(
      action(async (run: string, opts: { json?: boolean; once?: boolean; all?: boolean }) => {
        const { config } = cliContext('etl');
        await withClient(config, async (client) => {
          if (opts.json) {
            const view = await readEtlRun(client, run);
            process.stdout.write(
              JSON.stringify({ ...view.ledger, outcome: view.outcome, note: view.note }, null, 2) + '\n',
            );
            exitFor(view);
            return;
          }
          exitFor(await watch(client, run, { follow: !opts.once, all: opts.all }));
        });
      }),
    );

  etl
    .command('set')
    .description('Change the parallelism and failure tolerance of a running fan-out; it obeys from its next launch')
    .argument('<run>', 'workflow id of the running run')
    .option(
      '--parallelism <n>',
      'most sources in flight from now on (lowering it lets those in flight finish)',
      wholeNumber(1, ETL_MAX_PARALLELISM),
    )
    .option(
      '--tolerated-failure-percent <p>',
      'the run fails only when more than this share of sources fails',
      numberFrom(0, 100),
    )
    .option('--tolerated-failure-count <n>', 'the run fails only when more than this many sources fail', wholeNumber(0))
    .option('--json', 'print the settings now in force as JSON')
    .action(
      action(
        async (
          run: string,
          opts: {
            parallelism?: number;
            toleratedFailurePercent?: number;
            toleratedFailureCount?: number;
            json?: boolean;
          },
        ) => {
          const request: EtlSetRequest = {
            ...(opts.parallelism === undefined ? {} : { parallelism: opts.parallelism }),
            ...givenTolerances(opts),
          };
          const problem = etlSetProblem(request);
          if (problem) throw new UsageError(`etl set: ${problem.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`);
          const { config } = cliContext('etl');
          await withClient(config, async (client) => {
            let now;
            try {
              now = await setEtlControls(client, run, request);
            } catch (err) {
              const e = err as Error & { cause?: Error };
              // Only the run refusing the values is the caller's to fix; a server that fails keeps its own error.
              if (e.name === 'WorkflowUpdateFailedError') {
                throw new UsageError(`etl set ${run}: ${e.cause?.message ?? e.message}`);
              }
              // The server answers an update of a closed run as not found, with this message.
              if (e.name === 'WorkflowNotFoundError' && /already completed/i.test(e.message)) {
                throw new UsageError(
                  `etl set ${run}: the run has finished, there is nothing to change; ` +
                    `\`ebbflow etl redrive ${run} --only-failed\` reruns its failed sources`,
                );
              }
              throw err;
            }
            if (opts.json) {
              process.stdout.write(`${JSON.stringify(now)}\n`);
              return;
            }
            process.stdout.write(
              `${run} now runs at most ${now.parallelism} sources at once and ${toleranceText(now)}.\n`,
            );
          });
        },
      ),
    );

  etl
    .command('redrive')
    .description('Start a new run over only the sources that failed in a finished run, linked to it')
    .argument('<run>', 'workflow id of the finished run')
    .option('--only-failed', 'rerun the failed sources only (the one redrive mode)')
    .option('--max-attempts <n>', 'attempts per source in the redrive', wholeNumber(1, 20))
    .option('--no-watch', 'print the new run id and return')
    .action(
      action(async (run: string, opts: { onlyFailed?: boolean; maxAttempts?: number; watch: boolean }) => {
        if (!opts.onlyFailed) {
          throw new UsageError('pass --only-failed (to rerun every source, start a new run with ebbflow etl run)');
        }
        const { config } = cliContext('etl');
        await withClient(config, async (client) => {
          const redrive = await redriveFailedSources(client, run, {
            taskQueue: config.temporal.taskQueue,
            overrides: opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {},
          });
          if (!redrive) {
            process.stdout.write(`no failed sources in ${run}: nothing to redrive\n`);
            return;
          }
          const n = redrive.sources.length;
          process.stderr.write(`started ${redrive.workflowId}: ${n} failed source${n === 1 ? '' : 's'} of ${run}\n`);
          if (!opts.watch) {
            process.stdout.write(`${redrive.workflowId}\n`);
            return;
          }
          exitFor(await watch(client, redrive.workflowId, { follow: true }));
        });
      }),
    );

  etl
    .command('generate')
    .description('Write realistic sample sources (CSV and JSON Lines, some gzipped) and their sources file to S3')
    .option('--sources <n>', 'number of sources', wholeNumber(1, 100_000), 50)
    .option('--date <YYYY-MM-DD>', 'date of the exports (default: today, UTC)', isoDate)
    .addOption(new Option('--rows <min-max>', 'rows per source').argParser(wholeRange).default([200, 2000], '200-2000'))
    .option('--prefix <prefix>', 'key prefix in the input bucket', 'etl-demo')
    .option(
      '--broken <n>',
      'break this many sources on purpose (bad schema, missing prefix, corrupt gzip)',
      wholeNumber(0),
      0,
    )
    .option('--seed <n>', 'random seed (same seed, same data)', wholeNumber(0), 42)
    .action(
      action(
        async (opts: {
          sources: number;
          date?: string;
          rows: [number, number];
          prefix: string;
          broken: number;
          seed: number;
        }) => {
          const { config } = cliContext('etl');
          const count = opts.sources;
          const broken = opts.broken;
          if (broken > count) throw new UsageError(`--broken (${broken}) is more than --sources (${count})`);
          const kinds: EtlFault[] = ['bad-schema', 'missing-prefix', 'corrupt-gzip'];
          const faults: Record<number, EtlFault> = {};
          for (let i = 0; i < broken; i++) faults[Math.floor(((i + 0.5) * count) / broken)] = kinds[i % kinds.length]!;
          const date = opts.date ?? today();
          const generated = await generateSampleSources({
            s3: createAwsClients(config.aws).s3,
            bucket: config.pipeline.inputBucket,
            prefix: opts.prefix,
            sources: count,
            date,
            rows: opts.rows,
            seed: opts.seed,
            faults,
          });
          const rows = generated.sources.map((s) => [
            s.index,
            s.name,
            `${s.format}${s.gzip ? '.gz' : ''}`,
            s.files,
            s.rowsRead,
            s.rowsRejected,
            s.fault ?? '',
          ]);
          const shown = rows.length > 30 ? [...rows.slice(0, 25), ['…'], ...rows.slice(-3)] : rows;
          process.stdout.write(table(['#', 'source', 'format', 'files', 'rows', 'bad rows', 'broken'], shown) + '\n\n');
          process.stdout.write(
            `${count} sources, ${generated.objects} objects (${formatBytes(generated.bytes)}) in s3://${config.pipeline.inputBucket}/${opts.prefix}/ for ${date}\n` +
              `run them: ebbflow etl run --config ${generated.configKey} --date ${date} --parallelism ${config.etl.parallelism}\n`,
          );
        },
      ),
    );
}
