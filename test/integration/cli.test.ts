/** The built CLI as a user runs it: exit codes, messages, help and version. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeProcfs } from '../helpers/fake-procfs.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procpush-cli-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('procpush CLI', () => {
  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = cli('--version');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `procpush ${pkg.version}\n`);
  });

  it('has --help for every command', () => {
    for (const cmd of ['run', 'once', 'serve', 'check', 'explain']) {
      const r = cli(cmd, '--help');
      assert.equal(r.status, 0, cmd);
      assert.match(r.stdout, new RegExp(`Usage: procpush ${cmd}`));
      assert.match(r.stdout, /--config\.path/);
    }
  });

  it('validates the shipped configs', () => {
    for (const f of ['config/example.yaml', 'config/procpush.yaml']) {
      const r = cli('check', '--config.path', f);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /OK, \d+ rule/);
    }
  });

  it('exits 2 with file:line:column: field for a bad config', () => {
    const cfg = join(work, 'bad.yaml');
    writeFileSync(cfg, 'process_names:\n  - name: "{{.Comm"\n    comm: [a]\n');
    const r = cli('check', '--config.path', cfg);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `procpush check: ${cfg}:2:11: process_names[0].name: bad name template "{{.Comm": template: cmdname:1: unclosed action\n`);
  });

  it('names file, line, column and field for every kind of config error, and exits 2 at startup', () => {
    const cases: [string, string, string][] = [
      ['bad YAML', 'process_names: [ a\n', ':2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'],
      ['unknown key', 'process_names: []\nbogus: 1\n', ':2:1: bogus: unknown key "bogus"'],
      ['wrong type', 'process_names: []\nchildren: "yes"\n', ':2:1: children: Invalid input: expected boolean, received string'],
      ['wrong type in a list', 'process_names:\n  - comm: bash\n', ':2:11: process_names[0].comm: expected a list of strings, got a string'],
      ['bad regex', 'process_names:\n  - cmdline: ["(x"]\n', ':2:15: process_names[0].cmdline[0]: bad cmdline regex "(x": error parsing regexp: missing closing ): `(x`'],
      ['bad template', 'process_names:\n  - name: "{{.Comm"\n    comm: [a]\n', ':2:11: process_names[0].name: bad name template "{{.Comm": template: cmdname:1: unclosed action'],
      ['bad schedule', 'process_names: []\nschedule: { interval: 10 }\n', ':2:13: schedule.interval: Invalid input: expected string, received number'],
      [
        'unreadable password file',
        'process_names: []\nsinks:\n  - type: remote_write\n    url: http://127.0.0.1:9/w\n    basic_auth: { username: u, password_file: /nonexistent/pw }\n',
        ':5:32: sinks[0].basic_auth.password_file: cannot read /nonexistent/pw: ENOENT',
      ],
    ];
    for (const [what, text, message] of cases) {
      const cfg = join(work, 'err.yaml');
      writeFileSync(cfg, text);
      const r = cli('run', '--config.path', cfg);
      assert.equal(r.status, 2, what);
      assert.equal(r.stderr, `procpush run: ${cfg}${message}\n`, what);
    }
  });

  it('exits 2 on an unknown flag and on --config.path with --procnames', () => {
    assert.equal(cli('serve', '--nope').status, 2);
    const r = cli('once', '--config.path', 'config/procpush.yaml', '--procnames', 'bash');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--config.path cannot be used with --namemapping or --procnames/);
  });

  it('exits 1 when the procfs root cannot be read', () => {
    const r = cli('once', '--procnames', 'x', '--procfs', join(work, 'missing'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /could not read/);
  });

  it('explains which rule matched each process and counts the series', () => {
    const root = join(work, 'proc');
    const fs = FakeProcfs.create(root, { btime: 1_700_000_000 });
    fs.addProcess({ pid: 7, comm: 'sshd', cmdline: ['/usr/sbin/sshd'] });
    fs.addProcess({ pid: 8, comm: 'bash', cmdline: ['bash'], ppid: 7 });
    fs.addProcess({ pid: 9, comm: 'cron', cmdline: ['cron'], ppid: 1 });
    const cfg = join(work, 'explain.yaml');
    writeFileSync(cfg, 'process_names:\n  - name: ssh\n    comm: [sshd]\n');
    const r = cli('explain', '--config.path', cfg, '--procfs', root);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines.find((l) => l.startsWith('7 ')) ?? '', /ssh\s+rule 1/);
    assert.match(lines.find((l) => l.startsWith('8 ')) ?? '', /ssh\s+child of a process in the group \(ppid 7\)/);
    assert.match(lines.find((l) => l.startsWith('9 ')) ?? '', /-\s+rule 1 \(ssh\): comm "cron" not in \[sshd\]/);
    assert.match(r.stdout, /1 group\(s\), 2 tracked process\(es\), \d+ series per cycle/);
  });
});
