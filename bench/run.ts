/**
 * `npm run bench [-- <section>…]`: runs the benchmarks and writes their results into docs/benchmarks.md. Every figure
 * is a ratio against a baseline measured in the same run, on the same machine, so results compare across machines.
 * Naming sections reruns only those and keeps the others' last results in the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/paths';
import type { BenchModule, BenchSection } from './types';

// As in bin/ebbflow.js: the AWS SDK's notice that its 2027 releases need Node 22 is said once, in the README. The
// sections load after this line, and with them the SDK.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Section name → module file beside this one, in the order the document lists them. */
const SECTIONS: Record<string, string> = {
  images: './images',
  pipeline: './pipeline',
  scaler: './scaler',
  reports: './reports',
  etl: './etl',
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (name: string): BenchModule => require(SECTIONS[name]!) as BenchModule;

const DOC = path.join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const begin = (name: string): string => `<!-- bench:${name}:begin -->`;
const end = (name: string): string => `<!-- bench:${name}:end -->`;

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

function renderSection(name: string, section: BenchSection): string {
  return [
    begin(name),
    `## ${section.title}`,
    '',
    `_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}._`,
    '',
    section.markdown.trim(),
    '',
    end(name),
  ].join('\n');
}

function existingSection(doc: string, name: string): string | undefined {
  const a = doc.indexOf(begin(name));
  const b = doc.indexOf(end(name));
  return a >= 0 && b > a ? doc.slice(a, b + end(name).length) : undefined;
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = requested.filter((r) => !(r in SECTIONS));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
  }
  const names = requested.length > 0 ? requested : Object.keys(SECTIONS);
  const previous = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  const rendered = new Map<string, string>();
  for (const name of names) {
    process.stderr.write(`\n=== bench: ${name}\n`);
    const started = Date.now();
    const section = await load(name).run();
    rendered.set(name, renderSection(name, section));
    process.stderr.write(`=== ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    for (const [figure, value] of Object.entries(section.figures)) {
      process.stdout.write(`${name}.${figure}\t${Number.isInteger(value) ? value : value.toFixed(3)}\n`);
    }
  }
  const body = Object.keys(SECTIONS)
    .map((name) => rendered.get(name) ?? existingSection(previous, name))
    .filter((s): s is string => s !== undefined);
  const doc = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (or `npm run bench -- <section>` for one section). Each figure is a ratio against a',
    'baseline measured in the same run on the same machine; absolute numbers are given for scale only.',
    '',
    ...body.flatMap((s) => [s, '']),
  ].join('\n');
  writeFileSync(DOC, doc);
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), DOC)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
