import { readFileSync } from 'node:fs';
import path from 'node:path';
import { columnsOf, parseSourcesFile, resolveLocation } from '../../../src/etl/sources';

const example = readFileSync(path.resolve(__dirname, '../../../examples/etl/sources.yaml'), 'utf8');

describe('sources file', () => {
  it('accepts the example and reads optional columns', () => {
    const file = parseSourcesFile(example);
    expect(file.sources.length).toBeGreaterThan(1);
    const orders = file.sources[0]!;
    expect(columnsOf(orders).find((c) => !c.required)).toBeDefined();
  });

  it('names the bad field of every problem', () => {
    const bad = `
sources:
  - name: crm
    location: crm/
    format: parquet
    table: Contacts
    key: [id]
    schema: { id: integer, email: text }
  - name: crm
    location: crm2/
    format: csv
    table: contacts
    key: [missing]
    schema: { id: integer }
`;
    let message = '';
    try {
      parseSourcesFile(bad, 'sources.yaml');
    } catch (err) {
      expect((err as Error).name).toBe('EtlSourcesConfigError');
      message = (err as Error).message;
    }
    expect(message).toContain('sources.yaml is not a valid sources file');
    expect(message).toContain('sources[0].format:');
    expect(message).toContain('sources[0].table: table must be lower-case');
    expect(message).toContain('sources[0].schema.email: expected one of string, integer');
    expect(message).toContain('sources[1].key[0]: "missing" is not in schema');
    expect(message).toContain('sources[1].name: "crm" repeats sources[0]');
  });

  it('refuses a table another part of the database owns, and sources of one table that disagree on it', () => {
    const source = (name: string, table: string, key: string, schema: string) =>
      `  - { name: ${name}, location: ${name}/, format: csv, table: ${table}, key: [${key}], schema: ${schema} }\n`;
    const text =
      'sources:\n' +
      source('a', 'sales_orders', 'id', '{ id: integer }') +
      source('b', 'orders', 'id', '{ id: integer, amount: number }') +
      source('c', 'orders', 'order_id', '{ order_id: integer }') +
      source('d', 'orders', 'id', '{ id: integer, amount: string? }') +
      source('e', 'orders', 'id', '{ id: integer, amount: number?, note: string? }');
    let message = '';
    try {
      parseSourcesFile(text, 'sources.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').slice(1)).toEqual([
      '  sources[0].table: "sales_orders" is reserved',
      '  sources[2].key: table "orders" is keyed by [id] in sources[1]: every source of a table needs the same key',
      '  sources[3].schema.amount: "amount" is number in sources[1], which loads the same table',
    ]);
  });

  it('rejects unknown fields, optional keys and reserved columns', () => {
    const text = `
sources:
  - name: a
    location: a/
    format: csv
    table: t
    key: [id]
    schema: { id: integer?, etl_date: string }
    colour: blue
`;
    expect(() => parseSourcesFile(text)).toThrow(/sources\[0\]: Unrecognized key.*colour|colour/);
    const withoutExtra = text.replace('    colour: blue\n', '');
    expect(() => parseSourcesFile(withoutExtra)).toThrow(/key\[0\]: "id" is optional/);
    expect(() => parseSourcesFile(withoutExtra)).toThrow(/schema\.etl_date: "etl_date" is reserved/);
  });

  it('says when the text is not YAML at all', () => {
    expect(() => parseSourcesFile('sources: [unclosed', 'x.yaml')).toThrow(/x.yaml is not valid YAML or JSON/);
  });

  it('resolves locations with the run date and a default bucket', () => {
    const source = parseSourcesFile(example).sources[0]!;
    expect(resolveLocation({ ...source, location: 's3://data/crm/dt={date}/' }, '2025-01-02', 'in')).toEqual({
      bucket: 'data',
      prefix: 'crm/dt=2025-01-02/',
    });
    expect(resolveLocation({ ...source, location: 'crm/{date}/' }, '2025-01-02', 'in')).toEqual({
      bucket: 'in',
      prefix: 'crm/2025-01-02/',
    });
  });
});
