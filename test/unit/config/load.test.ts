import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatConfigIssue } from '../../../src/config/issues.js';
import { loadConfig, parseConfigText, type Config } from '../../../src/config/load.js';

const RULES = 'process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".+"]\n';

function issues(text: string): string[] {
  const r = parseConfigText(text, 'c.yaml');
  if (r.ok) assert.fail('expected config issues');
  return r.error.map(formatConfigIssue);
}

async function load(text: string, flags: Record<string, string | boolean | number> = {}): Promise<Config> {
  const r = await loadConfig({ flags: new Map(Object.entries({ 'config.path': 'c.yaml', ...flags })), readFile: () => text });
  if (!r.ok) assert.fail(r.error.map(formatConfigIssue).join('\n'));
  return r.value;
}

describe('the config pipeline', () => {
  it('reports the problems of every section at once, in file order', () => {
    assert.deepEqual(
      issues('process_names:\n  - comm: bash\nthreads: 3\nsinks:\n  - type: remote_write\n    url: ftp://h/w\nschedule: { interval: 500ms }\n'),
      [
        'c.yaml:2:11: process_names[0].comm: expected a list of strings, got a string',
        'c.yaml:3:1: threads: Invalid input: expected boolean, received number',
        'c.yaml:6:5: sinks[0].url: the URL must be http:// or https://',
        'c.yaml:7:13: schedule.interval: expected a duration of at least 1s, such as 15s or 1m',
      ],
    );
  });

  it('refuses a static label named like a label of the exported series, wherever it comes from in the catalogue', () => {
    assert.deepEqual(issues(`${RULES}labels: {kind: batch, type: web, team: infra, groupname: x}\n`), [
      'c.yaml:4:10: labels.kind: "kind" is a label of the series themselves and cannot be set statically',
      'c.yaml:4:23: labels.type: "type" is a label of the series themselves and cannot be set statically',
      'c.yaml:4:47: labels.groupname: "groupname" is a label of the series themselves and cannot be set statically',
    ]);
    assert.deepEqual(issues(`${RULES}labels:\n  bad-name: x\n`), ['c.yaml:5:3: labels.bad-name: invalid label name (must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __)']);
  });

  it('refuses an unknown top-level key, with a hint when it looks like a known one', () => {
    assert.deepEqual(issues(`${RULES}Process_Names: []\nsmaps_evrey: 2\nbogus: 1\n`), [
      'c.yaml:4:1: Process_Names: unknown key "Process_Names"; did you mean "process_names"?',
      'c.yaml:5:1: smaps_evrey: unknown key "smaps_evrey"; did you mean "smaps_every"?',
      'c.yaml:6:1: bogus: unknown key "bogus"',
    ]);
  });

  it('accepts a top-level key that only holds anchors used elsewhere', () => {
    const r = parseConfigText('x-common: &common { name: "svc-{{.Comm}}" }\nnames: &names [sshd]\nprocess_names:\n  - <<: *common\n    comm: *names\n', 'c.yaml');
    assert.ok(r.ok, r.ok ? '' : r.error.map(formatConfigIssue).join('\n'));
    assert.equal(r.value.namer.rules[0]?.description, 'rule 1 "svc-{{.Comm}}": comm [sshd]');
  });

  it('keeps warnings (a key written twice) and uses the config as it is', async () => {
    const c = await load(`${RULES}threads: true\nthreads: false\n`);
    assert.equal(c.collection.threads, false);
    assert.deepEqual(c.warnings.map(formatConfigIssue), ['c.yaml:5:1: key "threads" is also written at line 4: the last value is used, as process-exporter does']);
  });

  it('merges flags over the file over the defaults', async () => {
    const c = await load(`${RULES}threads: false\nchildren: false\nrecheck_with_time_limit: 30s\n`, { threads: true, procfs: '/host/proc' });
    assert.deepEqual(
      { ...c.collection },
      {
        procfs: '/host/proc',
        children: false,
        threads: true,
        gatherSmaps: true,
        recheck: true,
        recheckTimeLimitMs: 30_000,
        removeEmptyGroups: false,
        smapsMaxRssBytes: Infinity,
        smapsEvery: 1,
        cycleTimeBudgetMs: 0,
      },
    );
    assert.equal(c.namingSource, 'c.yaml');
    assert.equal(c.agent.schedule.kind, 'interval');
  });

  it('names processes from --procnames without a file, and refuses a file together with it', async () => {
    const r = await loadConfig({ flags: new Map([['procnames', 'bash,sshd']]) });
    assert.ok(r.ok);
    assert.equal(r.value.file, undefined);
    assert.equal(r.value.namingSource, 'procnames: [bash sshd]');
    const both = await loadConfig({ flags: new Map([['config.path', 'c.yaml'], ['namemapping', 'a,b']]) });
    assert.ok(!both.ok);
    assert.deepEqual(both.error.map(formatConfigIssue), ['--config.path cannot be used with --namemapping or --procnames']);
  });

  it('says which file it cannot read', async () => {
    const r = await loadConfig({
      flags: new Map([['config.path', '/nonexistent.yaml']]),
      readFile: () => {
        throw new Error('ENOENT: no such file or directory');
      },
    });
    assert.ok(!r.ok);
    assert.deepEqual(r.error.map(formatConfigIssue), ['/nonexistent.yaml: cannot read config file: ENOENT: no such file or directory']);
  });

  it('checks a cron schedule with node-cron', async () => {
    const r = await loadConfig({ flags: new Map([['config.path', 'c.yaml']]), readFile: () => `${RULES}schedule: { cron: "61 * * * *" }\n` });
    assert.ok(!r.ok);
    assert.match(formatConfigIssue(r.error[0] ?? { file: '', line: 0, column: 0, field: '', message: '' }), /^c\.yaml:4:13: schedule\.cron: invalid cron expression: /);
    assert.equal((await load(`${RULES}schedule: { cron: "*/5 * * * *" }\n`)).agent.schedule.kind, 'cron');
  });

  it('places problems found later (a label value, a secret file) in the file', async () => {
    const c = await load(`${RULES}labels:\n  dc: \${NOPE}\n`);
    assert.equal(formatConfigIssue(c.issueAt(['labels', 'dc'], 'environment variable NOPE is not set')), 'c.yaml:5:3: labels.dc: environment variable NOPE is not set');
  });

  it('fingerprints the rules and options as earlier versions did, so their state files are continued', async () => {
    const c = await load('process_names:\n  - name: "{{.Comm}}"\n    comm: [0x10, a]\n');
    assert.equal(
      c.fingerprint,
      '{"procfs":"/proc","children":true,"threads":true,"gatherSmaps":true,"recheck":false,"recheckTimeLimitMs":0,"removeEmptyGroups":false,"rules":[{"name":"{{.Comm}}","comm":[16,"a"]}]}',
    );
    assert.notEqual((await load('process_names:\n  - comm: [b]\n')).fingerprint, c.fingerprint);
  });
});
