import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { COLLECTION_FLAGS } from '../../../src/config/flags.js';
import { parseGoFlags } from '../../../src/cli/flags.js';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'procpush-guardrails-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const RULES = 'process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".+"]\n';

async function engineOf(yaml: string) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, RULES + yaml);
  const flags = parseGoFlags(['--config.path', file], COLLECTION_FLAGS);
  assert.ok(flags.ok);
  const config = await loadConfig({ flags: flags.value.values });
  assert.ok(config.ok);
  return config.value.collection;
}

describe('guardrail config keys', () => {
  it('default to process-exporter behaviour: no RSS limit, smaps every cycle, no budget', async () => {
    const e = await engineOf('');
    assert.equal(e.smapsMaxRssBytes, Infinity);
    assert.equal(e.smapsEvery, 1);
    assert.equal(e.cycleTimeBudgetMs, 0);
  });

  it('read sizes with units, a cycle count and a duration', async () => {
    const e = await engineOf('smaps_max_rss: 1GiB\nsmaps_every: 4\ncycle_time_budget: 2s500ms\n');
    assert.equal(e.smapsMaxRssBytes, 1024 ** 3);
    assert.equal(e.smapsEvery, 4);
    assert.equal(e.cycleTimeBudgetMs, 2500);
    assert.equal((await engineOf('smaps_max_rss: 104857600\n')).smapsMaxRssBytes, 100 * 1024 * 1024);
  });

  it('reject bad values with the line and the key', () => {
    const r = parseConfigText(`${RULES}smaps_max_rss: huge\nsmaps_every: 0\ncycle_time_budget: 5\n`, 'c.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.error.map((i) => [i.line, i.field]),
      [
        [4, 'smaps_max_rss'],
        [5, 'smaps_every'],
        [6, 'cycle_time_budget'],
      ],
    );
  });
});
