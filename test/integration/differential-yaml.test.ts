/**
 * YAML that process-exporter 0.7.10 accepts (issue 13, item 3): Debian's binary and `procpush serve`
 * read the same config over the same synthetic procfs tree and must name the same groups with the same
 * process counts. Covers aliases (one standing for a list), merge keys (one mapping, a list of them,
 * an explicit key before and after the merge, a merge at the top level), helper keys at the top level
 * that only hold anchors, a key written twice (the last wins), two documents (the first is read, the
 * second is not even parsed) and `!!binary` scalars. An unknown top-level key that holds no anchor is
 * the one case procpush refuses on purpose (docs/compatibility.md): the reference starts, procpush
 * exits 2 with the key's line and column.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parseExposition } from '../helpers/exposition-parse.js';
import { FakeProcfs, makeTreeDir } from '../helpers/fake-procfs.js';
import { PROCPUSH_CLI, procpushAvailable, REFERENCE_BIN, referenceAvailable, startProcpush, startReference } from '../helpers/servers.js';

const skip = !referenceAvailable() ? `${REFERENCE_BIN} is not installed` : !procpushAvailable() ? `${PROCPUSH_CLI} is not built (npm run build)` : false;

/** Each case: a config, and the groups (name → processes) both must report. */
const CASES: readonly { readonly title: string; readonly yaml: string; readonly groups: Readonly<Record<string, number>> }[] = [
  {
    title: 'an alias standing for a list, defined under a helper key',
    yaml: 'shells: &shells [bash, zsh]\nprocess_names:\n  - name: "sh-{{.Comm}}"\n    comm: *shells\n',
    groups: { 'sh-bash': 2, 'sh-zsh': 1 },
  },
  {
    title: 'a merge key taking a mapping from a helper key',
    yaml: 'x-base: &base\n  name: "base-{{.Comm}}"\n  comm: [sleep]\nprocess_names:\n  - <<: *base\n  - <<: *base\n    comm: [bash]\n',
    groups: { 'base-sleep': 3, 'base-bash': 2 },
  },
  {
    title: 'a merge key written after an explicit key replaces it, as yaml.v2 does',
    yaml: 'x: &x { name: "merged-{{.Comm}}" }\nprocess_names:\n  - name: "explicit-{{.Comm}}"\n    <<: *x\n    comm: [bash]\n',
    groups: { 'merged-bash': 2 },
  },
  {
    title: 'a merge key with a list of mappings: the first one wins',
    yaml: 'a: &a { name: "a-{{.Comm}}" }\nb: &b { name: "b-{{.Comm}}", comm: [sleep] }\nprocess_names:\n  - <<: [*a, *b]\n',
    groups: { 'a-sleep': 3 },
  },
  {
    title: 'a merge key at the top level',
    yaml: 'common: &common\n  process_names:\n    - name: "top-{{.Comm}}"\n      comm: [zsh]\n<<: *common\n',
    groups: { 'top-zsh': 1 },
  },
  {
    title: 'a key written twice in a rule: the last value is used',
    yaml: 'process_names:\n  - name: first\n    comm: [nosuch]\n    name: "dup-{{.Comm}}"\n    comm: [bash]\n',
    groups: { 'dup-bash': 2 },
  },
  {
    title: 'a key written twice, the last one empty: the default name',
    yaml: 'process_names:\n  - name: "x-{{.Comm}}"\n    comm: [zsh]\n    name:\n',
    groups: { zsh: 1 },
  },
  {
    title: 'two documents: the first is read, the second (not even valid YAML) is ignored',
    yaml: 'process_names:\n  - name: "doc1-{{.Comm}}"\n    comm: [sleep]\n---\nprocess_names: [\n',
    groups: { 'doc1-sleep': 3 },
  },
  {
    title: 'a !!binary name',
    yaml: `process_names:\n  - name: !!binary ${Buffer.from('bin-{{.Comm}}').toString('base64')}\n    comm: [bash]\n`,
    groups: { 'bin-bash': 2 },
  },
];

function numProcs(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parseExposition(text).samples) {
    if (s.name !== 'namedprocess_namegroup_num_procs') continue;
    const group = s.labels.groupname;
    if (group !== undefined) out[group] = s.value;
  }
  return out;
}

void describe('YAML that process-exporter accepts', { skip }, () => {
  const dir = makeTreeDir('pp-arch-yaml-');
  const root = join(dir, 'proc');
  before(() => {
    const fs = FakeProcfs.create(root, { btime: 1_700_000_000 });
    let pid = 100;
    for (const comm of ['bash', 'bash', 'zsh', 'sleep', 'sleep', 'sleep']) fs.addProcess({ pid: pid++, comm, cmdline: [`/bin/${comm}`] });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [i, c] of CASES.entries()) {
    void it(`${c.title}: the same groups as the reference`, async () => {
      const configPath = join(dir, `case${i}.yaml`);
      writeFileSync(configPath, c.yaml);
      const opts = { procfs: root, configPath, threads: false, gatherSmaps: false };
      const reference = await startReference(opts);
      const procpush = await startProcpush(opts);
      try {
        const [theirs, ours] = [numProcs(await reference.scrape()), numProcs(await procpush.scrape())];
        assert.deepEqual(theirs, c.groups, `the reference (${reference.argv.join(' ')})`);
        assert.deepEqual(ours, theirs, procpush.output());
      } finally {
        await Promise.all([reference.stop(), procpush.stop()]);
      }
    });
  }

  void it('an unknown top-level key that holds no anchor: the reference ignores it, procpush refuses it with its place and a hint', async () => {
    const configPath = join(dir, 'typo.yaml');
    writeFileSync(configPath, 'process_names:\n  - comm: [bash]\nProcess_Names:\n  - comm: [zsh]\n');
    const reference = await startReference({ procfs: root, configPath, threads: false, gatherSmaps: false });
    try {
      assert.deepEqual(numProcs(await reference.scrape()), { bash: 2 });
    } finally {
      await reference.stop();
    }
    const r = spawnSync(process.execPath, [PROCPUSH_CLI, 'serve', '--config.path', configPath, '--procfs', root], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `procpush serve: ${configPath}:3:1: Process_Names: unknown key "Process_Names"; did you mean "process_names"?\n`);
  });
});
