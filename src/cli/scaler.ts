import type { Command } from 'commander';
import { startScaler } from '../scaler';
import { action, cliContext } from './context';

export function registerScalerCommands(program: Command): void {
  program
    .command('scaler')
    .description(
      'Scale workers on backlog: reads the ingress queue and the Temporal task queue every few seconds and sets the ' +
        'fleet size through EBBFLOW_SCALER_DRIVER (local processes, ECS or Kubernetes); serves /metrics and /decisions',
    )
    .action(
      action(async () => {
        const { config, logger } = cliContext('scaler');
        const running = await startScaler(config, logger);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        logger.info('stopping: draining workers');
        await running.stop();
      }),
    );
}
