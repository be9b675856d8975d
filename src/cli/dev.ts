import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../common/constants';
import { runDemo } from '../dev/demo';
import { localWorkersFor } from '../dev/fleet';
import { describeExit } from '../dev/processes';
import { startDevStack } from '../dev/stack';
import { action, cliContext } from './context';
import { wholeNumber } from './options';

interface DevOptions {
  temporalPort: number;
  uiPort: number;
  awsPort: number;
  scalerPort: number;
  bridgePort: number;
  prefix: string;
  namespace: string;
  headless?: boolean;
  workers?: number;
  scaler: boolean;
  demo?: boolean;
  demoCount: number;
}

const port = wholeNumber(1, 65535);

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
    .description('Run the whole system on this machine: Temporal dev server + UI, AWS emulator, bridge and workers')
    .option('--temporal-port <port>', 'Temporal frontend port', port, 7233)
    .option('--ui-port <port>', 'Temporal Web UI port', port, 8233)
    .option('--aws-port <port>', 'AWS emulator port', port, 5050)
    .option('--scaler-port <port>', "local scaler's /metrics and /decisions port", port, 9465)
    .option('--bridge-port <port>', "bridge's /metrics and /healthz port", port, 9466)
    .option('--prefix <name>', 'prefix of bucket and queue names', 'ebbflow')
    .option('--namespace <ns>', 'Temporal namespace', 'default')
    .option('--headless', 'no Temporal Web UI')
    .option(
      '--workers <n>',
      'most worker processes (the local scaler moves between 0 and this; default: one per ' +
        'EBBFLOW_WORKER_MAX_ACTIVITIES cores, at least 1, as resizes are CPU-bound)',
      wholeNumber(1),
    )
    .option('--no-scaler', 'run a fixed fleet of --workers workers instead of the local scaler')
    .option('--demo', 'generate sample photos, upload them and follow them to completion')
    .option('--demo-count <n>', 'photos in the demo batch', wholeNumber(1), 100)
    .action(
      action(async (opts: DevOptions) => {
        const { config, logger } = cliContext('dev');
        const { demoCount } = opts;
        const workers = opts.workers ?? localWorkersFor(availableParallelism(), config.worker.maxConcurrentActivities);
        const processes: string[][] = [['bridge']];
        if (opts.scaler) processes.push(['scaler']);
        else for (let i = 0; i < workers; i++) processes.push(['worker']);
        const stack = await startDevStack(
          config,
          {
            temporalPort: opts.temporalPort,
            uiPort: opts.uiPort,
            awsPort: opts.awsPort,
            prefix: opts.prefix,
            namespace: opts.namespace,
            taskQueue: config.temporal.taskQueue || DEFAULT_TASK_QUEUE,
            headless: opts.headless,
            processes,
            scalerPort: opts.scaler ? opts.scalerPort : undefined,
            bridgePort: opts.bridgePort,
            processEnv: {
              EBBFLOW_SCALER_DRIVER: 'local',
              EBBFLOW_SCALER_MAX_TASKS: String(workers),
              // Several workers on one machine cannot share the metrics port.
              ...(opts.scaler || workers > 1 ? { EBBFLOW_METRICS_PORT: '0' } : {}),
            },
          },
          logger,
        );
        const s = stack.state;
        process.stdout.write(
          [
            '',
            'ebbflow is running locally.',
            '',
            `  Temporal UI      ${s.temporalUiUrl || '(headless)'}`,
            `  Temporal         ${s.temporalAddress}  namespace ${s.temporalNamespace}  task queue ${s.taskQueue}`,
            `  AWS emulator     ${s.awsEndpoint}`,
            `  Upload bucket    s3://${s.inputBucket}  →  queue ${s.ingressQueueUrl}`,
            `  Output bucket    s3://${s.outputBucket}`,
            `  Dead letters     ${s.dlqUrl}`,
            ...(s.scalerUrl
              ? [
                  `  Scaler           ${s.scalerUrl}/decisions  (0 to ${workers} workers, with the backlog)`,
                  `  Fleet cost       ${s.scalerUrl}/cost  (the workers priced as Fargate tasks; ebbflow status)`,
                ]
              : [`  Workers          ${workers}, fixed`]),
            ...(s.bridgeUrl ? [`  Bridge metrics   ${s.bridgeUrl}/metrics`] : []),
            `  Logs             ${stack.logDir}`,
            '',
            'In another terminal:  ebbflow submit <photos>   ebbflow status   ebbflow dlq list',
            'Press Ctrl-C to stop everything.',
            '',
          ].join('\n'),
        );
        let stopping = false;
        // A demo still drawing, uploading or following its batch ends with the stack, its drawing child included.
        const demo = new AbortController();
        const stop = async (): Promise<void> => {
          if (stopping) return;
          stopping = true;
          demo.abort();
          process.stdout.write('\nstopping…\n');
          await stack.stop();
          process.stdout.write('stopped.\n');
        };
        const done = new Promise<void>((resolve) => {
          // SIGHUP: the terminal was closed. Stopping removes dev.json, which would otherwise name servers now gone.
          for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
            process.once(signal, () => void stop().then(resolve));
          // A stack without one of its processes cannot do its work: say which and why, and stop the rest.
          void stack.lost.then(async (proc) => {
            if (stopping) return;
            process.exitCode = 1;
            process.stderr.write(`\nThe stack cannot run on: ${describeExit(proc)}\n`);
            await stop();
            resolve();
          });
        });
        if (opts.demo) {
          await runDemo({ config, state: s, count: demoCount, logger, signal: demo.signal }).catch((err: unknown) => {
            if (!stopping) process.stderr.write(`demo failed: ${(err as Error).message}\n`);
          });
          if (!stopping)
            process.stdout.write('\nThe demo is done; the stack stays up for exploring. Ctrl-C stops it.\n');
        }
        await done;
      }),
    );
}
