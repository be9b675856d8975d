import type { Command } from 'commander';
import { runBridge } from '../bridge';
import { action, cliContext } from './context';

export function registerBridgeCommands(program: Command): void {
  program
    .command('bridge')
    .description(
      'Start one workflow per item on the ingress queue (S3 events, EventBridge events, envelopes); DLQ what it cannot start; stop cleanly on SIGTERM',
    )
    .action(
      action(async () => {
        const { config, logger } = cliContext('bridge');
        await runBridge(config, logger);
      }),
    );
}
