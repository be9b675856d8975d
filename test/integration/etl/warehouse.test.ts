import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../../../src/db/connection';
import { columnsOf } from '../../../src/etl/sources';
import { Warehouse } from '../../../src/etl/warehouse';
import { startScratchPostgres, type ScratchPostgres } from '../../../src/db/scratch-postgres';

const source = {
  name: 'shop-orders',
  location: 'x/',
  format: 'csv' as const,
  table: 'orders',
  key: ['order_id'],
  schema: { order_id: 'integer', amount: 'number', ordered_on: 'date', note: 'string?' },
};

describe('the warehouse', () => {
  let pg: ScratchPostgres;
  beforeAll(async () => {
    pg = await startScratchPostgres();
  });
  afterAll(async () => pg?.stop());

  it.each([
    ['sqlite', () => `sqlite:${path.join(os.tmpdir(), `ebbflow-wh-${process.pid}-${Date.now()}.db`)}`],
    ['postgres', () => pg.url],
  ])('upserts by source, date and key, and commits the checkpoint with each batch (%s)', async (_kind, url) => {
    const database = openDatabase<unknown>(url());
    const warehouse = new Warehouse(database);
    try {
      const columns = columnsOf(source);
      await Promise.all([1, 2, 3].map(() => warehouse.ensureTable('orders', columns, source.key)));
      const rows = [1, 2, 3].map((i) => ({ order_id: i, amount: i * 1.5, ordered_on: '2025-01-01', note: null }));
      const batch = (attempt: number, amountFactor: number) => ({
        scope: 'run-1/shop-orders@r',
        source: source.name,
        date: '2025-01-01',
        table: 'orders',
        key: source.key,
        rows: rows.map((r) => ({ ...r, amount: r.amount * amountFactor })),
        attempt,
        fromRow: 0,
        checkpoint: { fileIndex: 0, file: 'a.csv', offset: 3, rowsRead: 3, rowsWritten: 3, rowsRejected: 0 },
        rejectReasons: { 'amount: not a number': 1 },
      });
      await warehouse.loadBatch(batch(1, 1));
      await warehouse.loadBatch(batch(2, 2));
      expect(await warehouse.countRows('orders', source.name, '2025-01-01')).toBe(3);
      const snapshot = await warehouse.snapshot('orders');
      expect(snapshot.map((r) => Number(r.amount))).toEqual([3, 6, 9]);
      expect(await warehouse.readCheckpoint('run-1/shop-orders@r')).toEqual({
        fileIndex: 0,
        file: 'a.csv',
        offset: 3,
        rowsRead: 3,
        rowsWritten: 3,
        rowsRejected: 0,
        rejectReasons: { 'amount: not a number': 1 },
      });
      expect((await warehouse.loads('run-1/')).map((l) => l.attempt)).toEqual([1, 2]);
      // A schema that gains a column extends the table instead of failing.
      await warehouse.ensureTable(
        'orders',
        [...columns, { name: 'channel', type: 'string', required: false }],
        ['order_id'],
      );
      expect(Object.keys((await warehouse.snapshot('orders'))[0]!)).toContain('channel');
    } finally {
      await database.close();
    }
  });

  it.each([
    ['sqlite', () => `sqlite:${path.join(os.tmpdir(), `ebbflow-wh-dup-${process.pid}-${Date.now()}.db`)}`],
    ['postgres', () => pg.url],
  ])('keeps the last row of a key that a batch holds twice (%s)', async (_kind, url) => {
    const database = openDatabase<unknown>(url());
    const warehouse = new Warehouse(database);
    try {
      await warehouse.ensureTable('orders', columnsOf(source), source.key);
      const row = (id: number, amount: number) => ({ order_id: id, amount, ordered_on: '2025-01-03', note: null });
      await warehouse.loadBatch({
        scope: 'run-3/shop-orders@r',
        source: source.name,
        date: '2025-01-03',
        table: 'orders',
        key: source.key,
        rows: [row(1, 10), row(2, 20), row(1, 11)],
        attempt: 1,
        fromRow: 0,
        checkpoint: { fileIndex: 0, file: 'a.csv', offset: 3, rowsRead: 3, rowsWritten: 3, rowsRejected: 0 },
        rejectReasons: {},
      });
      const rows = (await warehouse.snapshot('orders')).filter((r) => r.etl_date === '2025-01-03');
      expect(rows.map((r) => [Number(r.order_id), Number(r.amount)]).sort()).toEqual([
        [1, 11],
        [2, 20],
      ]);
    } finally {
      await database.close();
    }
  });

  it('waits for another process holding the SQLite write lock without blocking its own event loop', async () => {
    const file = path.join(os.tmpdir(), `ebbflow-wh-lock-${process.pid}-${Date.now()}.db`);
    const database = openDatabase<unknown>(`sqlite:${file}`);
    const other = new SQLite(file);
    try {
      const warehouse = new Warehouse(database);
      await warehouse.ensureTable('orders', columnsOf(source), source.key);
      await warehouse.ensureBookkeeping();
      other.prepare('BEGIN IMMEDIATE').run();
      const loaded = warehouse.loadBatch({
        scope: 'run-2/shop-orders@r',
        source: source.name,
        date: '2025-01-02',
        table: 'orders',
        key: source.key,
        rows: [{ order_id: 1, amount: 2, ordered_on: '2025-01-02', note: null }],
        attempt: 1,
        fromRow: 0,
        checkpoint: { fileIndex: 0, file: 'a.csv', offset: 1, rowsRead: 1, rowsWritten: 1, rowsRejected: 0 },
        rejectReasons: {},
      });
      // Timers still fire while the batch waits: the wait does not hold the thread.
      let ticks = 0;
      const ticking = setInterval(() => ticks++, 5);
      await new Promise((resolve) => setTimeout(resolve, 100));
      clearInterval(ticking);
      expect(ticks).toBeGreaterThan(5);
      expect(other.prepare('SELECT count(*) AS n FROM etl_loads').get()).toEqual({ n: 0 });
      other.prepare('COMMIT').run();
      await loaded;
      expect(await warehouse.countRows('orders', source.name, '2025-01-02')).toBe(1);
      expect(database.sqlite!.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      other.close();
      await database.close();
    }
  });
});
