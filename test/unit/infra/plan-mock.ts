/**
 * Terraform cannot download the AWS provider here, so its plans are made on a copy of the modules where every AWS
 * resource and data source is Terraform's built-in `terraform_data`, written in Terraform's JSON syntax:
 *
 * - a resource keeps its count, for_each and depends_on; the arguments it sets are its `input` (known when they are),
 *   and every attribute it does not set (an ARN, an id) reads an `output` that is unknown until apply, without the
 *   "not null" refinement a real provider's unknown values lack too;
 * - a data source keeps its count and for_each, and its attributes are known values (data sources are read during
 *   the plan).
 *
 * A count or for_each that depends on a value known only after apply then fails the plan with "Invalid count
 * argument", exactly as with the real provider.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

type Json = unknown;
type Body = Record<string, Json>;

const META = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection']);
const isBlockList = (v: Json): boolean =>
  Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
const stripInterpolation = (v: string): string => v.replace(/^\$\{([\s\S]*)\}$/, '$1');

/** Mocked values of data source attributes read in plans (anything else is a string). */
const DATA_VALUES: Record<string, Json> = { names: ['zone-a', 'zone-b', 'zone-c'], json: '{}' };

interface ModuleInfo {
  /** aws resource "type.name" => the arguments it sets. */
  resources: Map<string, Set<string>>;
  /** aws data source "type.name" => the attributes read from it. */
  dataReads: Map<string, Set<string>>;
}

function rewrite(value: Json, info: ModuleInfo): Json {
  if (typeof value === 'string') {
    return value
      .replace(
        /(?<![\w.])data\.(aws_\w+)\.(\w+)(\[[^\]]*\])?(\.(\w+))?/g,
        (_m, type: string, name: string, index = '', _a, attr?: string) =>
          `terraform_data.data__${type}__${name}${index}${attr ? `.output.${attr}` : ''}`,
      )
      .replace(
        /(?<![\w."])(aws_\w+)\.(\w+)(\[[^\]]*\])?(\.(\w+))?/g,
        (match, type: string, name: string, index = '', _a, attr?: string) => {
          const set = info.resources.get(`${type}.${name}`);
          if (!set) return match;
          const address = `terraform_data.${type}__${name}${index}`;
          if (!attr) return address;
          return set.has(attr) ? `${address}.input.${attr}` : `${address}.output.computed`;
        },
      );
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, info));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, info)]));
  }
  return value;
}

function collectDataReads(text: string, into: Map<string, Set<string>>): void {
  for (const m of text.matchAll(/(?<![\w.])data\.(aws_\w+)\.(\w+)(?:\[[^\]]*\])?\.(\w+)/g)) {
    const key = `${m[1]}.${m[2]}`;
    into.set(key, (into.get(key) ?? new Set()).add(m[3]!));
  }
}

function metaOf(body: Body, info: ModuleInfo): Body {
  const out: Body = {};
  for (const key of ['count', 'for_each']) if (key in body) out[key] = rewrite(body[key], info);
  if (Array.isArray(body.depends_on)) {
    out.depends_on = (rewrite(body.depends_on, info) as string[]).map(stripInterpolation);
  }
  return out;
}

/** Rewrites the module in `dir` (a copy) in place: every .tf file becomes a .tf.json file of the mock. */
async function mockModule(dir: string): Promise<void> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf'));
  const parsed: { file: string; tf: Record<string, Json> }[] = [];
  const info: ModuleInfo = { resources: new Map(), dataReads: new Map() };
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    collectDataReads(text, info.dataReads);
    const tf = (await parse(file, text)) as Record<string, Json>;
    parsed.push({ file, tf });
    for (const [type, named] of Object.entries((tf.resource ?? {}) as Record<string, Record<string, Body[]>>)) {
      if (!type.startsWith('aws_')) continue;
      for (const [name, [body]] of Object.entries(named)) {
        const args = Object.keys(body ?? {}).filter((k) => !META.has(k) && k !== 'dynamic' && !isBlockList(body![k]));
        info.resources.set(`${type}.${name}`, new Set(args));
      }
    }
  }
  const mocks: Body = { plan_time_unknown: [{}] };
  for (const { file, tf } of parsed) {
    const out: Record<string, Json> = {};
    for (const [kind, content] of Object.entries(tf)) {
      if (kind === 'terraform' || kind === 'provider') continue;
      if (kind === 'resource') {
        const kept: Record<string, Json> = {};
        for (const [type, named] of Object.entries(content as Record<string, Record<string, Body[]>>)) {
          if (!type.startsWith('aws_')) {
            kept[type] = rewrite(named, info);
            continue;
          }
          for (const [name, [body]] of Object.entries(named)) {
            const args = info.resources.get(`${type}.${name}`)!;
            const input: Body = { computed: '${terraform_data.plan_time_unknown.id}' };
            for (const arg of args) input[arg] = rewrite(body![arg], info);
            mocks[`${type}__${name}`] = [{ ...metaOf(body!, info), input }];
          }
        }
        if (Object.keys(kept).length > 0) out.resource = kept;
      } else if (kind === 'data') {
        for (const [type, named] of Object.entries(content as Record<string, Record<string, Body[]>>)) {
          for (const [name, [body]] of Object.entries(named)) {
            const reads = info.dataReads.get(`${type}.${name}`) ?? new Set<string>();
            const input = Object.fromEntries([...reads].map((attr) => [attr, DATA_VALUES[attr] ?? 'mock']));
            mocks[`data__${type}__${name}`] = [{ ...metaOf(body!, info), input }];
          }
        }
      } else if (kind === 'variable') {
        const variables = content as Record<string, Body[]>;
        out.variable = Object.fromEntries(
          Object.entries(variables).map(([name, [body]]) => [
            name,
            {
              ...(rewrite(body, info) as Body),
              ...(typeof body!.type === 'string' ? { type: stripInterpolation(body!.type) } : {}),
            },
          ]),
        );
      } else if (kind === 'module') {
        const modules = content as Record<string, Body[]>;
        out.module = Object.fromEntries(
          Object.entries(modules).map(([name, [body]]) => [
            name,
            { ...(rewrite(body, info) as Body), ...metaOf(body!, info) },
          ]),
        );
      } else {
        out[kind] = rewrite(content, info);
      }
    }
    writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(out, null, 1));
    rmSync(path.join(dir, file));
  }
  writeFileSync(path.join(dir, 'plan-mock.tf.json'), JSON.stringify({ resource: { terraform_data: mocks } }, null, 1));
}

/** Turns every module under `dir` (a copy of infra/terraform) into its plan mock. */
export async function mockTree(dir: string): Promise<void> {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) await mockModule(dir);
  for (const e of entries) if (e.isDirectory() && e.name !== '.terraform') await mockTree(path.join(dir, e.name));
}
