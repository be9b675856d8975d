/**
 * Every AWS resource, data source, argument and block of the Terraform under a directory, checked against the AWS
 * provider's schema (condensed by scripts/infra-tools.js from npm's @cdktf/provider-aws): unknown types and names,
 * missing required arguments, and pairs of arguments the provider refuses together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

interface Argument {
  required: boolean;
  block?: Record<string, Argument>;
}
type Schema = Record<string, Argument>;
export interface ProviderSchema {
  resources: Record<string, Schema>;
  dataSources: Record<string, Schema>;
}

const META = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection']);

/**
 * Arguments the provider declares ConflictsWith: setting both fails the plan even when one is false. One of them must
 * be written to be null when the other is set (`cond ? value : null`).
 */
const CONFLICTS: Record<string, [string, string][]> = {
  aws_sqs_queue: [['sqs_managed_sse_enabled', 'kms_master_key_id']],
  aws_sns_topic: [['kms_master_key_id', 'signature_version']],
};
const mayBeNull = (value: unknown): boolean => typeof value === 'string' && /:\s*null\s*\}$|\?\s*null\s*:/.test(value);

function checkBody(where: string, body: Record<string, unknown>, schema: Schema, problems: string[]): void {
  for (const [key, value] of Object.entries(body)) {
    if (META.has(key)) continue;
    if (key === 'dynamic') {
      for (const [name, [dynamic]] of Object.entries(value as Record<string, Record<string, unknown>[]>)) {
        const nested = schema[name]?.block;
        if (!nested) problems.push(`${where}: no block "${name}"`);
        else
          for (const content of (dynamic!.content as Record<string, unknown>[]) ?? []) {
            checkBody(`${where}.${name}`, content, nested, problems);
          }
      }
      continue;
    }
    const argument = schema[key];
    if (!argument) {
      problems.push(`${where}: no argument or block "${key}"`);
    } else if (argument.block && Array.isArray(value)) {
      for (const item of value) {
        if (item && typeof item === 'object' && !Array.isArray(item)) {
          checkBody(`${where}.${key}`, item as Record<string, unknown>, argument.block, problems);
        }
      }
    }
  }
  const dynamicNames = Object.keys((body.dynamic as object | undefined) ?? {});
  for (const [name, argument] of Object.entries(schema)) {
    if (argument.required && !(name in body) && !dynamicNames.includes(name)) {
      problems.push(`${where}: required "${name}" is missing`);
    }
  }
}

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === '.terraform') return [];
    const full = path.join(dir, e.name);
    return e.isDirectory() ? tfFiles(full) : e.name.endsWith('.tf') ? [full] : [];
  });
}

/** Problems of the Terraform under `dir` against `schema`, one line each. */
export async function schemaProblems(dir: string, schema: ProviderSchema): Promise<string[]> {
  const problems: string[] = [];
  for (const file of tfFiles(dir)) {
    const rel = path.relative(dir, file);
    const tf = (await parse(path.basename(file), readFileSync(file, 'utf8'))) as Record<
      string,
      Record<string, Record<string, Record<string, unknown>[]>>
    >;
    for (const [kind, types] of [
      ['resource', schema.resources],
      ['data', schema.dataSources],
    ] as const) {
      for (const [type, named] of Object.entries(tf[kind] ?? {})) {
        if (!type.startsWith('aws_')) continue;
        for (const [name, [body]] of Object.entries(named)) {
          const where = `${rel}: ${kind === 'data' ? 'data.' : ''}${type}.${name}`;
          const typeSchema = types[type];
          if (!typeSchema) {
            problems.push(`${where}: the provider has no ${kind === 'data' ? 'data source' : 'resource'} ${type}`);
            continue;
          }
          checkBody(where, body!, typeSchema, problems);
          for (const [a, b] of kind === 'resource' ? (CONFLICTS[type] ?? []) : []) {
            if (a in body! && b in body! && !mayBeNull(body![a]) && !mayBeNull(body![b])) {
              problems.push(`${where}: "${a}" conflicts with "${b}": make one null when the other is set`);
            }
          }
        }
      }
    }
  }
  return problems;
}
