/** The `ebbflow` command-line program. Each group of commands registers itself from its own file. */
import { Command } from 'commander';
import { version } from '../../package.json';
import { registerBackfillCommands } from './backfill';
import { registerBridgeCommands } from './bridge';
import { registerDlqCommands } from './dlq';
import { registerDevCommands } from './dev';
import { registerEtlCommands } from './etl';
import { registerPipelineCommands } from './pipeline';
import { registerReportCommands } from './reports';
import { registerRunsCommands } from './runs';
import { registerScalerCommands } from './scaler';
import { registerSimulateCommands } from './simulate';
import { registerWorkerCommands } from './worker';
import { commanderExitCode } from './options';

export function buildProgram(): Command {
  const program = new Command('ebbflow')
    .description('Event-driven batch workflows on Temporal: scheduled jobs, per-message processing, fan-out ETL')
    .version(version)
    .showHelpAfterError()
    // Inherited by every command registered below.
    .exitOverride((err) => process.exit(commanderExitCode(err)));
  registerDevCommands(program);
  registerPipelineCommands(program);
  registerWorkerCommands(program);
  registerReportCommands(program);
  registerScalerCommands(program);
  registerSimulateCommands(program);
  registerBridgeCommands(program);
  registerBackfillCommands(program);
  registerDlqCommands(program);
  registerEtlCommands(program);
  registerRunsCommands(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`ebbflow: ${String(err)}\n`);
      process.exit(1);
    });
}
