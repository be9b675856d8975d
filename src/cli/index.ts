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
import { describeFailure } from './context';
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

/** Runs the program; an error no command handled is described as the commands describe theirs. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const { message, exitCode } = describeFailure(err);
    process.stderr.write(`ebbflow: ${message}\n`);
    process.exit(exitCode);
  }
}

if (require.main === module) void main(process.argv);
