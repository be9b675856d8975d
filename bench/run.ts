/**
 * `npm run bench [-- <section>…]`: runs the benchmarks and writes their results into docs/benchmarks.md. Every figure
 * is a ratio against a baseline measured in the same run, on the same machine, so results compare across machines.
 * Naming sections reruns only those and keeps the others' last results in the file; text outside the sections is
 * kept as written. `--shared` notes in each section measured that other work shared the machine's cores.
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
  dev: './dev',
  'dev-fleet': './dev-fleet',
  emulator: './emulator',
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (name: string): BenchModule => require(SECTIONS[name]!) as BenchModule;

const DOC = path.join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const HEADER = [
  '# Benchmarks',
  '',
  'Produced by `npm run bench` (or `npm run bench -- <section>` for one section). Each figure is a ratio against a',
  'baseline measured in the same run on the same machine; absolute numbers are given for scale only.',
  '',
].join('\n');
const begin = (name: string): string => `<!-- bench:${name}:begin -->`;
const end = (name: string): string => `<!-- bench:${name}:end -->`;

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

function renderSection(name: string, section: BenchSection, shared: boolean): string {
  const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const note = shared
    ? ', while other builds and test runs shared its cores: absolute times are noisy, ratios less so'
    : '';
  return [
    begin(name),
    `## ${section.title}`,
    '',
    `_Measured ${when} on ${machine()}${note}._`,
    '',
    section.markdown.trim(),
    '',
    end(name),
  ].join('\n');
}

/** Where section `name` lies in `doc`, markers included; undefined when it is not there. */
function sectionSpan(doc: string, name: string): [number, number] | undefined {
  const a = doc.indexOf(begin(name));
  const b = doc.indexOf(end(name));
  return a >= 0 && b > a ? [a, b + end(name).length] : undefined;
}

/**
 * Puts each rendered section in place of its previous version, so the prose written by hand between sections
 * stays; a section the document lacks goes after the last section that precedes it in SECTIONS.
 */
function splice(previous: string, rendered: Map<string, string>): string {
  let doc = previous.trim() === '' ? HEADER : previous;
  const names = Object.keys(SECTIONS);
  for (const [name, text] of rendered) {
    const span = sectionSpan(doc, name);
    if (span) {
      doc = doc.slice(0, span[0]) + text + doc.slice(span[1]);
      continue;
    }
    const before = names
      .slice(0, names.indexOf(name))
      .map((n) => sectionSpan(doc, n))
      .filter((s): s is [number, number] => s !== undefined)
      .at(-1);
    const at = before ? before[1] : doc.length;
    doc = `${doc.slice(0, at).trimEnd()}\n\n${text}\n${doc.slice(at)}`;
  }
  return doc.endsWith('\n') ? doc : `${doc}\n`;
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = requested.filter((r) => !(r in SECTIONS));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
  }
  const names = requested.length > 0 ? requested : Object.keys(SECTIONS);
  // `--shared`: the machine ran other work meanwhile, and each section says so.
  const shared = process.argv.includes('--shared');
  const previous = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  const rendered = new Map<string, string>();
  for (const name of names) {
    process.stderr.write(`\n=== bench: ${name}\n`);
    const started = Date.now();
    const section = await load(name).run();
    rendered.set(name, renderSection(name, section, shared));
    process.stderr.write(`=== ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    for (const [figure, value] of Object.entries(section.figures)) {
      process.stdout.write(`${name}.${figure}\t${Number.isInteger(value) ? value : value.toFixed(3)}\n`);
    }
  }
  const doc = splice(previous, rendered);
  writeFileSync(DOC, doc);
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), DOC)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
