/**
 * One query layer for both databases: SQLite (better-sqlite3) as the embedded default and PostgreSQL in production,
 * chosen by EBBFLOW_DATABASE_URL alone (`sqlite:<file>` or `postgres://…`). Callers write Kysely queries once.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { redactUrl } from '../config';
import { ConfigError } from '../errors';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseTarget {
  kind: DatabaseKind;
  /** The SQLite file, or the PostgreSQL connection string. */
  location: string;
}

/**
 * Parses EBBFLOW_DATABASE_URL. A URL it does not understand is named in the error with its password hidden: the
 * message travels into workflow histories and notifications.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', location: url };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new ConfigError('EBBFLOW_DATABASE_URL: sqlite: needs a file, e.g. sqlite:.ebbflow/ebbflow.db');
    return { kind: 'sqlite', location: file };
  }
  throw new ConfigError(`EBBFLOW_DATABASE_URL: expected postgres://… or sqlite:<file>, got "${redactUrl(url)}"`);
}

export interface Database<DB> {
  db: Kysely<DB>;
  kind: DatabaseKind;
  close(): Promise<void>;
}

export function openDatabase<DB>(url: string, options: { poolSize?: number } = {}): Database<DB> {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'sqlite') {
    if (target.location !== ':memory:') mkdirSync(path.dirname(path.resolve(target.location)), { recursive: true });
    const sqlite = new SQLite(target.location);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, kind: 'sqlite', close: () => db.destroy() };
  }
  const pool = new Pool({
    connectionString: target.location,
    max: options.poolSize ?? 5,
    connectionTimeoutMillis: 5000,
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}
