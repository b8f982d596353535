import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFlagNamer } from '../../../src/naming/flag-namer.js';
import type { MatchNamer, ProcAttributes } from '../../../src/naming/matcher.js';

function proc(comm: string, cmdline: readonly string[] = []): ProcAttributes {
  return { comm, cmdline, cgroups: [], username: 'root', pid: 1, startTimeMs: 0 };
}

function flags(procnames: string, namemapping: string): MatchNamer {
  const r = compileFlagNamer(procnames, namemapping);
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

function nameOf(n: MatchNamer, p: ProcAttributes): string | undefined {
  const r = n.matchAndName(p);
  return r.matched ? r.name : undefined;
}

void describe('-procnames', () => {
  void it('tracks listed comms under their comm', () => {
    const n = flags('bash,sleep', '');
    assert.equal(nameOf(n, proc('bash', ['/bin/bash'])), 'bash');
    assert.equal(nameOf(n, proc('sleep', [])), 'sleep');
    assert.equal(nameOf(n, proc('zsh', ['zsh'])), undefined);
  });

  void it('tracks nothing when both flags are empty', () => {
    const n = flags('', '');
    assert.equal(n.rules.length, 0);
    assert.equal(nameOf(n, proc('bash')), undefined);
    assert.equal(n.explain(proc('bash')), 'no -procnames or -namemapping given');
  });
});

void describe('-namemapping', () => {
  void it('names by the first non-empty capture group (verified: python3:mode)', () => {
    const n = flags('', 'python3,(nomatch)|--(mode)');
    assert.equal(nameOf(n, proc('python3', ['python3', 'w.py', '--mode'])), 'python3:mode');
  });

  void it('tracks mapping entries even when absent from -procnames (verified: python3:worker)', () => {
    const n = flags('bash', 'python3,(worker)\\.py');
    assert.equal(nameOf(n, proc('python3', ['python3', 'worker.py'])), 'python3:worker');
    assert.equal(nameOf(n, proc('bash', ['bash'])), 'bash');
  });

  void it('does not track a process whose regex has no capture group or does not match', () => {
    assert.equal(nameOf(flags('', 'python3,worker'), proc('python3', ['python3', 'worker.py'])), undefined);
    assert.equal(nameOf(flags('', 'python3,(x)'), proc('python3', ['python3', 'worker.py'])), undefined);
    assert.equal(nameOf(flags('', 'python3,(x?)w'), proc('python3', ['python3', 'worker.py'])), undefined);
  });

  void it('wins over a -procnames entry of the same name', () => {
    const n = flags('python3', 'python3,(worker)');
    assert.equal(nameOf(n, proc('python3', ['python3', 'other.py'])), undefined);
    assert.equal(nameOf(n, proc('python3', ['python3', 'worker.py'])), 'python3:worker');
  });

  void it('explains why a mapped process is not tracked', () => {
    const n = flags('', 'python3,(x)');
    assert.equal(n.explain(proc('python3', ['python3', 'a'])), 'rule 1: namemapping regex "(x)" has no non-empty capture group on "python3 a"');
    assert.equal(n.explain(proc('bash')), 'comm "bash" not in [python3]');
  });

  void it('reports parse errors with process-exporter wording', () => {
    const cases: [string, string][] = [
      ['a,b,c', 'bad namemapper: odd number of tokens'],
      ['a,,b,c', 'bad namemapper: token 1 is empty'],
      [',a', 'bad namemapper: token 0 is empty'],
      ['x,(unclosed', "error compiling regexp '(unclosed': error parsing regexp: missing closing ): `(unclosed`"],
    ];
    for (const [mapping, want] of cases) {
      const r = compileFlagNamer('', mapping);
      assert.ok(!r.ok, mapping);
      assert.equal(r.error, want);
    }
  });
});
