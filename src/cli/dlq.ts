import type { Command } from 'commander';
import { createAwsClients, type AwsClients } from '../aws/clients';
import { listDeadLetters, purgeDeadLetters, redriveDeadLetters, type DeadLetterView } from '../bridge/redrive';
import { required } from '../config';
import { action, cliContext, UsageError } from './context';
import { formatDuration, table } from '../terminal/format';
import { clip } from '../common/text';
import { wholeNumber } from './options';

/** Collects a repeatable option. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];
const ERROR_TYPE_HELP = 'only dead letters of this error type, as `dlq list` shows it (repeatable)';

/** The DLQ as a table that lines up: oldest first. */
function deadLetterTable(letters: DeadLetterView[]): string {
  return table(
    ['AGE', 'ERROR TYPE', 'REASON', 'WORKFLOW ID', 'ATTEMPTS', 'SOURCE ITEM'],
    letters.map((l) => [
      l.ageMs === undefined ? undefined : formatDuration(l.ageMs),
      l.errorType,
      l.reason === undefined ? undefined : clip(l.reason, 60),
      l.workflowId,
      l.attempts,
      l.item === undefined ? undefined : clip(l.item, 60),
    ]),
  );
}

function queues(): Pick<AwsClients, 'sqs' | 's3'> & { dlqUrl: string; ingressQueueUrl?: string } {
  const { config } = cliContext('dlq');
  const aws = createAwsClients(config.aws);
  return {
    sqs: aws.sqs,
    s3: aws.s3,
    dlqUrl: required(config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL'),
    ingressQueueUrl: config.pipeline.ingressQueueUrl,
  };
}

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('Inspect and redrive the dead-letter queue');

  dlq
    .command('list')
    .description('Show what is in the dead-letter queue and why (messages stay in the queue)')
    .option('--json', 'print JSON, for scripts')
    .option('--max <n>', 'most messages to show', wholeNumber(1), 100)
    .option('--error-type <type>', ERROR_TYPE_HELP, collect, [])
    .action(
      action(async (options: { json?: boolean; max: number; errorType: string[] }) => {
        const { sqs, dlqUrl } = queues();
        const letters = await listDeadLetters(sqs, dlqUrl, {
          max: options.max,
          errorTypes: options.errorType,
          onStillHidden: warnStillHidden,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
          return;
        }
        if (letters.length === 0) {
          process.stdout.write(`${nothingSelected(options.errorType)}.\n`);
          return;
        }
        process.stdout.write(`${deadLetterTable(letters)}\n\n${letters.length} message(s) in ${dlqUrl}\n`);
        process.stdout.write(
          'Send them back to the ingress queue with: ebbflow dlq redrive [--error-type T] [--dry-run] [--max N]\n' +
            'Delete those nobody will process with:   ebbflow dlq purge --error-type T [--dry-run]\n',
        );
      }),
    );

  dlq
    .command('redrive')
    .description('Send dead letters back to the ingress queue (original bodies) and delete them from the DLQ')
    .option('--dry-run', 'only show what would move')
    .option('--max <n>', 'most messages to move', wholeNumber(1), 1000)
    .option('--error-type <type>', ERROR_TYPE_HELP, collect, [])
    .action(
      action(async (options: { dryRun?: boolean; max: number; errorType: string[] }) => {
        const { sqs, s3, dlqUrl, ingressQueueUrl } = queues();
        const ingress = required(ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL');
        const moved = await redriveDeadLetters(sqs, {
          s3,
          dlqUrl,
          ingressQueueUrl: ingress,
          max: options.max,
          errorTypes: options.errorType,
          dryRun: options.dryRun,
          onDone: progress('moved'),
          onStillHidden: warnStillHidden,
        });
        report(moved, options, {
          none: 'nothing to redrive',
          dry: (n) => `Dry run: would move ${n} message(s) to ${ingress}. Nothing was changed.`,
          done: (n) => `Moved ${n} message(s) to ${ingress}.`,
        });
      }),
    );

  dlq
    .command('purge')
    .description('Delete dead letters for good: items nobody will process (say which: --error-type or --all)')
    .option('--dry-run', 'only show what would be deleted')
    .option('--max <n>', 'most messages to delete', wholeNumber(1), 1000)
    .option('--error-type <type>', ERROR_TYPE_HELP, collect, [])
    .option('--all', 'every dead letter, whatever its type')
    .action(
      action(async (options: { dryRun?: boolean; max: number; errorType: string[]; all?: boolean }) => {
        if (options.errorType.length === 0 && !options.all) {
          throw new UsageError('dlq purge deletes for good: say which with --error-type T (repeatable) or --all');
        }
        if (options.errorType.length > 0 && options.all) {
          throw new UsageError('dlq purge: --all and --error-type exclude each other');
        }
        const { sqs, s3, dlqUrl } = queues();
        const deleted = await purgeDeadLetters(sqs, {
          s3,
          dlqUrl,
          max: options.max,
          errorTypes: options.errorType,
          dryRun: options.dryRun,
          onDone: progress('deleted'),
          onStillHidden: warnStillHidden,
        });
        report(deleted, options, {
          none: 'nothing to delete',
          dry: (n) => `Dry run: would delete ${n} message(s). Nothing was changed.`,
          done: (n) => `Deleted ${n} message(s) from ${dlqUrl}.`,
        });
      }),
    );
}

/** What to say when no dead letter matched: of the types asked for, or at all. */
function nothingSelected(errorTypes: string[]): string {
  return errorTypes.length > 0 ? `No dead letters of type ${errorTypes.join(', ')}` : 'The dead-letter queue is empty';
}

/** Warns that letters a command read could not be shown again to others at once. */
function warnStillHidden(count: number, seconds: number): void {
  process.stderr.write(
    `warning: SQS did not make ${count} message(s) visible again; they show again within ${seconds} s\n`,
  );
}

/** A running count on a terminal, for commands that go through many messages. */
function progress(verb: string): () => void {
  let count = 0;
  return () => {
    count++;
    if (process.stderr.isTTY) process.stderr.write(`\r${verb} ${count}…`);
  };
}

/** What a redrive or purge did (or would do), as a table and one line. */
function report(
  letters: DeadLetterView[],
  options: { dryRun?: boolean; errorType: string[] },
  say: { none: string; dry: (n: number) => string; done: (n: number) => string },
): void {
  if (process.stderr.isTTY && !options.dryRun && letters.length > 0) process.stderr.write('\n');
  if (letters.length === 0) {
    process.stdout.write(`${nothingSelected(options.errorType)}: ${say.none}.\n`);
    return;
  }
  process.stdout.write(`${deadLetterTable(letters)}\n\n`);
  process.stdout.write(`${options.dryRun ? say.dry(letters.length) : say.done(letters.length)}\n`);
}
