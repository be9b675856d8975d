import type { Command } from 'commander';
import { createAwsClients } from '../aws/clients';
import { listDeadLetters, redriveDeadLetters, type DeadLetterView } from '../bridge/redrive';
import { required } from '../config';
import { action, cliContext, UsageError } from './context';
import { formatDuration, table } from './format';

function parseMax(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--max expects a whole number ≥ 1, got "${raw}"`);
  return value;
}

const clip = (text: string | undefined, max: number): string | undefined =>
  text === undefined || text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** The DLQ as a table that lines up: oldest first. */
export function deadLetterTable(letters: DeadLetterView[]): string {
  return table(
    ['AGE', 'ERROR TYPE', 'REASON', 'WORKFLOW ID', 'ATTEMPTS', 'SOURCE ITEM'],
    letters.map((l) => [
      l.ageMs === undefined ? undefined : formatDuration(l.ageMs),
      l.errorType,
      clip(l.reason, 60),
      l.workflowId,
      l.attempts,
      clip(l.item, 60),
    ]),
  );
}

function queues(): { sqs: ReturnType<typeof createAwsClients>['sqs']; dlqUrl: string; ingressQueueUrl?: string } {
  const { config } = cliContext('dlq');
  return {
    sqs: createAwsClients(config.aws).sqs,
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
    .option('--max <n>', 'most messages to show', parseMax, 100)
    .action(
      action(async (options: { json?: boolean; max: number }) => {
        const { sqs, dlqUrl } = queues();
        const letters = await listDeadLetters(sqs, dlqUrl, options.max);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
          return;
        }
        if (letters.length === 0) {
          process.stdout.write('The dead-letter queue is empty.\n');
          return;
        }
        process.stdout.write(`${deadLetterTable(letters)}\n\n${letters.length} message(s) in ${dlqUrl}\n`);
        process.stdout.write('Send them back to the ingress queue with: ebbflow dlq redrive [--dry-run] [--max N]\n');
      }),
    );

  dlq
    .command('redrive')
    .description('Send dead letters back to the ingress queue (original bodies) and delete them from the DLQ')
    .option('--dry-run', 'only show what would move')
    .option('--max <n>', 'most messages to move', parseMax, 1000)
    .action(
      action(async (options: { dryRun?: boolean; max: number }) => {
        const { sqs, dlqUrl, ingressQueueUrl } = queues();
        const ingress = required(ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL');
        let count = 0;
        const moved = await redriveDeadLetters(sqs, {
          dlqUrl,
          ingressQueueUrl: ingress,
          max: options.max,
          dryRun: options.dryRun,
          onMoved: () => {
            count++;
            if (process.stderr.isTTY) process.stderr.write(`\rmoved ${count}…`);
          },
        });
        if (process.stderr.isTTY && count > 0) process.stderr.write('\n');
        if (moved.length === 0) {
          process.stdout.write('The dead-letter queue is empty: nothing to redrive.\n');
          return;
        }
        process.stdout.write(`${deadLetterTable(moved)}\n\n`);
        process.stdout.write(
          options.dryRun
            ? `Dry run: would move ${moved.length} message(s) to ${ingress}. Nothing was changed.\n`
            : `Moved ${moved.length} message(s) to ${ingress}.\n`,
        );
      }),
    );
}
