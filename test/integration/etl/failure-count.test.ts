/**
 * `ebbflow etl run --tolerated-failure-count N` through the CLI against the dev server: a run with N failing sources
 * succeeds, one with N + 1 fails, and both the live ledger and `etl status` say which limit the run is held to.
 */
import { runCli } from '../../support/cli';
import { createEtlHarness, writeTwoRowSources, type EtlHarness } from './support';

const SOURCES = 6;
const TOLERATED = 2;

describe('etl run --tolerated-failure-count', () => {
  let h: EtlHarness;
  /** Sources whose load fails on every attempt; chosen by each test before its run starts. */
  let failing = new Set<string>();
  let sourcesKey: string;
  let names: string[];

  beforeAll(async () => {
    h = await createEtlHarness('etl-count');
    ({ key: sourcesKey, names } = await writeTwoRowSources(h.pipeline, 'count', SOURCES));
    await h.startWorker((input) => {
      if (failing.has(input.name)) throw new Error(`export of ${input.name} is unreadable (injected)`);
    });
  });
  afterAll(async () => h?.close());

  /** Runs the CLI to the end of the run (it follows the ledger until the run closes). */
  const run = (id: string) =>
    runCli(
      h.pipeline.env,
      'etl',
      'run',
      '--config',
      sourcesKey,
      '--date',
      '2025-03-18',
      '--max-attempts',
      '1',
      '--tolerated-failure-count',
      String(TOLERATED),
      '--id',
      id,
    );

  it(`succeeds with ${TOLERATED} failed sources when ${TOLERATED} are tolerated`, async () => {
    failing = new Set(names.slice(0, TOLERATED));
    const id = `etl-count-within-${Date.now()}`;
    const result = await run(id);
    expect(result.stderr).not.toMatch(/invalid/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✔ succeeded');
    expect(result.stdout).toContain(
      `${SOURCES}/${SOURCES} done: ${SOURCES - TOLERATED} succeeded, ${TOLERATED} failed`,
    );
    // Given only a count, the run is not also held to the default 0 %.
    expect(result.stdout).toContain(`the run fails when more than ${TOLERATED} sources fail`);

    const status = await runCli(h.pipeline.env, 'etl', 'status', id, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      settings: { toleratedFailureCount: TOLERATED, toleratedFailurePercent: 100 },
      outcome: { status: 'succeeded' },
    });
  }, 120_000);

  it(`fails with ${TOLERATED + 1} failed sources when ${TOLERATED} are tolerated`, async () => {
    failing = new Set(names.slice(0, TOLERATED + 1));
    const id = `etl-count-over-${Date.now()}`;
    const result = await run(id);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ failed');
    expect(result.stdout).toContain(`${TOLERATED + 1} failed`);

    const status = await runCli(h.pipeline.env, 'etl', 'status', id, '--once');
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`the run fails when more than ${TOLERATED} sources fail`);
    expect(status.stdout).toContain('✘ failed');
  }, 120_000);
});
