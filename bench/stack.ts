/**
 * What the live benchmarks share: a Temporal dev server (file-backed, with ebbflow's search attributes) and the AWS
 * emulator of their own on free ports, the environment that points ebbflow's processes at them, and AWS clients.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAwsClients, type AwsClients } from '../src/aws/clients';
import { SEARCH_ATTRIBUTE_TYPES } from '../src/common/constants';
import { freePort, startMoto, startTemporalDevServer, type ManagedProcess } from '../src/dev/processes';

export interface BenchStack {
  /** Scratch folder: the server's database, ebbflow's state dir. */
  work: string;
  temporal: ManagedProcess;
  moto: ManagedProcess;
  /** Environment for ebbflow's config and child processes; callers add their own settings. */
  env: Record<string, string>;
  aws: AwsClients;
  stop(): Promise<void>;
}

export async function startBenchStack(name: string): Promise<BenchStack> {
  const work = mkdtempSync(path.join(os.tmpdir(), `ebbflow-bench-${name}-`));
  const [temporalPort, awsPort] = [await freePort(), await freePort()];
  const temporal = await startTemporalDevServer({
    port: temporalPort,
    headless: true,
    dbFile: path.join(work, 'temporal.db'),
    searchAttributes: SEARCH_ATTRIBUTE_TYPES,
  });
  let moto: ManagedProcess;
  try {
    moto = await startMoto({ port: awsPort });
  } catch (err) {
    await temporal.stop();
    throw err;
  }
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${awsPort}`,
    AWS_REGION: 'us-east-1',
    EBBFLOW_STATE_DIR: work,
    EBBFLOW_LOG_LEVEL: 'warn',
    EBBFLOW_METRICS_PORT: '0',
  };
  return {
    work,
    temporal,
    moto,
    env,
    aws: createAwsClients({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL, emulatorCredentials: true }),
    async stop() {
      await moto.stop();
      await temporal.stop();
    },
  };
}
