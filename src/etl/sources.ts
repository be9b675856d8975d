/**
 * The sources file: the counterpart of the article's `etl-sources` ConfigMap, in YAML or JSON. Validated once, with
 * every problem reported by the path of the bad field (`sources[3].schema.amount: …`).
 *
 * ```yaml
 * bucket: ebbflow-input          # optional: default bucket for locations without s3://
 * sources:
 *   - name: crm-contacts
 *     location: etl/crm-contacts/dt={date}/
 *     format: csv                # csv | jsonl
 *     compression: auto          # auto (by .gz suffix) | gzip | none
 *     table: contacts
 *     key: [contact_id]
 *     schema: { contact_id: integer, email: string, signed_up: date, note: string? }
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EtlColumnType, EtlSourceDefinition } from '../common/etl-types';
import { EtlSourcesConfigError } from './errors';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const COLUMN_TYPES: EtlColumnType[] = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp'];
/** Columns every warehouse table has; a schema may not declare them. */
const RESERVED_COLUMNS = ['_source', 'etl_date'];
/**
 * Tables a source may not load into: the warehouse's own bookkeeping, and the sales report's tables and migrations,
 * which share the database.
 */
const RESERVED_TABLES = [
  'etl_checkpoints',
  'etl_loads',
  'sales_products',
  'sales_orders',
  'sales_order_items',
  'sales_migrations',
  'sales_migrations_lock',
];

const identifier = (what: string) =>
  z
    .string()
    .regex(IDENTIFIER, `${what} must be lower-case letters, digits and _ (starting with a letter or _), at most 63`);

const columnType = z.string().refine((t) => COLUMN_TYPES.includes(t.replace(/\?$/, '') as EtlColumnType), {
  message: `expected one of ${COLUMN_TYPES.join(', ')} (with ? for optional)`,
});

const sourceSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ., _ and - only (at most 100)'),
    location: z.string().min(1, 'a prefix or s3://bucket/prefix/'),
    format: z.enum(['csv', 'jsonl']),
    compression: z.enum(['auto', 'gzip', 'none']).optional(),
    table: identifier('table'),
    key: z.array(identifier('key column')).min(1, 'at least one key column'),
    schema: z.record(identifier('column'), columnType).refine((s) => Object.keys(s).length > 0, 'at least one column'),
  })
  .strict()
  .superRefine((source, ctx) => {
    for (const [i, k] of source.key.entries()) {
      const type = source.schema[k];
      if (type === undefined) ctx.addIssue({ code: 'custom', path: ['key', i], message: `"${k}" is not in schema` });
      else if (type.endsWith('?')) {
        ctx.addIssue({ code: 'custom', path: ['key', i], message: `"${k}" is optional; key columns are required` });
      }
    }
    if (RESERVED_TABLES.includes(source.table)) {
      ctx.addIssue({ code: 'custom', path: ['table'], message: `"${source.table}" is reserved` });
    }
    for (const column of Object.keys(source.schema)) {
      if (RESERVED_COLUMNS.includes(column)) {
        ctx.addIssue({ code: 'custom', path: ['schema', column], message: `"${column}" is reserved` });
      }
    }
  });

const fileSchema = z
  .object({
    bucket: z.string().min(3).optional(),
    sources: z.array(sourceSchema).min(1, 'at least one source'),
  })
  .strict();

/** Repeated names, checked apart from zod so they are reported even when other fields are wrong too. */
function repeatedNames(document: unknown): { path: PropertyKey[]; message: string }[] {
  const sources = (document as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return [];
  const seen = new Map<string, number>();
  const issues: { path: PropertyKey[]; message: string }[] = [];
  for (const [i, s] of sources.entries()) {
    const name = (s as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') continue;
    const first = seen.get(name);
    if (first !== undefined)
      issues.push({ path: ['sources', i, 'name'], message: `"${name}" repeats sources[${first}]` });
    else seen.set(name, i);
  }
  return issues;
}

/**
 * Sources that load the same table must agree on it: the table's primary key is the first one's key (a source keyed
 * otherwise could not upsert into it), and a column has one type.
 */
function sharedTableConflicts(document: unknown): { path: PropertyKey[]; message: string }[] {
  const listed = (document as { sources?: unknown } | null)?.sources;
  // Each well-formed source at its index; the others are reported on their own.
  const sources = (Array.isArray(listed) ? listed : []).map((s) => sourceSchema.safeParse(s).data);
  const first = new Map<string, number>();
  const issues: { path: PropertyKey[]; message: string }[] = [];
  const baseType = (type: string) => type.replace(/\?$/, '');
  for (const [i, source] of sources.entries()) {
    if (!source) continue;
    const j = first.get(source.table);
    if (j === undefined) {
      first.set(source.table, i);
      continue;
    }
    const other = sources[j]!;
    if (source.key.join(',') !== other.key.join(',')) {
      issues.push({
        path: ['sources', i, 'key'],
        message: `table "${source.table}" is keyed by [${other.key.join(', ')}] in sources[${j}]: every source of a table needs the same key`,
      });
    }
    for (const [column, type] of Object.entries(source.schema)) {
      const theirs = other.schema[column];
      if (theirs !== undefined && baseType(theirs) !== baseType(type)) {
        issues.push({
          path: ['sources', i, 'schema', column],
          message: `"${column}" is ${baseType(theirs)} in sources[${j}], which loads the same table`,
        });
      }
    }
  }
  return issues;
}

export interface EtlSourcesFile {
  bucket?: string;
  sources: EtlSourceDefinition[];
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

function fail(where: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): never {
  const lines = issues.slice(0, 10).map((issue) => `${pathText(issue.path)}: ${issue.message}`);
  const more = issues.length > 10 ? `\n  … and ${issues.length - 10} more` : '';
  throw new EtlSourcesConfigError(`${where} is not a valid sources file:\n  ${lines.join('\n  ')}${more}`);
}

/** Validates an already parsed sources document (object with `sources`, or a bare list of sources). */
export function validateSources(document: unknown, where = 'sources'): EtlSourcesFile {
  const shaped = Array.isArray(document) ? { sources: document } : document;
  const parsed = fileSchema.safeParse(shaped);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues),
    ...sharedTableConflicts(shaped),
    ...repeatedNames(shaped),
  ];
  if (!parsed.success || issues.length > 0) fail(where, issues);
  return parsed.data as EtlSourcesFile;
}

/** Parses YAML (JSON is YAML too) and validates it. */
export function parseSourcesFile(text: string, where = 'sources file'): EtlSourcesFile {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new EtlSourcesConfigError(`${where} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  return validateSources(document, where);
}

/** Where a sources file named by a run lives: `s3://bucket/key`, or else a key in the input bucket. */
export function locateSourcesFile(ref: string, inputBucket: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
  return match ? { bucket: match[1]!, key: match[2]! } : { bucket: inputBucket, key: ref };
}

export interface ColumnSpec {
  name: string;
  type: EtlColumnType;
  required: boolean;
}

/** The schema as a list of columns, in declaration order. */
export function columnsOf(source: EtlSourceDefinition): ColumnSpec[] {
  return Object.entries(source.schema).map(([name, raw]) => ({
    name,
    type: raw.replace(/\?$/, '') as EtlColumnType,
    required: !raw.endsWith('?'),
  }));
}

/** Resolves a source's location for a date to a bucket and a prefix. */
export function resolveLocation(
  source: EtlSourceDefinition,
  date: string,
  defaultBucket: string,
): { bucket: string; prefix: string } {
  const location = source.location.replaceAll('{date}', date);
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (match) return { bucket: match[1]!, prefix: match[2] ?? '' };
  return { bucket: defaultBucket, prefix: location.replace(/^\/+/, '') };
}
