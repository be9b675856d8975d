import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadConfig,
  parseDuration,
  required,
  settingsMarkdown,
  SETTINGS,
  redactConfig,
  redactUrl,
} from '../../src/config';

const emptyStateDir = () => mkdtempSync(path.join(os.tmpdir(), 'ebbflow-config-'));

describe('loadConfig', () => {
  it('gives every documented default when the environment is empty', () => {
    const config = loadConfig({ EBBFLOW_STATE_DIR: emptyStateDir() });
    expect(config.temporal.address).toBe('localhost:7233');
    expect(config.temporal.taskQueue).toBe('ebbflow');
    expect(config.aws.endpoint).toBeUndefined();
    expect(config.aws.emulatorCredentials).toBe(false);
    expect(config.image.maxAttempts).toBe(3);
    expect(config.worker.shutdownGrace).toBe(30_000);
    expect(config.scaler.scaleInCooldown).toBe(300_000);
    expect(config.database.url).toBe(`sqlite:${path.join(config.general.stateDir, 'ebbflow.db')}`);
  });

  it('resolves one value per setting, of its parser’s type; optional exactly when the setting has no default', () => {
    const config = loadConfig(
      { EBBFLOW_STATE_DIR: emptyStateDir(), EBBFLOW_SCALER_MAX_STEP: '3' },
      { useDevState: false },
    );
    for (const [group, settings] of Object.entries(SETTINGS)) {
      const values = config[group as keyof typeof SETTINGS] as Record<string, unknown>;
      for (const [key, setting] of Object.entries(settings)) {
        if (setting.default !== undefined)
          expect([`${group}.${key}`, values[key]]).not.toEqual([`${group}.${key}`, undefined]);
      }
    }
    const maxStep: number | undefined = config.scaler.maxStep;
    expect(maxStep).toBe(3);
    // @ts-expect-error a setting without a default may be missing, so its type says so
    const notOptional: number = loadConfig({ EBBFLOW_STATE_DIR: emptyStateDir() }).scaler.maxBacklogAge;
    expect(notOptional).toBeUndefined();
    const level: 'debug' | 'info' | 'warn' | 'error' = config.general.logLevel;
    expect(level).toBe('info');
  });

  it('layers the environment over dev.json over the defaults', () => {
    const dir = emptyStateDir();
    writeFileSync(
      path.join(dir, 'dev.json'),
      JSON.stringify({
        temporalAddress: '127.0.0.1:17233',
        awsEndpoint: 'http://127.0.0.1:15050',
        taskQueue: 'from-dev',
        wakeUrl: 'http://127.0.0.1:19465/wake',
      }),
    );
    const config = loadConfig({ EBBFLOW_STATE_DIR: dir, EBBFLOW_TASK_QUEUE: 'from-env' });
    expect(config.temporal.address).toBe('127.0.0.1:17233');
    // Commands in another terminal wake the local stack's scaler as they start workflows.
    expect(config.bridge.wakeUrl).toBe('http://127.0.0.1:19465/wake');
    expect(config.aws.endpoint).toBe('http://127.0.0.1:15050');
    expect(config.aws.emulatorCredentials).toBe(true);
    expect(config.temporal.taskQueue).toBe('from-env');
    expect(loadConfig({ EBBFLOW_STATE_DIR: dir }, { useDevState: false }).temporal.address).toBe('localhost:7233');
  });

  it('names every malformed variable in one error', () => {
    expect(() =>
      loadConfig({
        EBBFLOW_STATE_DIR: emptyStateDir(),
        EBBFLOW_IMAGE_MAX_ATTEMPTS: 'three',
        EBBFLOW_BRIDGE_BATCH_SIZE: '11',
      }),
    ).toThrow(
      /EBBFLOW_IMAGE_MAX_ATTEMPTS: expected a whole number[\s\S]*EBBFLOW_BRIDGE_BATCH_SIZE: expected a whole number from 1 to 10/,
    );
  });

  it('prices the scaler’s tasks only at sizes and price lists Fargate has', () => {
    const scaler = (env: Record<string, string>) => loadConfig({ EBBFLOW_STATE_DIR: emptyStateDir(), ...env }).scaler;
    expect(scaler({ EBBFLOW_SCALER_TASK_VCPU: '2', EBBFLOW_SCALER_PRICING: 'spot' })).toMatchObject({
      taskVcpu: 2,
      pricing: 'spot',
    });
    expect(() =>
      scaler({
        EBBFLOW_SCALER_TASK_VCPU: '0.1',
        EBBFLOW_SCALER_TASK_MEMORY_GB: 'lots',
        EBBFLOW_SCALER_PRICING: 'free',
      }),
    ).toThrow(
      /EBBFLOW_SCALER_TASK_VCPU: expected a number ≥ 0.25[\s\S]*EBBFLOW_SCALER_TASK_MEMORY_GB: expected a number[\s\S]*EBBFLOW_SCALER_PRICING: expected one of on-demand, arm, spot, got "free"/,
    );
  });

  it('refuses durations the workflow, SQS or a sane poll would refuse, at start and naming the variable', () => {
    const load = (env: Record<string, string>) => loadConfig({ EBBFLOW_STATE_DIR: emptyStateDir(), ...env });
    expect(() =>
      load({
        EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: '90m',
        EBBFLOW_IMAGE_RETRY_INITIAL_INTERVAL: '0',
        EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '60',
        EBBFLOW_SCALER_POLL_INTERVAL: '0s',
      }),
    ).toThrow(
      /EBBFLOW_IMAGE_RETRY_INITIAL_INTERVAL: expected a duration from 1ms to 1h, got "0"[\s\S]*EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: expected a duration from 1s to 1h, got "90m"[\s\S]*EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: expected a duration from 1s to 12h, got "60"[\s\S]*EBBFLOW_SCALER_POLL_INTERVAL: expected a duration from 1s to 1h, got "0s"/,
    );
    expect(() => load({ EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '13h' })).toThrow(/from 1s to 12h, got "13h"/);
    const ok = load({ EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: '1h', EBBFLOW_BRIDGE_VISIBILITY_TIMEOUT: '12h' });
    expect(ok.image.activityTimeout).toBe(3_600_000);
    expect(ok.bridge.visibilityTimeout).toBe(43_200_000);
  });

  it('rejects contradictory settings', () => {
    const dir = emptyStateDir();
    expect(() =>
      loadConfig({ EBBFLOW_STATE_DIR: dir, EBBFLOW_SCALER_MIN_TASKS: '5', EBBFLOW_SCALER_MAX_TASKS: '2' }),
    ).toThrow(/EBBFLOW_SCALER_MIN_TASKS \(5\) is above EBBFLOW_SCALER_MAX_TASKS \(2\)/);
    expect(() => loadConfig({ EBBFLOW_STATE_DIR: dir, TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(
      /certificate and its key must be set together/,
    );
    expect(() => loadConfig({ EBBFLOW_STATE_DIR: dir, TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' })).toThrow(
      /TEMPORAL_TLS is false but a client certificate, a CA certificate or a server name is set/,
    );
    expect(() =>
      loadConfig({ EBBFLOW_STATE_DIR: dir, EBBFLOW_INPUT_BUCKET: 'photos', EBBFLOW_OUTPUT_BUCKET: 'photos' }),
    ).toThrow(/EBBFLOW_INPUT_BUCKET and EBBFLOW_OUTPUT_BUCKET are both "photos"/);
  });

  it('ignores a dev.json whose ebbflow dev is no longer running, and says so once', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const dir = emptyStateDir();
    const file = path.join(dir, 'dev.json');
    writeFileSync(file, JSON.stringify({ temporalAddress: '127.0.0.1:17233', pid: child.pid }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(loadConfig({ EBBFLOW_STATE_DIR: dir }).temporal.address).toBe('localhost:7233');
      expect(loadConfig({ EBBFLOW_STATE_DIR: dir }).temporal.address).toBe('localhost:7233');
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(String(stderr.mock.calls[0]?.[0])).toContain(
        `ignoring ${file}: the ebbflow dev that wrote it (pid ${child.pid})`,
      );
    } finally {
      stderr.mockRestore();
    }
    writeFileSync(file, JSON.stringify({ temporalAddress: '127.0.0.1:17233', pid: process.pid }));
    expect(loadConfig({ EBBFLOW_STATE_DIR: dir }).temporal.address).toBe('127.0.0.1:17233');
  });

  it('reports a corrupt dev.json instead of ignoring it', () => {
    const dir = emptyStateDir();
    writeFileSync(path.join(dir, 'dev.json'), '{not json');
    expect(() => loadConfig({ EBBFLOW_STATE_DIR: dir })).toThrow(/dev.json is not valid JSON/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250', 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
  ])('%s → %d ms', (raw, ms) => expect(parseDuration(raw)).toBe(ms));

  it('rejects words', () => expect(() => parseDuration('soon')).toThrow(/expected a duration/));
});

describe('required', () => {
  it('names the variable and how to get a value', () => {
    expect(() => required(undefined, 'EBBFLOW_DLQ_URL')).toThrow(/EBBFLOW_DLQ_URL is not set .*ebbflow dev/);
    expect(required('x', 'ANY')).toBe('x');
  });
});

describe('settingsMarkdown', () => {
  it('has one row per setting, each with a description', () => {
    const rows = settingsMarkdown().split('\n').slice(2);
    const count = Object.values(SETTINGS).reduce((n, group) => n + Object.keys(group).length, 0);
    expect(rows).toHaveLength(count);
    for (const row of rows) expect(row).toMatch(/^\| `[A-Z0-9_]+` \| .+ \| .{10,} \|$/);
  });
});

describe('redactConfig', () => {
  it('hides the API key, the private key and the database password, and nothing else', () => {
    const config = loadConfig(
      {
        EBBFLOW_STATE_DIR: '/nonexistent',
        TEMPORAL_API_KEY: 'secret-key',
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT',
        TEMPORAL_TLS_CLIENT_KEY_DATA: 'PRIVATE',
        EBBFLOW_DATABASE_URL: 'postgres://report:s3cr%40t@db.internal:5432/sales?sslmode=require',
      },
      { useDevState: false },
    );
    const shown = JSON.stringify(redactConfig(config));
    for (const secret of ['secret-key', 'PRIVATE', 's3cr']) expect(shown).not.toContain(secret);
    const redacted = redactConfig(config);
    expect(redacted.temporal).toMatchObject({ apiKey: '***', tlsKeyData: '***', tlsCertData: 'CERT' });
    expect(redacted.database.url).toBe('postgres://report:***@db.internal:5432/sales?sslmode=require');
    expect(config.database.url).toContain('s3cr%40t');
  });

  it('leaves a URL without a password, and a SQLite file, as they are', () => {
    expect(redactUrl('postgres://db.internal/sales')).toBe('postgres://db.internal/sales');
    expect(redactUrl('sqlite:/var/lib/ebbflow/ebbflow.db')).toBe('sqlite:/var/lib/ebbflow/ebbflow.db');
  });
});
