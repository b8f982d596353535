/**
 * The npm package as users get it: `npm pack` of this checkout, installed from the tarball into a
 * clean directory (dependencies come from the npm registry), runs as `npx procpush`; and
 * deploy/install.sh, staged into a temporary root, puts the binary, the config and the units in
 * place, with units that systemd-analyze accepts as installed.
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

function run(cmd: string, args: readonly string[], cwd: string, timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: cleanEnv() });
  return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error === undefined ? '' : `\n${r.error.message}`}` };
}

let tarball = '';

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli.js')), 'dist/ is built (npm run build) before packing');
  const r = run('npm', ['pack', '--pack-destination', work], ROOT, NPM_TIMEOUT_MS);
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
