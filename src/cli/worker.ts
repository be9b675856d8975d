import type { Command } from 'commander';
import { runWorker } from '../worker';
import { action, cliContext } from './context';

export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('Serve the task queue: every workflow and activity, /metrics, graceful shutdown on SIGTERM')
    .option('--standby', 'boot, then wait for the local scaler that started this worker to promote it before polling')
    .action(
      action(async (opts: { standby?: boolean }) => {
        const { config, logger } = cliContext('worker');
        // A standby stopped before it was promoted holds a worker the SDK never releases: end the process here.
        if ((await runWorker(config, logger, { standby: opts.standby })) === 'stood down') process.exit(0);
      }),
    );
}
