/**
 * Starts one Temporal dev server and one AWS emulator for the whole integration run, on free ports, and exports
 * their addresses to the test workers through the environment. Skipped when only the unit or container projects run.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '@jest/types';
import { freePort, startMoto, startTemporalDevServer, type ManagedProcess } from '../../src/dev/processes';
import { SEARCH_ATTRIBUTES } from '../../src/common/constants';

declare global {
  var __EBBFLOW_TEST_PROCESSES__: ManagedProcess[] | undefined;
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const argv = process.argv;
  const selectAt = argv.indexOf('--selectProjects');
  // The container tests bring up their own servers with docker compose.
  const withoutServers = ['unit', 'containers'];
  const after = selectAt >= 0 ? argv.slice(selectAt + 1) : [];
  const end = after.findIndex((a) => a.startsWith('-') || a.includes('/'));
  const selected = end < 0 ? after : after.slice(0, end);
  const onlyServerless = selected.length > 0 && selected.every((p) => withoutServers.includes(p));
  const explicitFiles = globalConfig.nonFlagArgs ?? [];
  const onlyServerlessFiles =
    explicitFiles.length > 0 &&
    explicitFiles.every((f: string) => f.includes('test/unit') || f.includes('test/containers'));
  if (onlyServerless || onlyServerlessFiles) return;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-test-'));
  // One after the other: the dev server opens ports of its own choosing besides its frontend, and one of them could
  // be the port picked for the emulator before the emulator has bound it.
  const motoPort = await freePort();
  const moto = await startMoto({ port: motoPort, logFile: path.join(dir, 'moto.log') });
  const temporalPort = await freePort();
  const temporal = await startTemporalDevServer({
    port: temporalPort,
    headless: true,
    logFile: path.join(dir, 'temporal.log'),
    searchAttributes: { [SEARCH_ATTRIBUTES.sourceBucket]: 'Keyword', [SEARCH_ATTRIBUTES.sourceKey]: 'Keyword' },
  }).catch(async (err: unknown) => {
    await moto.stop();
    throw err;
  });
  globalThis.__EBBFLOW_TEST_PROCESSES__ = [temporal, moto];
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_NAMESPACE: 'default',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    EBBFLOW_STATE_DIR: dir,
    EBBFLOW_TEST_DIR: dir,
    EBBFLOW_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Bridges run side by side in tests: none serves its endpoints on the fixed default port unless a test asks.
    EBBFLOW_BRIDGE_METRICS_PORT: '0',
  });
}
