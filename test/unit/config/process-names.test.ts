import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ProcAttributes } from '../../../src/base/process.js';
import { parseConfigDocument } from '../../../src/config/document.js';
import { formatConfigIssue, type ConfigIssue } from '../../../src/config/issues.js';
import { compileProcessNames, loadProcessNamesFromText } from '../../../src/config/process-names.js';
import type { MatchNamer } from '../../../src/naming/matcher.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../../../test/fixtures/config/${name}`, import.meta.url), 'utf8');
}

function proc(comm: string, cmdline: readonly string[] = []): ProcAttributes {
  return { comm, cmdline, cgroups: [], username: 'root', pid: 1, startTimeMs: 0 };
}

function load(text: string): MatchNamer {
  const r = loadProcessNamesFromText(text, 'config.yaml');
  if (!r.ok) assert.fail(r.error.map(formatConfigIssue).join('\n'));
  return r.value;
}

function issues(text: string): string[] {
  const r = loadProcessNamesFromText(text, 'config.yaml');
  if (r.ok) assert.fail('expected config issues');
  return r.error.map(formatConfigIssue);
}

function nameOf(n: MatchNamer, p: ProcAttributes): string | undefined {
  const r = n.matchAndName(p);
  return r.matched ? r.name : undefined;
}

void describe('process_names loading', () => {
  void it('names the worked example processes like the Go binary did', () => {
    const n = load(fixture('cfg1.yml'));
    assert.equal(nameOf(n, proc('python3', ['python3', 'worker.py'])), 'py:worker.py');
    assert.equal(nameOf(n, proc('sleep', ['sleep', '1000'])), 'sleepers');
    assert.equal(nameOf(n, proc('bash', ['bash', '-c', 'tail -f /dev/null & wait'])), 'shell:map[:-f dev:/dev/null]');
    assert.equal(nameOf(n, proc('tail', ['tail', '-f', '/dev/null'])), undefined);
    assert.equal(n.rules.length, 3);
  });

  void it('loads the packaged all.yaml, which names every process with argv by comm', () => {
    const n = load(fixture('all.yaml'));
    assert.equal(nameOf(n, proc('sshd', ['/usr/sbin/sshd', '-D'])), 'sshd');
    assert.equal(nameOf(n, proc('kthreadd', [])), undefined);
  });

  void it('accepts an empty file, a missing key, null and an empty list', () => {
    for (const text of ['', '# nothing\n', 'other: 1\n', 'process_names:\n', 'process_names: []\n']) {
      assert.equal(load(text).rules.length, 0, JSON.stringify(text));
    }
  });

  void it('treats null selectors as absent and reads scalars as yaml.v2 does', () => {
    const n = load('process_names:\n  - name: "{{.Comm}}"\n    comm: [123, 0x10, true]\n    exe: ~\n    cmdline:\n');
    assert.equal(nameOf(n, proc('0x10', ['x'])), '0x10');
    assert.equal(nameOf(n, proc('123')), '123');
    assert.equal(nameOf(n, proc('true')), 'true');
    assert.equal(nameOf(n, proc('16')), undefined);
  });

  void it('ignores other top-level keys, which belong to other modules', () => {
    const n = load('sinks: [{url: "http://x"}]\nprocess_names:\n  - comm: [a]\n');
    assert.equal(nameOf(n, proc('a', ['/bin/a'])), 'a');
  });

  void it('compiles from an already parsed document', () => {
    const doc = parseConfigDocument('process_names:\n  - comm: [a]\n', 'x.yaml');
    assert.ok(doc.ok);
    const r = compileProcessNames(doc.value.root, 'x.yaml');
    assert.ok(r.ok);
    assert.equal(r.value.rules.length, 1);
  });
});

void describe('process_names issues', () => {
  void it('reports every problem of a bad file with file, line, column and field', () => {
    assert.deepEqual(issues(fixture('bad.yaml')), [
      'config.yaml:2:11: process_names[0].comm: expected a list of strings, got a string',
      'config.yaml:3:11: process_names[1].name: bad name template "{{.Comm": template: cmdname:1: unclosed action',
      'config.yaml:5:7: process_names[1].cmdline[0]: bad cmdline regex "(unclosed": error parsing regexp: missing closing ): `(unclosed`',
      'config.yaml:7:5: process_names[1].bogus: unknown key "bogus"; expected name, comm, exe or cmdline',
      'config.yaml:8:5: process_names[2]: no matchers provided',
      'config.yaml:9:5: process_names[3]: expected a mapping with name, comm, exe or cmdline, got a number',
      'config.yaml:10:15: process_names[4].exe[1]: expected a string, got a list',
    ]);
  });

  void it('formats the cmdline issue like the brief example', () => {
    const text = 'process_names:\n  - comm: [a]\n  - comm: [b]\n  - name: x\n    comm: [c]\n    cmdline:\n      - ok\n      - (unclosed\n';
    assert.deepEqual(issues(text), [
      'config.yaml:8:9: process_names[2].cmdline[1]: bad cmdline regex "(unclosed": error parsing regexp: missing closing ): `(unclosed`',
    ]);
  });

  void it('rejects a non-list process_names and a non-mapping document', () => {
    assert.deepEqual(issues('process_names: {comm: [a]}\n'), ['config.yaml:1:16: process_names: expected a list of rules, got a mapping']);
    assert.deepEqual(issues('- a\n'), ['config.yaml:1:1: expected a mapping with a process_names key, got a list']);
  });

  void it('rejects a name that is not a string', () => {
    assert.deepEqual(issues('process_names:\n  - name: [x]\n    comm: [a]\n'), ['config.yaml:2:11: process_names[0].name: expected a string, got a list']);
  });

  void it('reports YAML syntax errors with their position', () => {
    const e = issues('process_names:\n  - comm: [a\n');
    assert.equal(e.length > 0, true);
    assert.match(e[0] ?? '', /^config\.yaml:\d+:\d+: YAML syntax error: /);
  });

  void it('formats issues without a position or a field', () => {
    const i: ConfigIssue = { file: 'c.yaml', line: 0, column: 0, field: '', message: 'cannot read' };
    assert.equal(formatConfigIssue(i), 'c.yaml: cannot read');
    assert.equal(formatConfigIssue({ ...i, line: 3, column: 4 }), 'c.yaml:3:4: cannot read');
  });
});
