/**
 * The npm package as users get it: `npm pack` in a fresh clone of this repository (no dist/: the
 * prepack script builds it), installed from the tarball into a clean directory (dependencies come
 * from the npm registry), runs as `npx procpush`; and deploy/install.sh, staged into a temporary
 * root, puts the binary, the config and the units in place, with units that systemd-analyze accepts
 * as installed; run for real with --no-start on a host without systemd (in a private mount namespace
 * whose /usr, /etc and /var are overlays, so this machine is left untouched); and it explains a
 * tarball packed without dist/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = process.cwd();
const NPM_TIMEOUT_MS = 240_000;
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };

const work = mkdtempSync(join(tmpdir(), 'procpush-deploy-pkg-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * The environment without the npm_* variables `npm test` exports: npm_config_local_prefix and the
 * like would make the npm run here act on this checkout instead of the temporary directory.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
}

/** Why the real --no-start install cannot run here (it needs root, unshare and overlayfs), or false. */
function noSystemdSandbox(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (a private mount namespace with overlays over /usr, /etc and /var)';
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', `d=$(mktemp -d); mkdir $d/u $d/w; mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc; r=$?; rm -rf $d; exit $r`], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error !== undefined) return `unshare is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot mount an overlay in a private mount namespace: ${probe.stderr.trim()}`;
  return false;
}

function run(cmd: string, args: readonly string[], cwd: string, timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: cleanEnv() });
  return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error === undefined ? '' : `\n${r.error.message}`}` };
}

let tarball = '';
/** Packed in the fresh clone before anything built dist/, with the scripts (prepack) skipped. */
let unbuilt = '';

before(() => {
  const clone = join(work, 'clone');
  const cloned = run('git', ['clone', '--quiet', ROOT, clone], work);
  assert.equal(cloned.status, 0, cloned.stderr);
  assert.equal(existsSync(join(clone, 'dist')), false, 'a fresh clone has no dist/');
  const ci = run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone, NPM_TIMEOUT_MS);
  assert.equal(ci.status, 0, ci.stderr);
  const bare = join(work, 'unbuilt');
  mkdirSync(bare);
  const u = run('npm', ['pack', '--ignore-scripts', '--pack-destination', bare], clone, NPM_TIMEOUT_MS);
  assert.equal(u.status, 0, u.stderr);
  unbuilt = join(bare, `procpush-${pkg.version}.tgz`);
  const r = run('npm', ['pack', '--pack-destination', work], clone, NPM_TIMEOUT_MS);
  assert.equal(r.status, 0, r.stderr);
  const tgz = readdirSync(work).find((f) => f === `procpush-${pkg.version}.tgz`);
  assert.ok(tgz !== undefined, `npm pack made no procpush-${pkg.version}.tgz: ${r.stdout}`);
  tarball = join(work, tgz);
});

describe('npm package', () => {
  it('ships the runtime files: dist/cli.js, the remote-write protos, the configs and docs', () => {
    const r = run('tar', ['tzf', tarball], work);
    assert.equal(r.status, 0, r.stderr);
    const files = new Set(r.stdout.split('\n'));
    for (const f of ['dist/cli.js', 'proto/prometheus/remote.proto', 'config/example.yaml', 'config/procpush.yaml', 'README.md', 'docs/deployment.md', 'package.json']) {
      assert.ok(files.has(`package/${f}`), `${f} is missing from the tarball`);
    }
    assert.ok(![...files].some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/node_modules/')));
  });

  it('installs from the tarball into a clean directory and runs as npx procpush (--help, --version, check, once)', () => {
    const dir = join(work, 'clean');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "name": "procpush-install-test", "private": true }\n');
    const install = run('npm', ['install', '--no-audit', '--no-fund', tarball], dir, NPM_TIMEOUT_MS);
    assert.equal(install.status, 0, install.stderr);

    const help = run('npx', ['procpush', '--help'], dir);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: procpush <command>/);
    const version = run('npx', ['procpush', '--version'], dir);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `procpush ${pkg.version}\n`);
    // The example config has a remote-write sink: its protos must load from the installed package.
    const check = run('npx', ['procpush', 'check', '--config.path', 'node_modules/procpush/config/example.yaml'], dir);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /sinks: .*remote_write/);
    const once = run('npx', ['procpush', 'once', '--procnames', 'node'], dir);
    assert.equal(once.status, 0, once.stderr);
    assert.match(once.stdout, /^namedprocess_namegroup_num_procs\{groupname="node"\} [1-9]/m);
  });
});

describe('deploy/install.sh', () => {
  it('stages the package, a config with the given URL and the units; the staged units verify', () => {
    const root = join(work, 'root');
    mkdirSync(root);
    const url = 'http://127.0.0.1:9/api/v1/write';
    const r = run('bash', [join(ROOT, 'deploy', 'install.sh'), '--root', root, '--remote-write', url, tarball], work, NPM_TIMEOUT_MS);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /OK, 1 rule/);

    const bin = join(root, 'usr', 'local', 'bin', 'procpush');
    const v = run(bin, ['--version'], work);
    assert.equal(v.stdout, `procpush ${pkg.version}\n`, v.stderr);
    const config = readFileSync(join(root, 'etc', 'procpush', 'procpush.yaml'), 'utf8');
    assert.match(config, new RegExp(`^  - type: remote_write\\n    url: ${url.replaceAll('.', '\\.')}$`, 'm'));
    assert.ok(existsSync(join(root, 'etc', 'procpush', 'procpush.env')));

    const units = join(root, 'etc', 'systemd', 'system');
    const service = readFileSync(join(units, 'procpush.service'), 'utf8');
    assert.match(service, /^ExecStart=\/usr\/local\/bin\/procpush run --config\.path \/etc\/procpush\/procpush\.yaml$/m);
    const doc = /^Documentation=file:(\S+)/m.exec(service)?.[1] ?? '';
    assert.ok(existsSync(join(root, doc)), `the unit's Documentation= (${doc}) is in the installed package`);

    // A second run keeps the config (and says so), whatever URL it is given.
    const again = run('bash', [join(ROOT, 'deploy', 'install.sh'), '--root', root, '--pushgateway', 'http://127.0.0.1:9091', tarball], work, NPM_TIMEOUT_MS);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /keeping .*procpush\.yaml/);
    assert.equal(readFileSync(join(root, 'etc', 'procpush', 'procpush.yaml'), 'utf8'), config);

    if (SYSTEMD_ANALYZE === undefined) return; // deploy-systemd.test.ts reports the skip
    const staged = ['procpush.service', 'procpush-once.service', 'procpush-once.timer'].map((u) => {
      const copy = join(work, u);
      writeFileSync(copy, readFileSync(join(units, u), 'utf8').replaceAll('/usr/local/bin/procpush', bin));
      return copy;
    });
    const verify = spawnSync(SYSTEMD_ANALYZE, ['verify', ...staged], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(verify.status, 0, verify.stderr);
    assert.deepEqual(verify.stderr.split('\n').filter((l) => l.includes(work)), []);
  });

  it('explains a tarball packed without dist/ (exit 2, nothing installed)', () => {
    const root = join(work, 'root-unbuilt');
    mkdirSync(root);
    const r = run('bash', [join(ROOT, 'deploy', 'install.sh'), '--root', root, unbuilt], work);
    assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /has no dist\/cli\.js: it was packed without building\. Run npm ci && npm pack/);
    assert.equal(existsSync(join(root, 'usr')), false);
  });

  it('--no-start installs for real on a host without systemd (exit 0, nothing enabled); without it, refuses before installing', { skip: noSystemdSandbox() }, () => {
    const upper = join(work, 'overlay');
    const script = [
      'set -eu',
      // This host, as a private copy: writes land in the overlays' upper directories.
      ...['usr', 'etc', 'var'].map((d) => `mkdir -p ${upper}/${d}/u ${upper}/${d}/w && mount -t overlay overlay -o lowerdir=/${d},upperdir=${upper}/${d}/u,workdir=${upper}/${d}/w /${d}`),
      // No systemd here, whatever the machine runs.
      'if [ -d /run/systemd ]; then mount -t tmpfs none /run/systemd; fi',
      `if bash ${join(ROOT, 'deploy', 'install.sh')} ${tarball} > ${upper}/refused.out 2>&1; then echo "refused: no"; else echo "refused: $?"; fi`,
      'if [ -e "$(npm prefix -g)/bin/procpush" ]; then echo "installed before the refusal"; fi',
      `bash ${join(ROOT, 'deploy', 'install.sh')} --no-start --remote-write http://127.0.0.1:9/api/v1/write ${tarball}`,
      'echo "exit: $?"',
      '"$(npm prefix -g)/bin/procpush" --version',
      'id -u procpush >/dev/null && echo "user: ok"',
      'test -f /etc/procpush/procpush.yaml && test -f /etc/systemd/system/procpush.service && echo "files: ok"',
    ].join('\n');
    const r = run('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], work, NPM_TIMEOUT_MS);
    const refused = existsSync(join(upper, 'refused.out')) ? readFileSync(join(upper, 'refused.out'), 'utf8') : '';
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}\n${refused}`);
    assert.match(r.stdout, /^refused: 2$/m);
    assert.match(refused, /systemd is not running on this host.*install with --no-start/);
    assert.doesNotMatch(r.stdout, /installed before the refusal/);
    assert.match(r.stdout, /systemd is not running here: the units are installed but not loaded/);
    assert.match(r.stdout, /^exit: 0$/m);
    assert.match(r.stdout, new RegExp(`^procpush ${pkg.version.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(r.stdout, /^user: ok$/m);
    assert.match(r.stdout, /^files: ok$/m);
    // What it wrote went to the overlays, not to this machine.
    assert.ok(existsSync(join(upper, 'etc', 'u', 'procpush', 'procpush.yaml')));
  });

  it('writes a Pushgateway sink with --pushgateway, and refuses a URL that is not http(s)', () => {
    const root = join(work, 'root-pgw');
    mkdirSync(root);
    const r = run('bash', [join(ROOT, 'deploy', 'install.sh'), '--root', root, '--pushgateway', 'http://127.0.0.1:9091', tarball], work, NPM_TIMEOUT_MS);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(readFileSync(join(root, 'etc', 'procpush', 'procpush.yaml'), 'utf8'), /^ {2}- type: pushgateway\n {4}url: http:\/\/127\.0\.0\.1:9091$/m);
    assert.match(r.stdout, /sinks: \S+ \(pushgateway /);
    const bad = run('bash', [join(ROOT, 'deploy', 'install.sh'), '--root', root, '--pushgateway', 'ftp://x', tarball], work);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /http:\/\/ or https:\/\//);
  });
});
