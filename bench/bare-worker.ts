/**
 * A worker for bench/workflows/bare-workflow.ts, run as a process of its own by the end-to-end benchmark (with the flags
 * `ebbflow worker` runs with): `TEMPORAL_ADDRESS`, `BARE_TASK_QUEUE` and `BARE_SLOTS` say where and how wide.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const { TEMPORAL_ADDRESS: address, BARE_TASK_QUEUE: taskQueue, BARE_SLOTS: slots } = process.env;
  if (!address || !taskQueue || !slots)
    throw new Error('TEMPORAL_ADDRESS, BARE_TASK_QUEUE and BARE_SLOTS are required');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./workflows/bare-workflow'),
    activities: { nothing: async (input: unknown) => input },
    maxConcurrentActivityTaskExecutions: Number(slots),
    maxConcurrentLocalActivityExecutions: Number(slots),
  });
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
