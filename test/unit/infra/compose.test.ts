/**
 * docker-compose.yml checked quickly against the compose specification with dclint (which validates the compose JSON
 * schema and lints), and its wiring against our own config; test/containers brings it up for real.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { pipelineNames } from '../../../src/aws/provision';
import { loadConfig, parseDuration } from '../../../src/config';
import { gracesFor } from '../../../src/scaler/grace';
import { unknownVariables } from './known-settings';

const root = path.resolve(__dirname, '../../..');
const composeFile = path.join(root, 'docker-compose.yml');
const dclint = path.join(root, 'node_modules/dclint/bin/dclint.cjs');
const dclintConfig = path.join(root, 'infra/dclint.json');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  stop_grace_period?: string;
}

async function lint(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [dclint, '--config', dclintConfig, '--no-color', file],
      { cwd: root },
    );
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function withChange(change: (text: string) => string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-compose-'));
  const file = path.join(dir, 'docker-compose.yml');
  const changed = change(readFileSync(composeFile, 'utf8'));
  writeFileSync(file, changed);
  return file;
}

const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('passes dclint: the compose schema and the lint rules, with no warnings', async () => {
    const { code, output } = await lint(composeFile);
    expect(output.trim()).toBe('');
    expect(code).toBe(0);
  });

  it('fails dclint when a depends_on condition is not one the specification allows', async () => {
    const broken = withChange((text) => text.replace('service_completed_successfully', 'service_finished'));
    const { code, output } = await lint(broken);
    expect(code).not.toBe(0);
    expect(output).toMatch(/instancePath="\/services\/worker\/depends_on".*invalid-schema/);
  });

  it('fails dclint when a service has a key the specification does not know', async () => {
    const broken = withChange((text) => text.replace('    stop_grace_period: 140s', '    stop_grace: 140s'));
    const { code, output } = await lint(broken);
    expect(code).not.toBe(0);
    expect(output).toMatch(/instancePath="\/services\/worker".*additional properties.*invalid-schema/);
  });

  it('runs the Temporal dev server with its UI from the official image, reachable from the other containers', () => {
    const temporal = services.temporal!;
    // The official images by default; a variable lets the container tests substitute local doubles.
    expect(temporal.image).toMatch(/^\$\{TEMPORAL_IMAGE:-temporalio\/temporal:\d+\.\d+\.\d+\}$/);
    expect(temporal.command?.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(temporal.command).toEqual(expect.arrayContaining(['--ip', '0.0.0.0']));
    expect(temporal.command).not.toContain('--headless');
    expect(temporal.healthcheck?.test).toBeDefined();
    expect(services.moto!.image).toMatch(/^\$\{MOTO_IMAGE:-motoserver\/moto:\d+\.\d+\.\d+\}$/);
    expect(services.moto!.healthcheck?.test).toBeDefined();
  });

  it('sets up once the servers are healthy, then starts worker and bridge from infra/Dockerfile', () => {
    expect(services.setup!.command).toEqual(['setup', '--create-aws', '--prefix', 'ebbflow']);
    expect(services.setup!.depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      moto: { condition: 'service_healthy' },
    });
    for (const [name, command] of [
      ['worker', 'worker'],
      ['bridge', 'bridge'],
    ] as const) {
      const service = services[name]!;
      expect(service.command).toEqual([command]);
      expect(service.build?.dockerfile).toBe('infra/Dockerfile');
      expect(service.depends_on?.setup?.condition).toBe('service_completed_successfully');
    }
    expect(services.worker!.healthcheck?.test.join(' ')).toContain('/metrics');
  });

  it('waits for the worker and the scaler longer than the graces the code gives their work before a kill', () => {
    const settings = (name: string) => loadConfig(services[name]!.environment ?? {}, { useDevState: false });
    const stopGrace = (name: string) => parseDuration(services[name]!.stop_grace_period ?? '10s');
    expect(stopGrace('worker')).toBeGreaterThan(gracesFor(settings('worker')).workerShutdownGrace);
    expect(stopGrace('scaler')).toBeGreaterThan(gracesFor(settings('scaler')).drainGrace);
  });

  it('gives every ebbflow service the same settings, all of them real ones, naming what setup creates', () => {
    const ebbflowServices = Object.entries(services).filter(([, s]) => s.build);
    expect(ebbflowServices.map(([name]) => name).sort()).toEqual(['bridge', 'scaler', 'setup', 'worker']);
    // The names setup creates from its --prefix are the ones every service is told about.
    const setupCommand = services.setup!.command ?? [];
    const names = pipelineNames(setupCommand[setupCommand.indexOf('--prefix') + 1] ?? '');
    for (const [name, service] of ebbflowServices) {
      const env = service.environment ?? {};
      expect({ name, unknown: unknownVariables(Object.keys(env)) }).toEqual({ name, unknown: [] });
      expect(env).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_NAMESPACE: 'default',
        AWS_ENDPOINT_URL: 'http://moto:5000',
        AWS_REGION: 'us-east-1',
        EBBFLOW_INPUT_BUCKET: names.inputBucket,
        EBBFLOW_OUTPUT_BUCKET: names.outputBucket,
      });
      expect(env.EBBFLOW_INGRESS_QUEUE_URL).toMatch(new RegExp(`^http://moto:5000/\\d{12}/${names.ingressQueue}$`));
      expect(env.EBBFLOW_DLQ_URL).toMatch(new RegExp(`^http://moto:5000/\\d{12}/${names.dlq}$`));
    }
  });
});
