/** infra/Dockerfile read as data: its instructions by stage, for the tests that hold the image to its promises. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DOCKERFILE = path.resolve(__dirname, '../../infra/Dockerfile');

export interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile, with continuation lines joined and comments dropped. */
export function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** Every instruction of infra/Dockerfile, and the same split into stages (each starting with its FROM). */
export function readDockerfile(): { all: Instruction[]; stages: Instruction[][]; runtime: Instruction[] } {
  const all = instructions(readFileSync(DOCKERFILE, 'utf8'));
  const stages = all.reduce<Instruction[][]>((acc, instruction) => {
    if (instruction.keyword === 'FROM') acc.push([]);
    acc.at(-1)?.push(instruction);
    return acc;
  }, []);
  return { all, stages, runtime: stages.at(-1)! };
}

/** The arguments of every `keyword` instruction in `stage`. */
export function argsOf(stage: Instruction[], keyword: string): string[] {
  return stage.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** One COPY of the runtime stage: the path it takes (relative to the repository or a build stage's WORKDIR) and where it lands. */
export interface RuntimeCopy {
  /** Path relative to the project, e.g. `dist` for `--from=build /app/dist`. */
  source: string;
  /** Path relative to the runtime's WORKDIR, e.g. `dist`. */
  target: string;
}

/**
 * What the runtime stage copies into the image, relative to its WORKDIR. Build stages work in the same WORKDIR on a
 * copy of the project, so `/app/x` of a stage is the project's `x` once built.
 */
export function runtimeCopies(): { workdir: string; copies: RuntimeCopy[] } {
  const { runtime } = readDockerfile();
  const workdir = argsOf(runtime, 'WORKDIR').at(-1);
  if (!workdir) throw new Error('the runtime stage of infra/Dockerfile sets no WORKDIR');
  const copies = argsOf(runtime, 'COPY').map((args) => {
    const operands = args.split(/\s+/).filter((a) => !a.startsWith('--'));
    if (operands.length !== 2) throw new Error(`expected one source and one target in COPY ${args}`);
    const [source, target] = operands as [string, string];
    const relativeSource = path.posix.isAbsolute(source) ? path.posix.relative(workdir, source) : source;
    const relativeTarget = path.posix.relative(workdir, path.posix.resolve(workdir, target));
    return {
      source: path.posix.normalize(relativeSource),
      target: target.endsWith('/') ? path.posix.join(relativeTarget, path.posix.basename(source)) : relativeTarget,
    };
  });
  return { workdir, copies };
}
