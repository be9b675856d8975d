import type { Command } from 'commander';
import { runWorker } from '../worker';
import { action, cliContext } from './context';

export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('Serve the task queue: every workflow and activity, /metrics, graceful shutdown on SIGTERM')
    .action(
      action(async () => {
        const { config, logger } = cliContext('worker');
        await runWorker(config, logger);
      }),
    );
}
