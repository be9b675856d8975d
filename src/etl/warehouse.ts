/**
 * The warehouse: one table per source `table`, in the same database as the rest of ebbflow (SQLite by default,
 * PostgreSQL in production). Rows are keyed by (`_source`, `etl_date`, the source's key columns) and upserted, so a
 * rerun for the same date leaves the same rows. Each batch is written in one transaction with the source's checkpoint
 * and a line in `etl_loads`, so a resumed attempt starts exactly after the last batch that was committed.
 */
import type SQLite from 'better-sqlite3';
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { sleep } from '../async';
import type { EtlCheckpoint, EtlColumnType } from '../common/etl-types';
import type { Database } from '../db/connection';
import type { Row } from './records';
import type { ColumnSpec } from './sources';

/* eslint-disable @typescript-eslint/no-explicit-any -- table names come from the sources file, validated there. */
type AnyDb = Kysely<any>;

interface LoadBatch {
  /** Identifies one source in one run (the source workflow id): the checkpoint's key. */
  scope: string;
  source: string;
  date: string;
  table: string;
  key: readonly string[];
  rows: readonly Row[];
  attempt: number;
  /** Checkpoint after this batch. */
  checkpoint: EtlCheckpoint;
  /** First data row of this batch in its file. */
  fromRow: number;
  rejectReasons: Record<string, number>;
}

interface StoredCheckpoint extends EtlCheckpoint {
  rejectReasons: Record<string, number>;
}

interface LoadAudit {
  scope: string;
  source: string;
  file: string;
  fromRow: number;
  toRow: number;
  attempt: number;
}

type SqlType = 'bigint' | 'integer' | 'double precision' | 'text';

/** Longest pause between two tries for SQLite's write lock, in ms. */
const LOCK_RETRY_MAX_MS = 8;

/**
 * Runs `write`, a transaction that begins IMMEDIATE (taking the write lock at BEGIN, where a deferred one could fail
 * on upgrading its lock), once SQLite's write lock is free. While another worker process holds the lock it waits
 * without blocking this process: better-sqlite3's own busy wait sleeps on the event loop's thread, and with it every
 * other source the worker is parsing. Gives up with SQLITE_BUSY after the connection's busy timeout, as SQLite would.
 * Call it inside `db.connection().execute(…)`: no other query runs on the connection while its timeout is 0.
 */
async function whenWriteLockFree(sqlite: SQLite.Database, write: () => void): Promise<void> {
  const timeoutMs = Number(sqlite.pragma('busy_timeout', { simple: true }));
  const deadline = Date.now() + timeoutMs;
  sqlite.pragma('busy_timeout = 0');
  try {
    for (let pause = 1; ; pause = Math.min(pause * 2, LOCK_RETRY_MAX_MS)) {
      try {
        write();
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      }
      await sleep(pause);
    }
  } finally {
    sqlite.pragma(`busy_timeout = ${timeoutMs}`);
  }
}

/**
 * The rows of a batch with each key once, holding the values of its last row: PostgreSQL refuses an upsert statement
 * that touches one row twice (SQLite's per-row upserts leave the last one by themselves).
 */
function lastRowPerKey(rows: readonly Row[], key: readonly string[]): readonly Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(JSON.stringify(key.map((c) => row[c])), row);
  return byKey.size === rows.length ? rows : [...byKey.values()];
}

export class Warehouse {
  private readonly ensured = new Map<string, Promise<void>>();
  /** Column types of the tables ensured by this process, by table and column. */
  private readonly types = new Map<string, Map<string, SqlType>>();
  private readonly prepared = new Map<string, SQLite.Statement>();
  private bookkeeping?: Promise<void>;

  constructor(private readonly database: Database<any>) {}

  private get db(): AnyDb {
    return this.database.db;
  }

  private sqlType(type: EtlColumnType): SqlType {
    if (type === 'integer' || type === 'boolean') return this.database.kind === 'postgres' ? 'bigint' : 'integer';
    if (type === 'number') return 'double precision';
    return 'text';
  }

  /** Creates the checkpoint and audit tables once per process. */
  ensureBookkeeping(): Promise<void> {
    this.bookkeeping ??= (async () => {
      await this.db.schema
        .createTable('etl_checkpoints')
        .ifNotExists()
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('file_index', 'integer', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('row_offset', 'integer', (c) => c.notNull())
        .addColumn('rows_read', 'integer', (c) => c.notNull())
        .addColumn('rows_written', 'integer', (c) => c.notNull())
        .addColumn('rows_rejected', 'integer', (c) => c.notNull())
        .addColumn('reject_reasons', 'text', (c) => c.notNull())
        .execute();
      await this.db.schema
        .createTable('etl_loads')
        .ifNotExists()
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('etl_date', 'text', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('from_row', 'integer', (c) => c.notNull())
        .addColumn('to_row', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .execute();
      await this.db.schema.createIndex('etl_loads_scope').ifNotExists().on('etl_loads').column('scope').execute();
    })().catch((err: unknown) => {
      this.bookkeeping = undefined;
      throw err;
    });
    return this.bookkeeping;
  }

  /** Creates the table of a source (or adds columns its schema gained), once per process. */
  ensureTable(table: string, columns: readonly ColumnSpec[], key: readonly string[]): Promise<void> {
    const signature = `${table}|${columns.map((c) => `${c.name}:${c.type}`).join(',')}|${key.join(',')}`;
    let pending = this.ensured.get(signature);
    if (!pending) {
      const types = this.types.get(table) ?? new Map<string, SqlType>();
      for (const column of columns) types.set(column.name, this.sqlType(column.type));
      this.types.set(table, types);
      pending = this.createOrExtend(table, columns, key).catch((err: unknown) => {
        this.ensured.delete(signature);
        throw err;
      });
      this.ensured.set(signature, pending);
    }
    return pending;
  }

  private async createOrExtend(table: string, columns: readonly ColumnSpec[], key: readonly string[]): Promise<void> {
    let create = this.db.schema
      .createTable(table)
      .ifNotExists()
      .addColumn('_source', 'text', (c) => c.notNull())
      .addColumn('etl_date', 'text', (c) => c.notNull());
    for (const column of columns) {
      const isKey = key.includes(column.name);
      create = create.addColumn(column.name, this.sqlType(column.type), (c) => (isKey ? c.notNull() : c));
    }
    create = create.addPrimaryKeyConstraint(`${table}_pk`, ['_source', 'etl_date', ...key] as any);
    try {
      await create.execute();
    } catch (err) {
      // Two sources of the same table may race to create it (PostgreSQL reports the loser as a duplicate).
      if (!/already exists|duplicate key/i.test((err as Error).message)) throw err;
    }
    const existing = (await this.db.introspection.getTables()).find((t) => t.name === table);
    const have = new Set(existing?.columns.map((c) => c.name) ?? []);
    for (const column of columns) {
      if (have.has(column.name)) continue;
      try {
        await this.db.schema.alterTable(table).addColumn(column.name, this.sqlType(column.type)).execute();
      } catch (err) {
        if (!/duplicate column|already exists/i.test((err as Error).message)) throw err;
      }
    }
  }

  async readCheckpoint(scope: string): Promise<StoredCheckpoint | undefined> {
    await this.ensureBookkeeping();
    const row = await this.db.selectFrom('etl_checkpoints').selectAll().where('scope', '=', scope).executeTakeFirst();
    if (!row) return undefined;
    return {
      fileIndex: Number(row.file_index),
      file: String(row.file),
      offset: Number(row.row_offset),
      rowsRead: Number(row.rows_read),
      rowsWritten: Number(row.rows_written),
      rowsRejected: Number(row.rows_rejected),
      rejectReasons: JSON.parse(String(row.reject_reasons)) as Record<string, number>,
    };
  }

  /**
   * Upserts a batch and records the checkpoint after it, atomically. The rows go in as few statements as each
   * database parses cheaply: on SQLite one prepared single-row upsert run per row inside one synchronous transaction
   * (compiling a thousand-row statement per batch cost as much as running it); on PostgreSQL one statement whose
   * rows come from one array per column (`unnest`), instead of thousands of bound values to parse and plan. A key
   * the batch holds more than once ends with its last row's values on both.
   */
  async loadBatch(batch: LoadBatch): Promise<void> {
    await this.ensureBookkeeping();
    const sqlite = this.database.sqlite;
    if (sqlite) {
      const columns = batch.rows.length > 0 ? Object.keys(batch.rows[0]!) : [];
      const upsert = columns.length > 0 ? this.sqliteUpsert(sqlite, batch.table, columns, batch.key) : undefined;
      await this.db.connection().execute(async () => {
        const write = sqlite.transaction(() => {
          for (const row of batch.rows) {
            const params: unknown[] = [batch.source, batch.date];
            for (const c of columns) params.push(row[c]);
            upsert!.run(params);
          }
          for (const query of this.bookkeepingQueries(this.db, batch)) {
            const compiled = query.compile();
            sqlite.prepare(compiled.sql).run(compiled.parameters as unknown[]);
          }
        });
        await whenWriteLockFree(sqlite, () => write.immediate());
      });
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      if (batch.rows.length > 0)
        await this.upsertFromArrays(tx, { ...batch, rows: lastRowPerKey(batch.rows, batch.key) });
      for (const query of this.bookkeepingQueries(tx, batch)) await query.execute();
    });
  }

  /** The checkpoint after a batch, and the audit line of the rows it wrote (none for an empty batch). */
  private bookkeepingQueries(db: AnyDb, batch: LoadBatch): { compile(): CompiledQuery; execute(): Promise<unknown> }[] {
    const { checkpoint: cp } = batch;
    const state = {
      file_index: cp.fileIndex,
      file: cp.file,
      row_offset: cp.offset,
      rows_read: cp.rowsRead,
      rows_written: cp.rowsWritten,
      rows_rejected: cp.rowsRejected,
      reject_reasons: JSON.stringify(batch.rejectReasons),
    };
    const checkpoint = db
      .insertInto('etl_checkpoints')
      .values({ scope: batch.scope, ...state })
      .onConflict((oc) => oc.column('scope').doUpdateSet(state));
    if (batch.fromRow === cp.offset && batch.rows.length === 0) return [checkpoint];
    const audit = db.insertInto('etl_loads').values({
      scope: batch.scope,
      source: batch.source,
      etl_date: batch.date,
      file: cp.file,
      from_row: batch.fromRow,
      to_row: cp.offset,
      attempt: batch.attempt,
    });
    return [checkpoint, audit];
  }

  /** An upsert of rows with these columns into `table`: a new row wins over the stored one with the same key. */
  private upsertSql(table: string, columns: readonly string[], key: readonly string[], values: RawBuilder<unknown>) {
    const updates = columns.filter((c) => !key.includes(c));
    const target = sql.join(['_source', 'etl_date', ...key].map((c) => sql.id(c)));
    const onConflict =
      updates.length === 0
        ? sql`DO NOTHING`
        : sql`DO UPDATE SET ${sql.join(updates.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`))}`;
    const names = sql.join(['_source', 'etl_date', ...columns].map((c) => sql.id(c)));
    return sql`INSERT INTO ${sql.table(table)} (${names}) ${values} ON CONFLICT (${target}) ${onConflict}`;
  }

  /** The prepared single-row upsert into `table` of rows with these columns, made once per process. */
  private sqliteUpsert(
    sqlite: SQLite.Database,
    table: string,
    columns: readonly string[],
    key: readonly string[],
  ): SQLite.Statement {
    const signature = `${table}|${columns.join(',')}|${key.join(',')}`;
    let statement = this.prepared.get(signature);
    if (!statement) {
      const placeholders = sql.join(['_source', 'etl_date', ...columns].map(() => sql`?`));
      statement = sqlite.prepare(
        this.upsertSql(table, columns, key, sql`VALUES (${placeholders})`).compile(this.db).sql,
      );
      this.prepared.set(signature, statement);
    }
    return statement;
  }

  /** One upsert statement for the whole batch, its rows passed as one typed array per column. */
  private async upsertFromArrays(db: AnyDb, batch: LoadBatch): Promise<void> {
    const columns = Object.keys(batch.rows[0]!);
    const types = this.types.get(batch.table);
    const arrays = columns.map((c) => {
      const type = types?.get(c);
      if (!type) throw new Error(`table ${batch.table}: column ${c} was not created by ensureTable in this process`);
      return sql`${batch.rows.map((r) => r[c])}::${sql.raw(type)}[]`;
    });
    const values = sql`SELECT ${batch.source}::text, ${batch.date}::text, * FROM unnest(${sql.join(arrays)})`;
    await this.upsertSql(batch.table, columns, batch.key, values).execute(db);
  }

  /** Rows of one source and date in a table. */
  async countRows(table: string, source: string, date: string): Promise<number> {
    const row = await this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('_source', '=', source)
      .where('etl_date', '=', date)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every row of a table in key order: what tests compare between runs. */
  async snapshot(table: string): Promise<Record<string, unknown>[]> {
    const rows = await this.db.selectFrom(table).selectAll().execute();
    const text = (r: Record<string, unknown>): string => JSON.stringify(r);
    return rows.map((r) => r as Record<string, unknown>).sort((a, b) => (text(a) < text(b) ? -1 : 1));
  }

  /** The batches written under scopes starting with `prefix` (one source in one run, or a whole run), in order. */
  async loads(prefix: string): Promise<LoadAudit[]> {
    await this.ensureBookkeeping();
    const rows = await this.db
      .selectFrom('etl_loads')
      .selectAll()
      .where('scope', 'like', `${prefix}%`)
      .orderBy('scope')
      .orderBy('file')
      .orderBy('from_row')
      .execute();
    return rows.map((r) => ({
      scope: String(r.scope),
      source: String(r.source),
      file: String(r.file),
      fromRow: Number(r.from_row),
      toRow: Number(r.to_row),
      attempt: Number(r.attempt),
    }));
  }

  /** Sources that had batches written in runs whose scope starts with `prefix` (a fan-out workflow id). */
  async sourcesLoadedBy(prefix: string): Promise<string[]> {
    await this.ensureBookkeeping();
    const rows = await this.db
      .selectFrom('etl_loads')
      .select('source')
      .distinct()
      .where('scope', 'like', `${prefix}%`)
      .execute();
    return rows.map((r) => String(r.source)).sort();
  }
}
