/**
 * Fan-out ETL throughput: rows loaded per second end to end (sources file → fan-out workflow → one child workflow per
 * source → extract, transform, upsert), against a single process that reads and loads the same files directly with
 * the same code and no orchestration, one source after another. Both read the same emulator and write a fresh
 * warehouse on the same cores, on SQLite and on PostgreSQL, in alternating rounds. The ratio is what bounded
 * parallelism buys net of what orchestration costs.
 */
import path from 'node:path';
import { createActivities } from '../activities';
import { sql } from 'kysely';
import { pipelineNames, provisionPipeline } from '../src/aws/provision';
import type { EtlFanOutResult } from '../src/common/etl-types';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/connection';
import { startScratchPostgres, type ScratchPostgres } from '../src/db/scratch-postgres';
import { generateSampleSources } from '../src/etl/generate';
import { runSourceEtl } from '../src/etl/pipeline';
import { startEtlRun } from '../src/etl/runs';
import { Warehouse } from '../src/etl/warehouse';
import { silentLogger } from '../src/logger';
import { connectClient } from '../src/temporal/connection';
import { createActivityDeps, createWorker } from '../src/worker/worker';
import { cpuSeconds } from './processes';
import { startBenchStack, type BenchStack } from './stack';
import { median } from './stats';
import type { BenchSection } from './types';

const SOURCES = 30;
const ROWS: [number, number] = [10_000, 30_000];
const PARALLELISM = 10;
const DATE = '2025-03-14';
const ROUNDS = 3;
/** Goals: the fan-out at least matches one process on SQLite, and beats it by half on PostgreSQL. */
const GOALS = { sqlite: 1.0, postgres: 1.5 } as const;

type Backend = keyof typeof GOALS;

interface Timing {
  seconds: number;
  /** CPU seconds of this process (the loader, or the worker) and of the Temporal dev server. */
  cpu: number;
  serverCpu: number;
}

interface Round {
  direct: Timing;
  fanOut: Timing;
}

/** A fresh, empty warehouse per measurement: a new SQLite file, or a new database on the scratch server. */
async function freshWarehouseUrl(backend: Backend, work: string, name: string, pg?: ScratchPostgres): Promise<string> {
  if (backend === 'sqlite') return `sqlite:${path.join(work, `${name}.db`)}`;
  const admin = openDatabase<unknown>(pg!.url);
  try {
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
  } finally {
    await admin.close();
  }
  return pg!.url.replace(/\/postgres$/, `/${name}`);
}

async function timed(stack: BenchStack, body: () => Promise<void>): Promise<Timing> {
  const server = cpuSeconds(stack.temporal.child.pid);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await body();
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
    serverCpu: cpuSeconds(stack.temporal.child.pid) - server,
  };
}

export async function run(): Promise<BenchSection> {
  const stack = await startBenchStack('etl');
  const { work, aws } = stack;
  const pg = await startScratchPostgres();
  try {
    const baseEnv = { ...stack.env, EBBFLOW_WORKER_MAX_ACTIVITIES: String(PARALLELISM) };
    const resources = await provisionPipeline(aws, pipelineNames('bench-etl'));
    const generated = await generateSampleSources({
      s3: aws.s3,
      bucket: resources.inputBucket,
      sources: SOURCES,
      date: DATE,
      rows: ROWS,
    });
    const totalRows = generated.sources.reduce((n, s) => n + s.rowsWritten, 0);

    const measure = async (backend: Backend, round: number): Promise<Round> => {
      const configFor = (url: string, queue: string) =>
        loadConfig(
          {
            ...baseEnv,
            EBBFLOW_TASK_QUEUE: queue,
            EBBFLOW_DATABASE_URL: url,
            EBBFLOW_INPUT_BUCKET: resources.inputBucket,
          },
          { useDevState: false },
        );
      // Baseline: one process, the same extract-transform-load code, one source after another.
      const directConfig = configFor(await freshWarehouseUrl(backend, work, `direct_${round}`, pg), 'unused');
      const baselineDb = openDatabase<unknown>(directConfig.database.url);
      const warehouse = new Warehouse(baselineDb);
      let directRows = 0;
      const direct = await timed(stack, async () => {
        for (const [index, source] of generated.definitions.entries()) {
          const loaded = await runSourceEtl({
            s3: aws.s3,
            warehouse,
            source,
            date: DATE,
            defaultBucket: resources.inputBucket,
            scope: `direct/${index}`,
            attempt: 1,
            batchRows: directConfig.etl.batchRows,
            limits: { maxLineBytes: directConfig.etl.maxLineBytes, maxFileBytes: directConfig.etl.maxFileBytes },
          });
          directRows += loaded.rowsWritten;
        }
      });
      await baselineDb.close();

      // Orchestrated: the fan-out workflow, a worker in this process, PARALLELISM sources in flight.
      const config = configFor(
        await freshWarehouseUrl(backend, work, `orchestrated_${round}`, pg),
        `bench-etl-${backend}-${round}`,
      );
      // The worker's activities get a database this benchmark closes, before the scratch server stops.
      const database = openDatabase<unknown>(config.database.url);
      const deps = { ...createActivityDeps(config, silentLogger), database: () => database };
      const worker = await createWorker({ config, logger: silentLogger, activities: createActivities(deps) });
      const running = worker.run();
      const client = await connectClient(config.temporal);
      let result: EtlFanOutResult | undefined;
      try {
        const fanOut = await timed(stack, async () => {
          const id = await startEtlRun(
            client,
            { sources: generated.configKey, date: DATE, parallelism: PARALLELISM },
            { taskQueue: config.temporal.taskQueue },
          );
          result = (await client.workflow.getHandle(id).result()) as EtlFanOutResult;
        });
        const loaded = result!.entries.reduce((n, e) => n + e.rowsWritten, 0);
        if (loaded !== totalRows || directRows !== totalRows) {
          throw new Error(`row counts differ: generated ${totalRows}, direct ${directRows}, orchestrated ${loaded}`);
        }
        return { direct, fanOut };
      } finally {
        worker.shutdown();
        await running;
        await client.connection.close();
        await database.close();
      }
    };

    const rounds: Record<Backend, Round[]> = { sqlite: [], postgres: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const backend of ['sqlite', 'postgres'] as const) rounds[backend].push(await measure(backend, round));
    }
    return report(rounds, totalRows);
  } finally {
    await pg.stop();
    await stack.stop();
  }
}

const LABELS: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** The round whose ratio is the median, for its seconds and CPU. */
function medianRound(all: Round[]): Round {
  const ratio = (r: Round): number => r.direct.seconds / r.fanOut.seconds;
  return all.slice().sort((a, b) => ratio(a) - ratio(b))[Math.floor(all.length / 2)]!;
}

function report(rounds: Record<Backend, Round[]>, totalRows: number): BenchSection {
  const ratio = (r: Round): number => r.direct.seconds / r.fanOut.seconds;
  const rowsPerSecond = (t: Timing): string => String(Math.round(totalRows / t.seconds));
  const cpuPerRow = (seconds: number): string => ((seconds / totalRows) * 1e6).toFixed(1);
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  for (const backend of ['sqlite', 'postgres'] as const) {
    const all = rounds[backend];
    const ratios = all.map(ratio);
    const mid = median(ratios);
    const r = medianRound(all);
    const label = LABELS[backend];
    lines.push(
      `| ${label} | single process, sources one after another (baseline) | ${r.direct.seconds.toFixed(1)} | ` +
        `${rowsPerSecond(r.direct)} | ${cpuPerRow(r.direct.cpu)} | ${cpuPerRow(r.direct.serverCpu)} | 1.00 |`,
      `| ${label} | fan-out workflow, ${PARALLELISM} sources in flight | ${r.fanOut.seconds.toFixed(1)} | ` +
        `${rowsPerSecond(r.fanOut)} | ${cpuPerRow(r.fanOut.cpu)} | ${cpuPerRow(r.fanOut.serverCpu)} | ` +
        `**${mid.toFixed(2)}** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
    );
    figures[`${backend} orchestrated / direct`] = Number(mid.toFixed(2));
    figures[`${backend} direct rows/s`] = Math.round(totalRows / r.direct.seconds);
  }
  const busy = (backend: Backend): string => {
    const r = medianRound(rounds[backend]);
    return ((r.fanOut.cpu / r.fanOut.seconds) * 100).toFixed(0);
  };
  const verdict = (backend: Backend): string =>
    `${LABELS[backend]} at least ${GOALS[backend].toFixed(1)}× — ` +
    `${figures[`${backend} orchestrated / direct`]! >= GOALS[backend] ? 'met' : '**not met**'} ` +
    `(${figures[`${backend} orchestrated / direct`]!.toFixed(2)}×)`;
  const markdown = [
    `${SOURCES} generated sources (CSV and JSON Lines, a third gzipped, ${ROWS[0]}–${ROWS[1]} rows each, ` +
      `${totalRows.toLocaleString('en-US')} valid rows in all) loaded into a fresh warehouse on the same machine: a ` +
      'SQLite file, or a database on a local PostgreSQL server (`fsync=off`, as the scratch server runs). ' +
      `${ROUNDS} rounds, each running both databases, baseline first; a ratio is the median of the rounds' ratios ` +
      "(range in brackets), seconds and CPU are the median round's.",
    '',
    '| database | run | seconds | rows/s | CPU of this process, µs per row | CPU of the Temporal server, µs per row | ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
    '',
    `Goals: ${verdict('sqlite')}; ${verdict('postgres')}.`,
    '',
    'Both sides run the same extract-transform-load code (src/etl/pipeline.ts) in one Node process: the fan-out ' +
      'runs its worker in the benchmark process. Parsing, checking and binding the rows all run on its one thread, ' +
      'one source at a time or ten, and on SQLite the writes too (SQLite admits one writer, and better-sqlite3 ' +
      'writes on the calling thread). Ten sources in flight overlap only their S3 reads, the Temporal round trips ' +
      'and, on PostgreSQL, the upserts, which run in the server on the other core.',
    '',
    `What limits the fan-out: on SQLite, that thread — the process used ${busy('sqlite')} % of a core over the fan-out's time, and ` +
      'orchestration adds to its work per row (a child workflow per source, a heartbeat and checkpoint per batch: ' +
      'the CPU columns above), so there the fan-out can at best match one process. On PostgreSQL the process used ' +
      `${busy('postgres')} % of a core while the database server, the Temporal server and the emulator had the ` +
      'other core and the rest of this one, shared here with other work on the machine: ten sources in flight give ' +
      'the upserts no more cores, so the fan-out stays near one process. How it does with the database on cores of ' +
      'its own, as a production PostgreSQL has, is not measured here.',
    '',
    'Batches are written as one prepared upsert per row inside one transaction on SQLite and as one `unnest` ' +
      "statement per batch on PostgreSQL, on both sides; that roughly doubled the single process's rate on SQLite " +
      '(compared across runs, not within one), and the fan-out gained less, since its orchestration cost per row ' +
      'did not shrink.',
  ].join('\n');
  return { title: 'Fan-out ETL: rows per second, end to end', markdown, figures };
}
