import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGoRegex, compileRules, type MatchNamer, type ProcAttributes, type RuleSpec } from '../../../src/naming/matcher.js';

function proc(comm: string, cmdline: readonly string[] = [], over: Partial<ProcAttributes> = {}): ProcAttributes {
  return { comm, cmdline, cgroups: [], username: 'root', pid: 100, startTimeMs: Date.UTC(2023, 10, 14, 22, 15, 23), ...over };
}

function namer(specs: readonly RuleSpec[]): MatchNamer {
  const r = compileRules(specs);
  if (!r.ok) assert.fail(JSON.stringify(r.error));
  return r.value;
}

function nameOf(n: MatchNamer, p: ProcAttributes): string | undefined {
  const r = n.matchAndName(p);
  return r.matched ? r.name : undefined;
}

void describe('comm selector', () => {
  void it('matches the exact comm, OR over the list', () => {
    const n = namer([{ comm: ['bash', 'sh'] }]);
    assert.equal(nameOf(n, proc('sh', ['/bin/sh'])), 'sh');
    assert.equal(nameOf(n, proc('bash', ['/bin/bash'])), 'bash');
    assert.equal(nameOf(n, proc('zsh', ['/bin/zsh'])), undefined);
    assert.equal(nameOf(n, proc('bas', ['/bin/bas'])), undefined);
  });

  void it('never matches with an empty list', () => {
    assert.equal(nameOf(namer([{ comm: [] }]), proc('bash', ['bash'])), undefined);
  });
});

void describe('exe selector (argv[0], not /proc/PID/exe)', () => {
  void it('compares the basename for entries without a slash (process-exporter TestConfigBasic)', () => {
    const n = namer([{ exe: ['bash'] }, { exe: ['sh'] }, { exe: ['/bin/ksh'] }]);
    assert.deepEqual(n.matchAndName(proc('bash', ['/bin/bash'])), { matched: true, name: 'bash', rule: 0 });
    assert.deepEqual(n.matchAndName(proc('sh', ['sh'])), { matched: true, name: 'sh', rule: 1 });
    assert.deepEqual(n.matchAndName(proc('ksh', ['/bin/ksh'])), { matched: true, name: 'ksh', rule: 2 });
  });

  void it('compares argv[0] exactly for entries with a slash', () => {
    const n = namer([{ exe: ['/usr/bin/sleep'] }]);
    assert.equal(nameOf(n, proc('sleep', ['/usr/bin/sleep', '1'])), 'sleep');
    assert.equal(nameOf(n, proc('sleep', ['sleep', '1'])), undefined);
    assert.equal(nameOf(n, proc('sleep', ['/bin/sleep', '1'])), undefined);
  });

  void it('lets a later entry with the same basename overwrite an earlier one', () => {
    const n = namer([{ exe: ['/root/.pyenv/versions/3.11.7/bin/python3', '/usr/bin/python3'] }]);
    assert.equal(nameOf(n, proc('python3', ['/usr/bin/python3'])), 'python3');
    assert.equal(nameOf(n, proc('python3', ['/root/.pyenv/versions/3.11.7/bin/python3'])), undefined);
    const bareThenPath = namer([{ exe: ['foo', '/x/foo'] }]);
    assert.equal(nameOf(bareThenPath, proc('foo', ['/y/foo'])), undefined);
    assert.equal(nameOf(bareThenPath, proc('foo', ['/x/foo'])), 'foo');
  });

  void it('never matches kernel threads or zombies (empty argv)', () => {
    const n = namer([{ exe: ['kthreadd'] }]);
    assert.equal(nameOf(n, proc('kthreadd', [])), undefined);
  });

  void it('takes the last path component of an argv[0] rewritten with spaces', () => {
    const n = namer([{ exe: ['nginx'] }]);
    assert.equal(nameOf(n, proc('nginx', ['nginx: master process /usr/sbin/nginx'])), 'nginx');
  });
});

void describe('cmdline selector (Go RE2 on the space-joined argv)', () => {
  void it('requires every regex to match, unanchored', () => {
    const n = namer([{ name: 'x', cmdline: ['--mode', 'worker'] }]);
    assert.equal(nameOf(n, proc('python3', ['python3', 'worker.py', '--mode=fast'])), 'x');
    assert.equal(nameOf(n, proc('python3', ['python3', 'worker.py'])), undefined);
  });

  void it('uses Go syntax: named groups, flags and \\z', () => {
    const n = namer([{ name: '{{.Matches.s}}', cmdline: ['(?i)PYTHON3\\s+(?P<s>\\S+)\\z'] }]);
    assert.equal(nameOf(n, proc('python3', ['python3', 'a.py'])), 'a.py');
  });

  void it('matches every process with an empty list (Go loops over zero regexes)', () => {
    assert.equal(nameOf(namer([{ name: 'all', cmdline: [] }]), proc('kworker/0:1', [])), 'all');
  });

  void it('builds Matches like process-exporter: whole match or last unnamed group under ""', () => {
    const shell = namer([{ name: '{{.Matches}}', exe: ['bash'], cmdline: ['tail (-f) (?P<dev>\\S+)'] }]);
    assert.equal(nameOf(shell, proc('bash', ['bash', '-c', 'tail -f /dev/null & wait'])), 'map[:-f dev:/dev/null]');
    const two = namer([{ name: '{{.Matches}}', cmdline: ['(worker)\\.(?P<a>py)', '--(?P<b>mode)=(fast)'] }]);
    assert.equal(nameOf(two, proc('python3', ['python3', 'worker.py', '--mode=fast'])), 'map[:fast a:py b:mode]');
    const whole = namer([{ name: '{{.Matches}}', cmdline: ['(?P<x>a)', 'b+'] }]);
    assert.equal(nameOf(whole, proc('p', ['abbb'])), 'map[:bbb x:a]');
  });

  void it('gives "" to named groups that did not participate, and the last writer wins', () => {
    const n = namer([{ name: '{{.Matches}}', cmdline: ['(?P<k>x)|(?P<v>y)', '(?P<k>z)?w'] }]);
    assert.equal(nameOf(n, proc('p', ['y w'])), 'map[:w k: v:y]');
  });
});

void describe('rules', () => {
  void it('AND the selectors in the order comm, exe, cmdline', () => {
    const n = namer([{ name: 'both', comm: ['bash'], cmdline: ['-c'] }]);
    assert.equal(nameOf(n, proc('bash', ['bash', '-c', 'x'])), 'both');
    assert.equal(nameOf(n, proc('bash', ['bash'])), undefined);
    assert.equal(nameOf(n, proc('sh', ['sh', '-c', 'x'])), undefined);
  });

  void it('let the first matching rule win', () => {
    const n = namer([{ name: 'first', comm: ['a'] }, { name: 'second', comm: ['a', 'b'] }]);
    assert.deepEqual(n.matchAndName(proc('a')), { matched: true, name: 'first', rule: 0 });
    assert.deepEqual(n.matchAndName(proc('b')), { matched: true, name: 'second', rule: 1 });
    assert.deepEqual(n.matchAndName(proc('c')), { matched: false });
  });

  void it('default to {{.ExeBase}} when the name is absent or empty', () => {
    const n = namer([{ comm: ['a'] }, { name: '', comm: ['b'] }]);
    assert.equal(nameOf(n, proc('a', ['/opt/x/app', '--flag'])), 'app');
    assert.equal(nameOf(n, proc('b', ['/opt/x/other'])), 'other');
    assert.equal(n.rules[0]?.name, '{{.ExeBase}}');
  });

  void it('fall back to comm for ExeBase and ExeFull when argv is empty', () => {
    const n = namer([{ name: '{{.ExeBase}}|{{.ExeFull}}', comm: ['kworker'] }]);
    assert.equal(nameOf(n, proc('kworker', [])), 'kworker|kworker');
  });

  void it('render the process-exporter template tests', () => {
    const n = namer([
      { exe: ['postmaster'], cmdline: ['-D\\s+.+?(?P<Path>[^/]+)(?:$|\\s)'], name: '{{.ExeBase}}:{{.Matches.Path}}' },
      { exe: ['prometheus'], name: '{{.ExeFull}}:{{.PID}}' },
      { comm: ['cat'], name: '{{.StartTime}}' },
    ]);
    assert.equal(nameOf(n, proc('postmaster', ['/usr/bin/postmaster', '-D', '/data/pg'])), 'postmaster:pg');
    assert.equal(nameOf(n, proc('prometheus', ['/usr/local/bin/prometheus'], { pid: 23 })), '/usr/local/bin/prometheus:23');
    assert.equal(nameOf(n, proc('cat', ['/bin/cat'], { startTimeMs: Date.UTC(2026, 10, 21, 13, 5, 58, 850) })), '2026-11-21 13:05:58.85 +0000 UTC');
  });

  void it('render the differential run name with username and cgroups', () => {
    const n = namer([{ comm: ['myapp'], name: '{{.Comm}}|{{.ExeBase}}|{{.Username}}|{{.Cgroups}}|{{.StartTime}}' }]);
    const p = proc('myapp', ['/usr/bin/myapp'], { username: 'cloudsdk', cgroups: ['/system.slice/myapp.service'], startTimeMs: Date.UTC(2023, 10, 14, 22, 15, 23, 450) });
    assert.equal(nameOf(n, p), 'myapp|myapp|cloudsdk|[/system.slice/myapp.service]|2023-11-14 22:15:23.45 +0000 UTC');
  });

  void it('name a process "" when the template fails at once, like process-exporter', () => {
    assert.equal(nameOf(namer([{ comm: ['a'], name: '{{index .Cgroups 99}}' }]), proc('a')), '');
  });
});

void describe('rule compilation errors', () => {
  void it('reports every problem with process-exporter wording', () => {
    const r = compileRules([{ name: 'x' }, { comm: ['a'], cmdline: ['ok', '(unclosed'] }, { name: '{{.Comm', comm: ['a'] }]);
    assert.ok(!r.ok);
    assert.deepEqual(r.error, [
      { rule: 0, field: undefined, entry: undefined, message: 'no matchers provided' },
      { rule: 1, field: 'cmdline', entry: 1, message: 'bad cmdline regex "(unclosed": error parsing regexp: missing closing ): `(unclosed`' },
      { rule: 2, field: 'name', entry: undefined, message: 'bad name template "{{.Comm": template: cmdname:1: unclosed action' },
    ]);
  });

  void it('rejects what RE2 rejects, with Go error text', () => {
    const e = compileGoRegex('(?=x)');
    assert.ok(!e.ok);
    assert.equal(e.error, 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
  });

  void it('accepts an empty rule list', () => {
    const n = namer([]);
    assert.deepEqual(n.matchAndName(proc('a')), { matched: false });
    assert.equal(n.explain(proc('a')), 'no rules configured');
  });
});

void describe('explain and rules', () => {
  const n = namer([
    { name: 'py', cmdline: ['python3\\s+(\\S+)'] },
    { name: 'sleepers', comm: ['sleep'] },
    { name: 'full', exe: ['/usr/bin/bash'] },
    { name: 'none', exe: [] },
  ]);

  void it('says for every rule which selector failed', () => {
    assert.equal(
      n.explain(proc('bash', ['bash'])),
      'rule 1 (py): cmdline regex "python3\\\\s+(\\\\S+)" does not match "bash"; rule 2 (sleepers): comm "bash" not in [sleep]; ' +
        'rule 3 (full): exe: argv[0] "bash" is not "/usr/bin/bash"; rule 4 (none): exe: [] never matches',
    );
    assert.match(n.explain(proc('kthreadd', [])), /rule 3 \(full\): exe: empty argv/);
  });

  void it('names the matching rule', () => {
    assert.equal(n.explain(proc('sleep', ['sleep', '5'])), 'rule 2 (sleepers) matches');
  });

  void it('summarizes the rules for procpush check', () => {
    assert.deepEqual(
      n.rules.map((r) => r.description),
      ['rule 1 "py": cmdline ["python3\\\\s+(\\\\S+)"]', 'rule 2 "sleepers": comm [sleep]', 'rule 3 "full": exe [/usr/bin/bash]', 'rule 4 "none": exe []'],
    );
    assert.deepEqual(n.rules[1], { index: 1, name: 'sleepers', comm: ['sleep'], exe: undefined, cmdline: undefined, description: 'rule 2 "sleepers": comm [sleep]' });
  });
});

void describe('matcher properties', () => {
  void it('matches a comm rule exactly when the comm is in the list', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 15 }), { maxLength: 5 }), fc.string({ maxLength: 15 }), (comms, comm) => {
        const r = namer([{ name: 'g', comm: comms }]).matchAndName(proc(comm, ['x']));
        return r.matched === comms.includes(comm);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  void it('matches an exe entry without a slash for any argv[0] ending in it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), fc.stringMatching(/^(\/[a-z]{1,5}){0,3}\/?$/), (base, dir) => {
        const argv0 = dir === '' ? base : `${dir.replace(/\/$/, '')}/${base}`;
        return namer([{ name: 'g', exe: [base] }]).matchAndName(proc('c', [argv0])).matched;
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});
