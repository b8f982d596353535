/**
 * deploy/systemd and deploy/cron: the unit files pass `systemd-analyze verify`, carry the sandbox and
 * exactly the two capabilities the issue names, and every command line they (and the crontab) run is
 * accepted by the built CLI with the shipped host config.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = process.cwd();
const CLI = join(ROOT, 'dist', 'cli.js');
const SYSTEMD = join(ROOT, 'deploy', 'systemd');
const UNITS = ['procpush.service', 'procpush-once.service', 'procpush-once.timer'] as const;
const BIN = '/usr/local/bin/procpush';
const CONFIG = '/etc/procpush/procpush.yaml';
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

const work = mkdtempSync(join(tmpdir(), 'procpush-deploy-systemd-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

type Unit = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/** systemd's INI dialect, enough for these files: sections, `Key=value` (repeatable), comments. */
function parseUnit(text: string): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current !== undefined && eq > 0, `not a Key=value line inside a section: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

function unit(name: string): Unit {
  return parseUnit(readFileSync(join(SYSTEMD, name), 'utf8'));
}

function values(u: Unit, section: string, key: string): readonly string[] {
  return u.get(section)?.get(key) ?? [];
}

function one(u: Unit, section: string, key: string): string {
  const v = values(u, section, key);
  assert.equal(v.length, 1, `${section}.${key}: expected one value, got ${JSON.stringify(v)}`);
  return v[0] ?? '';
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A procpush command line from a unit or the crontab, with the host paths pointed at test copies. */
function localArgs(commandLine: string): string[] {
  const words = commandLine.trim().split(/\s+/);
  assert.equal(words[0], BIN, `runs ${BIN}: ${commandLine}`);
  const hostConfig = join(work, 'procpush.yaml');
  copyFileSync(join(SYSTEMD, 'procpush.yaml'), hostConfig);
  writeFileSync(hostConfig, readFileSync(hostConfig, 'utf8').replaceAll('/var/lib/procpush/', `${work}/`));
  return words.slice(1).map((w) => (w === CONFIG ? hostConfig : w.startsWith('/var/lib/procpush/') ? join(work, w.slice('/var/lib/procpush/'.length)) : w));
}

describe('systemd units', () => {
  it('pass systemd-analyze verify (ExecStart pointed at an executable stand-in for the installed binary)', { skip: SYSTEMD_ANALYZE === undefined ? 'systemd-analyze is not installed (Debian package systemd; .ci/run installs it)' : false }, () => {
    // verify checks that ExecStart's binary exists and is executable; the real one only exists after
    // install.sh, so the copies name a stub at a temporary path instead (deploy-package tests the real one).
    const dir = mkdtempSync(join(work, 'units-'));
    const stub = join(dir, 'procpush');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    const copies = UNITS.map((name) => {
      const copy = join(dir, name);
      writeFileSync(copy, readFileSync(join(SYSTEMD, name), 'utf8').replaceAll(BIN, stub));
      return copy;
    });
    const r = spawnSync(SYSTEMD_ANALYZE ?? 'systemd-analyze', ['verify', ...copies], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    // verify exits 0 on unknown keys and unparsable values, which it only prints: none may concern our files.
    const ours = r.stderr.split('\n').filter((l) => UNITS.some((u) => l.includes(u)) || l.includes(dir));
    assert.deepEqual(ours, [], r.stderr);
  });

  it('run the daemon as the procpush user, sandboxed, with only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH', () => {
    for (const name of ['procpush.service', 'procpush-once.service']) {
      const u = unit(name);
      assert.equal(one(u, 'Service', 'User'), 'procpush', name);
      assert.equal(one(u, 'Service', 'NoNewPrivileges'), 'yes', name);
      assert.equal(one(u, 'Service', 'ProtectSystem'), 'strict', name);
      assert.equal(one(u, 'Service', 'ProtectHome'), 'yes', name);
      assert.equal(one(u, 'Service', 'PrivateTmp'), 'yes', name);
      assert.equal(one(u, 'Service', 'StateDirectory'), 'procpush', name);
      for (const key of ['AmbientCapabilities', 'CapabilityBoundingSet']) {
        assert.deepEqual(one(u, 'Service', key).split(/\s+/).sort(), ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE'], `${name} ${key}`);
      }
      // These would hide the processes (or /proc/stat) procpush reads, or void the capabilities.
      for (const key of ['ProtectProc', 'ProcSubset', 'PrivateUsers', 'MemoryDenyWriteExecute', 'DynamicUser']) {
        assert.deepEqual(values(u, 'Service', key), [], `${name} must not set ${key}`);
      }
    }
  });

  it('reload with SIGHUP after checking the config, and do not restart on a config error (exit 2)', () => {
    const u = unit('procpush.service');
    const reload = values(u, 'Service', 'ExecReload');
    assert.equal(reload.at(-1), '/bin/kill -HUP $MAINPID');
    assert.deepEqual(localArgs(reload[0] ?? '').slice(0, 1), ['check']);
    assert.equal(one(u, 'Service', 'RestartPreventExitStatus'), '2');
    assert.equal(one(u, 'Install', 'WantedBy'), 'multi-user.target');
  });

  it('keep state where run and once --state look for it (StateDirectory=procpush is /var/lib/procpush)', () => {
    const once = one(unit('procpush-once.service'), 'Service', 'ExecStart');
    assert.match(once, / --state \/var\/lib\/procpush\/[^ ]+\.json\b/);
    assert.equal(one(unit('procpush-once.service'), 'Service', 'Type'), 'oneshot');
    const timer = unit('procpush-once.timer');
    assert.equal(one(timer, 'Timer', 'Unit'), 'procpush-once.service');
    assert.equal(one(timer, 'Install', 'WantedBy'), 'timers.target');
  });

  it('start command lines the CLI accepts, with the shipped host config', () => {
    const lines = [
      one(unit('procpush.service'), 'Service', 'ExecStart'),
      ...values(unit('procpush.service'), 'Service', 'ExecReload').filter((l) => l.startsWith(BIN)),
      one(unit('procpush-once.service'), 'Service', 'ExecStart'),
    ];
    for (const line of lines) {
      const help = cli([...localArgs(line), '--help']);
      assert.equal(help.status, 0, `${line} --help: ${help.stderr}`);
      const args = localArgs(line);
      const check = cli(['check', ...args.slice(1).filter((a, i, all) => a !== '--state' && all[i - 1] !== '--state')]);
      assert.equal(check.status, 0, `${line} as check: ${check.stderr}`);
      assert.match(check.stdout, /sinks: central \(remote_write /);
    }
  });
});

describe('crontab example', () => {
  it('runs procpush once with --state, and the CLI accepts its command line', () => {
    const text = readFileSync(join(ROOT, 'deploy', 'cron', 'procpush'), 'utf8');
    const jobs = text.split('\n').filter((l) => /^[*0-9]/.test(l));
    assert.equal(jobs.length, 1, text);
    const fields = (jobs[0] ?? '').split(/\s+/);
    assert.equal(fields[5], 'root', 'cron.d lines name the user');
    const command = fields.slice(6).join(' ');
    const procpush = command.split('&&').map((c) => c.trim()).find((c) => c.startsWith('procpush '));
    assert.ok(procpush !== undefined, command);
    const args = localArgs(procpush.replace(/^procpush /, `${BIN} `));
    assert.equal(args[0], 'once');
    assert.ok(args.includes('--state'));
    const help = cli([...args, '--help']);
    assert.equal(help.status, 0, help.stderr);
  });
});
