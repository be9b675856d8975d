/**
 * `ebbflow seed-data` fills the sales database; `ebbflow schedule …` manages the Temporal Schedules of scheduled jobs
 * (today the daily sales report).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { addDays, localDate } from '../common/report-dates';
import { parseDuration, redactUrl } from '../config';
import { openDatabase } from '../db/connection';
import { migrateSalesDatabase, type SalesDatabase } from '../reports/schema';
import { seedSalesData } from '../reports/seed';
import {
  OVERLAP_POLICIES,
  SCHEDULED_JOBS,
  Schedules,
  validateBackfillRange,
  validateScheduleSpec,
  type OverlapPolicyName,
} from '../schedules/schedule-client';
import { action, cliClient, cliContext, UsageError } from './context';
import { formatDuration, table } from '../terminal/format';
import { choiceOption, isoDate, numberFrom, wholeNumber } from './options';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

const iso = (d: Date | undefined): string => (d ? d.toISOString().replace('.000Z', 'Z') : '—');

/** `1d`, `12h`, `30m` or anything the config accepts. */
function catchupWindow(value: string): number {
  const days = /^(\d+)d$/.exec(value);
  if (days) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message} (or days, e.g. 1d).`);
  }
}

async function withSchedules<T>(body: (schedules: Schedules, taskQueue: string) => Promise<T>): Promise<T> {
  const { config } = cliContext('schedule');
  const client = await cliClient(config);
  try {
    return await body(new Schedules(client), config.temporal.taskQueue);
  } finally {
    await client.connection.close();
  }
}

export function registerReportCommands(program: Command): void {
  program
    .command('seed-data')
    .description('Fill the sales database (EBBFLOW_DATABASE_URL) with realistic orders for the daily report')
    .option('--days <n>', 'days of orders', wholeNumber(1), 60)
    .option('--end <date>', 'last day, YYYY-MM-DD (default: yesterday, UTC)', isoDate)
    .option('--orders-per-day <n>', 'average orders on a weekday before seasonality', numberFrom(0), 400)
    .option('--seed <n>', 'random seed; the same seed gives the same data', wholeNumber(0), 1)
    .action(
      action(async (opts: { days: number; end?: string; ordersPerDay: number; seed: number }) => {
        const { config } = cliContext('seed-data');
        const days = opts.days;
        const endDate = opts.end ?? addDays(localDate(Date.now()), -1);
        const database = openDatabase<SalesDatabase>(config.database.url);
        try {
          await migrateSalesDatabase(database.db);
          out(`Seeding ${days} day${days === 1 ? '' : 's'} ending ${endDate} into ${redactUrl(config.database.url)}`);
          const started = Date.now();
          const result = await seedSalesData(database.db, {
            days,
            endDate,
            baseOrdersPerDay: opts.ordersPerDay,
            seed: opts.seed,
            onDay: (date, orders) => {
              if (process.stdout.isTTY) process.stdout.write(`\r  ${date}  ${String(orders).padStart(6)} orders`);
            },
          });
          if (process.stdout.isTTY) out();
          out(
            `Wrote ${result.orders.toLocaleString('en-US')} orders (${result.items.toLocaleString('en-US')} lines) ` +
              `for ${result.from} … ${result.to} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        } finally {
          await database.close();
        }
      }),
    );

  const schedule = program
    .command('schedule')
    .description('Temporal Schedules for scheduled jobs: create, list, describe, trigger, backfill, pause, delete');

  schedule
    .command('create <job>')
    .description(`Create a schedule for a job (${Object.keys(SCHEDULED_JOBS).join(', ')})`)
    .requiredOption('--cron <expr>', "5-field cron, e.g. '0 6 * * *'")
    .option('--timezone <zone>', 'IANA time zone of the cron and of report days', 'UTC')
    .option('--id <scheduleId>', 'schedule id (default: the job name)')
    .addOption(choiceOption('--overlap <policy>', 'when a run is due while one runs', OVERLAP_POLICIES, 'SKIP'))
    .option('--catchup-window <duration>', 'how far back missed runs are caught up, e.g. 1d or 6h', catchupWindow)
    .option('--pause-on-failure', 'pause the schedule when a run fails')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'note shown with the schedule')
    .action(
      action(
        async (
          job: string,
          opts: {
            cron: string;
            timezone: string;
            id?: string;
            overlap: OverlapPolicyName;
            catchupWindow?: number;
            pauseOnFailure?: boolean;
            paused?: boolean;
            note?: string;
          },
        ) => {
          if (!(job in SCHEDULED_JOBS)) {
            throw new UsageError(`unknown job "${job}"; known: ${Object.keys(SCHEDULED_JOBS).join(', ')}`);
          }
          validateScheduleSpec(opts.cron, opts.timezone);
          await withSchedules(async (schedules, taskQueue) => {
            const handle = await schedules.create({
              job: job as keyof typeof SCHEDULED_JOBS,
              scheduleId: opts.id,
              cron: opts.cron,
              timezone: opts.timezone,
              overlap: opts.overlap,
              catchupWindowMs: opts.catchupWindow,
              pauseOnFailure: opts.pauseOnFailure,
              paused: opts.paused,
              note: opts.note,
              taskQueue,
            });
            const d = await schedules.describe(handle.scheduleId, { nextRuns: 3 });
            out(`Created schedule ${handle.scheduleId}: '${opts.cron}' ${opts.timezone}, overlap ${d.overlap}`);
            out(`Next runs: ${d.nextRuns.map(iso).join(', ')}`);
          });
        },
      ),
    );

  schedule
    .command('list')
    .description('List schedules')
    .action(
      action(async () => {
        await withSchedules(async (schedules) => {
          const items = await schedules.list();
          if (items.length === 0)
            return out('No schedules. Create one with: ebbflow schedule create daily-sales --cron "0 6 * * *"');
          out(
            table(
              ['SCHEDULE', 'WORKFLOW', 'CRON', 'ZONE', 'STATE', 'NEXT RUN', 'LAST RUN', 'NOTE'],
              items.map((s) => [
                s.scheduleId,
                s.workflowType ?? '—',
                s.cron ?? '—',
                s.timezone ?? 'UTC',
                s.paused ? 'paused' : 'active',
                iso(s.nextRun),
                iso(s.lastRun),
                s.note ?? '',
              ]),
            ),
          );
        });
      }),
    );

  schedule
    .command('describe <scheduleId>')
    .description('Settings, next runs, and recent runs with their results')
    .option('--next <n>', 'next run times to show', wholeNumber(0, 100), 5)
    .action(
      action(async (scheduleId: string, opts: { next: number }) => {
        await withSchedules(async (schedules) => {
          const d = await schedules.describe(scheduleId, { nextRuns: opts.next });
          out(`Schedule   ${d.scheduleId} (${d.workflowType ?? '?'})`);
          out(`Cron       ${d.cron ?? '(set outside ebbflow)'} in ${d.timezone ?? 'UTC'}`);
          out(
            `Policies   overlap ${d.overlap}, catch-up window ${formatDuration(d.catchupWindowMs)}, ` +
              `pause on failure ${d.pauseOnFailure ? 'yes' : 'no'}`,
          );
          out(`State      ${d.paused ? 'PAUSED' : 'active'}${d.note ? ` — ${d.note}` : ''}`);
          out(
            `Actions    ${d.numActionsTaken} taken, ${d.numActionsBuffered} buffered, ` +
              `${d.numActionsSkippedOverlap} skipped (overlap), ${d.numActionsMissedCatchupWindow} missed (catch-up window)`,
          );
          out();
          out('Next runs');
          for (const next of d.nextRuns) out(`  ${iso(next)}`);
          out();
          if (d.recentRuns.length === 0) return out('No runs yet.');
          out('Recent runs');
          out(
            table(
              ['SCHEDULED', 'WORKFLOW ID', 'STATUS', 'RESULT'],
              d.recentRuns.map((r) => {
                const result = r.result as { location?: string; orders?: number } | undefined;
                const summary = result?.location
                  ? `${result.location} (${result.orders ?? 0} orders)`
                  : (r.failure ?? (result !== undefined ? JSON.stringify(result) : ''));
                return [iso(r.scheduledAt), r.workflowId, r.status, summary];
              }),
            ),
          );
        });
      }),
    );

  schedule
    .command('trigger <scheduleId>')
    .description("Run now; the schedule's overlap policy applies unless --overlap is given")
    .addOption(
      choiceOption('--overlap <policy>', "overlap policy of this run (default: the schedule's)", OVERLAP_POLICIES),
    )
    .action(
      action(async (scheduleId: string, opts: { overlap?: OverlapPolicyName }) => {
        await withSchedules(async (schedules) => {
          const policy = await schedules.trigger(scheduleId, opts.overlap);
          out(`Triggered ${scheduleId} (overlap ${policy}); see: ebbflow schedule describe ${scheduleId}`);
        });
      }),
    );

  schedule
    .command('backfill <scheduleId>')
    .description('One run per report day from --from to --to (inclusive)')
    .requiredOption('--from <date>', 'first report date, YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'last report date, YYYY-MM-DD', isoDate)
    .addOption(
      choiceOption(
        '--overlap <policy>',
        'ALLOW_ALL runs them in parallel, BUFFER_ALL one after another',
        OVERLAP_POLICIES,
        'ALLOW_ALL',
      ),
    )
    .action(
      action(async (scheduleId: string, opts: { from: string; to: string; overlap: OverlapPolicyName }) => {
        validateBackfillRange(opts.from, opts.to);
        await withSchedules(async (schedules) => {
          const { start, end } = await schedules.backfill(scheduleId, opts.from, opts.to, opts.overlap);
          out(
            `Backfilling ${scheduleId} for ${opts.from} … ${opts.to} (schedule times after ${iso(start)} up to ${iso(end)})`,
          );
        });
      }),
    );

  for (const [name, verb] of [
    ['pause', 'Pause'],
    ['unpause', 'Unpause'],
  ] as const) {
    schedule
      .command(`${name} <scheduleId>`)
      .description(`${verb} a schedule, with a note saying why`)
      .option('--note <text>', 'why, shown by describe, list and the UI')
      .action(
        action(async (scheduleId: string, opts: { note?: string }) => {
          await withSchedules(async (schedules) => {
            await schedules[name](scheduleId, opts.note);
            out(`${verb}d ${scheduleId}${opts.note ? `: ${opts.note}` : ''}`);
          });
        }),
      );
  }

  schedule
    .command('delete <scheduleId>')
    .description('Delete a schedule (runs already started are not affected)')
    .action(
      action(async (scheduleId: string) => {
        await withSchedules(async (schedules) => {
          await schedules.delete(scheduleId);
          out(`Deleted ${scheduleId}`);
        });
      }),
    );
}
