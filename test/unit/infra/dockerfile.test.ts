/**
 * infra/Dockerfile read as text, quickly, on every run: the promises the compose file, ECS and Kubernetes rely on —
 * multi-stage, production dependencies only, non-root, the CLI entrypoint. test/containers builds and runs it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../../../src/node-flags';
import { argsOf, readDockerfile } from '../../support/dockerfile';

const root = path.resolve(__dirname, '../../..');
const { all, stages, runtime } = readDockerfile();
const args = argsOf;

describe('infra/Dockerfile', () => {
  it('builds in separate stages and runs on Node 22 LTS (node:22-bookworm-slim)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(args(all, 'ARG')).toContain('NODE_IMAGE=node:22-bookworm-slim');
    expect(runtime[0]!.args).toBe('${NODE_IMAGE} AS runtime');
  });

  it('compiles with npm ci and npm run build, and keeps the workflow bundle', () => {
    const build = stages.find((s) => s[0]!.args.endsWith('AS build'))!;
    expect(args(build, 'RUN').join(' ')).toMatch(/npm ci .*npm run build.*dist\/workflow-bundle\.js/);
    expect(args(runtime, 'COPY')).toContain('--from=build --chown=root:root /app/dist ./dist');
  });

  it('ships production dependencies only and checks that sharp and better-sqlite3 load', () => {
    const deps = stages.find((s) => s[0]!.args.endsWith('AS deps'))!;
    expect(args(deps, 'RUN').join(' ')).toContain('npm ci --omit=dev');
    expect(args(runtime, 'COPY')).toContain('--from=deps --chown=root:root /app/node_modules ./node_modules');
    expect(args(runtime, 'RUN').join(' ')).toMatch(/require\('sharp'\).*require\('better-sqlite3'\)/);
  });

  it('runs as a non-root user in production mode, with the CLI as entrypoint and the worker as default', () => {
    const users = args(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(JSON.parse(args(runtime, 'ENTRYPOINT')[0]!)).toEqual(['node', ...NODE_FLAGS, 'bin/ebbflow.js']);
    expect(JSON.parse(args(runtime, 'CMD')[0]!)).toEqual(['worker']);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.ebbflow).toBe('bin/ebbflow.js');
  });

  it('keeps local state, dependencies and build output out of the build context', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.ebbflow', '.git']));
  });
});
