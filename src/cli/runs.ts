import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { DEFAULT_BACKFILL_RATE } from '../pipeline/backfill';
import {
  buildQuery,
  FAILED_STATUSES,
  followBatch,
  isEmptyFilter,
  parseStatus,
  RERUNNABLE_WORKFLOWS,
  rerunRuns,
  selectRuns,
  startBatch,
  type BatchKind,
  type RunFilter,
  type RunStatus,
  type RunView,
} from '../pipeline/runs';
import { action, cliClient, cliContext, UsageError } from './context';
import { optionValue, perSecond, timeOrSpanAgo, wholeNumber } from './options';
import { table } from '../terminal/format';
import { ProgressBar } from '../terminal/progress-bar';

/** Above this many runs a command that changes them asks first. */
const CONFIRM_ABOVE = 10;

interface FilterOptions {
  workflow: string[];
  status: RunStatus[];
  since?: Date;
  until?: Date;
  query?: string;
}

interface ActOptions extends FilterOptions {
  dryRun?: boolean;
  yes?: boolean;
  sample: number;
  rate: number;
  reason?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const runStatus = optionValue(parseStatus);
const collectStatus = (value: string, previous: RunStatus[]): RunStatus[] => [...previous, runStatus(value)];
const count = wholeNumber(0);

function withFilterOptions(command: Command): Command {
  return command
    .option('--workflow <type>', 'workflow type, e.g. processImageWorkflow (repeatable)', collect, [])
    .option(
      '--status <status>',
      'running, completed, failed, canceled, terminated, timed-out (repeatable)',
      collectStatus,
      [],
    )
    .option('--since <time>', 'started at or after: an ISO time, or a span ago such as 2h or 7d', timeOrSpanAgo)
    .option('--until <time>', 'started before: an ISO time, or a span ago', timeOrSpanAgo)
    .option('--query <query>', 'a Temporal visibility query, e.g. "TaskQueue = \'ebbflow\'" (ANDed with the rest)');
}

function withActOptions(command: Command, rateHelp: string): Command {
  return withFilterOptions(command)
    .option('--dry-run', 'print how many runs match and a sample; change nothing')
    .option('--yes', `do not ask before acting on more than ${CONFIRM_ABOVE} runs`)
    .option('--sample <n>', 'runs shown by --dry-run and before asking', count, 10)
    .option('--rate <rate>', rateHelp, perSecond, DEFAULT_BACKFILL_RATE);
}

/** @throws UsageError for a window no run can start in (--since at or after --until). */
function filterOf(options: FilterOptions): RunFilter {
  const { since, until } = options;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new UsageError(
      `--since (${since.toISOString()}) is not before --until (${until.toISOString()}): no run starts in that window ` +
        '(a span ago counts back from now: --since 3h --until 2h)',
    );
  }
  return {
    workflows: options.workflow,
    statuses: options.status,
    since: options.since,
    until: options.until,
    query: options.query,
  };
}

function runTable(runs: RunView[]): string {
  return table(
    ['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'CLOSED'],
    runs.map((r) => [r.workflowId, r.type, r.status, r.startTime, r.closeTime]),
  );
}

/** Asks on the terminal; refuses without one unless --yes. Resolves true to go ahead. */
async function confirm(count: number, what: string, yes: boolean | undefined): Promise<boolean> {
  if (yes || count <= CONFIRM_ABOVE) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${what} ${count} runs needs a confirmation and there is no terminal to ask on: pass --yes`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what} ${count} runs? Type yes to go ahead: `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/** Count and sample of what a command would act on; true when there is something to do and it may go ahead. */
async function preview(
  client: Awaited<ReturnType<typeof cliClient>>,
  query: string,
  options: ActOptions,
  what: string,
): Promise<number | undefined> {
  const { count, sample } = await selectRuns(client, query, options.sample);
  if (count === 0) {
    process.stdout.write(`No runs match: ${query}\n`);
    return undefined;
  }
  if (options.dryRun || (!options.yes && count > CONFIRM_ABOVE)) {
    if (sample.length > 0) process.stdout.write(`${runTable(sample)}\n\n`);
    process.stdout.write(`${count} runs match: ${query}\n`);
  }
  if (options.dryRun) {
    process.stdout.write(`Dry run: would ${what.toLowerCase()} ${count} runs. Nothing was changed.\n`);
    return undefined;
  }
  if (!(await confirm(count, what, options.yes))) {
    process.stdout.write('Nothing was changed.\n');
    return undefined;
  }
  return count;
}

function registerBatch(runs: Command, kind: BatchKind, description: string): void {
  const verb = kind === 'cancel' ? 'Cancel' : 'Terminate';
  withActOptions(runs.command(kind).description(description), 'most runs the server handles a second (e.g. 50/s)')
    .option('--reason <text>', 'recorded with each run', `ebbflow runs ${kind}`)
    .action(
      action(async (options: ActOptions) => {
        if (isEmptyFilter(filterOf(options))) {
          throw new UsageError(
            `runs ${kind}: say which runs with --workflow, --status, --since, --until or --query (there is no "all")`,
          );
        }
        if (options.status.some((s) => s !== 'running')) {
          throw new UsageError(`runs ${kind} applies to running runs only; drop --status or use --status running`);
        }
        const query = buildQuery({ ...filterOf(options), statuses: ['running'] });
        const { config } = cliContext('runs');
        const client = await cliClient(config);
        try {
          const count = await preview(client, query, options, verb);
          if (count === undefined) return;
          const jobId = await startBatch(client, kind, query, {
            reason: options.reason ?? `ebbflow runs ${kind}`,
            perSecond: options.rate,
          });
          process.stderr.write(`Batch job ${jobId} started on the server\n`);
          const bar = new ProgressBar(kind === 'cancel' ? 'cancelling' : 'terminating', count);
          const last = await followBatch(client, jobId, (p) => {
            bar.update(p.completed + p.failed, p.failed > 0 ? `${p.failed} failed` : '');
          });
          bar.finish(last.failed > 0 ? `${last.failed} failed` : '');
          const done = kind === 'cancel' ? 'Cancellation requested for' : 'Terminated';
          process.stdout.write(
            `${done} ${last.completed} of ${last.total} runs; ${last.failed} failed. Batch job ${jobId} ${last.state}.\n`,
          );
          if (last.state === 'failed' || last.failed > 0) process.exitCode = 1;
        } finally {
          await client.connection.close();
        }
      }),
    );
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('List, cancel, terminate or rerun workflow runs in bulk, by filter');

  withFilterOptions(runs.command('list').description('Runs that match a filter, newest first, and how many there are'))
    .option('--max <n>', 'most runs to show', count, 20)
    .option('--json', 'print JSON, for scripts')
    .action(
      action(async (options: FilterOptions & { max: number; json?: boolean }) => {
        const query = buildQuery(filterOf(options));
        const { config } = cliContext('runs');
        const client = await cliClient(config);
        try {
          const { count, sample } = await selectRuns(client, query, options.max);
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ query, count, runs: sample }, null, 2)}\n`);
            return;
          }
          if (sample.length > 0) process.stdout.write(`${runTable(sample)}\n\n`);
          const shown = sample.length < count ? ` (${sample.length} shown; --max N for more)` : '';
          process.stdout.write(`${count} runs match${query ? `: ${query}` : ' (no filter)'}${shown}\n`);
        } finally {
          await client.connection.close();
        }
      }),
    );

  registerBatch(runs, 'cancel', 'Ask running runs to stop (they can clean up), as one server-side batch job');
  registerBatch(runs, 'terminate', 'Stop running runs at once (no cleanup), as one server-side batch job');

  withActOptions(
    runs
      .command('rerun')
      .description('Start failed image and report runs again with their original input, under the ids the bridge uses'),
    'most starts a second (e.g. 50/s)',
  ).action(
    action(async (options: ActOptions) => {
      const unknown = options.workflow.filter((w) => !RERUNNABLE_WORKFLOWS.includes(w));
      if (unknown.length > 0) {
        throw new UsageError(`runs rerun starts ${RERUNNABLE_WORKFLOWS.join(' and ')} runs, not ${unknown.join(', ')}`);
      }
      const notFailed = options.status.filter((s) => !FAILED_STATUSES.includes(s));
      if (notFailed.length > 0) {
        throw new UsageError(
          `runs rerun starts runs that did not succeed (${FAILED_STATUSES.join(', ')}), not ${notFailed.join(', ')}`,
        );
      }
      const query = buildQuery({
        ...filterOf(options),
        workflows: options.workflow.length > 0 ? options.workflow : RERUNNABLE_WORKFLOWS,
        statuses: options.status.length > 0 ? options.status : ['failed', 'timed-out'],
      });
      const { config } = cliContext('runs');
      const client = await cliClient(config);
      try {
        const count = await preview(client, query, options, 'Rerun');
        if (count === undefined) return;
        const bar = new ProgressBar('rerunning', count);
        const failures: string[] = [];
        const counts = await rerunRuns(client, {
          query,
          rate: options.rate,
          onProgress: (c) => bar.update(c.started + c.alreadyDone + c.failed, `${c.alreadyDone} already done`),
          onFailure: (id, error) => failures.push(`${id}: ${error}`),
        });
        bar.finish();
        for (const f of failures.slice(0, 10)) process.stderr.write(`failed: ${f}\n`);
        process.stdout.write(
          `Started ${counts.started} runs again; ${counts.alreadyDone} already ran again or run now; ${counts.failed} failed.\n`,
        );
        if (counts.failed > 0) process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    }),
  );
}
