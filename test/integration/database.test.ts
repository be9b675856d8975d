import { sql } from 'kysely';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, parseDatabaseUrl } from '../../src/db/connection';
import { startScratchPostgres, type ScratchPostgres } from '../../src/db/scratch-postgres';

describe('the query layer', () => {
  let pg: ScratchPostgres;
  beforeAll(async () => {
    pg = await startScratchPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('rejects a URL it does not understand, naming the variable', () => {
    expect(() => parseDatabaseUrl('mysql://x')).toThrow(/EBBFLOW_DATABASE_URL/);
  });

  it.each([
    ['sqlite', () => `sqlite:${path.join(os.tmpdir(), `ebbflow-db-${process.pid}-${Date.now()}.db`)}`],
    ['postgres', () => pg.url],
  ])('runs the same query on %s', async (kind, url) => {
    const database = openDatabase<{ t: { n: number } }>(url());
    try {
      expect(database.kind).toBe(kind);
      await database.db.schema.createTable('t').ifNotExists().addColumn('n', 'integer').execute();
      await database.db
        .insertInto('t')
        .values([{ n: 2 }, { n: 3 }])
        .execute();
      const row = await database.db
        .selectFrom('t')
        .select(sql<number>`sum(n)`.as('total'))
        .executeTakeFirstOrThrow();
      expect(Number(row.total)).toBe(5);
    } finally {
      await database.db.schema.dropTable('t').ifExists().execute();
      await database.close();
    }
  });
});
