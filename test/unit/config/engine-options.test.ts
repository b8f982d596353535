/**
 * The collection keys are validated by procpush's own validator (config/schema.ts, engine-options.ts)
 * so that no command loads zod. zod is the oracle here: the validator must accept exactly what the old
 * zod schema accepted and word its type and range errors the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';

import { parseConfigText } from '../../../src/config/load.js';
import { ENGINE_OPTION_KEYS, validateEngineOptions } from '../../../src/config/engine-options.js';
import { parseByteSize, parseDurationMs } from '../../../src/base/units.js';

/** The schema the engine keys had before procpush's own validator (src/config/agent-config.ts at 172ffdb). */
const duration = z.string().refine((s) => parseDurationMs(s).ok, { message: 'expected a duration such as 15s, 500ms, 1m' });
const byteSize = z.union([z.number(), z.string()]).refine((v) => parseByteSize(v).ok, { message: 'bytes' });
const oracle = z
  .object({
    procfs: z.string().min(1).optional(),
    children: z.boolean().optional(),
    threads: z.boolean().optional(),
    gather_smaps: z.boolean().optional(),
    recheck: z.boolean().optional(),
    recheck_with_time_limit: duration.optional(),
    remove_empty_groups: z.boolean().optional(),
    smaps_max_rss: byteSize.optional(),
    smaps_every: z.number().int().min(1).max(1_000_000).optional(),
    cycle_time_budget: duration.optional(),
  })
  .strict();

const RULES = 'process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".+"]\n';

const SAMPLE_VALUES: readonly unknown[] = [null, 'x', '', '15s', '1GiB', 'huge', 0, 1, 1.5, 4, 2_000_000, -3, true, false, [], ['a'], {}, { a: 1 }, Infinity, -Infinity, NaN];

describe('engine option keys', () => {
  it('are the keys of the zod schema they replace', () => {
    assert.deepEqual([...ENGINE_OPTION_KEYS], Object.keys(oracle.shape));
  });

  it('accept exactly the values zod accepted, key by key', () => {
    for (const key of ENGINE_OPTION_KEYS) {
      for (const value of SAMPLE_VALUES) {
        const ours = validateEngineOptions({ [key]: value });
        const theirs = oracle.safeParse({ [key]: value });
        assert.equal(ours.issues.length === 0, theirs.success, `${key}: ${String(value)}`);
        if (theirs.success) assert.deepEqual(ours.options, theirs.data);
      }
    }
  });

  it('word type and range errors as zod does in the other sections (byte sizes say what a size looks like)', () => {
    for (const key of ENGINE_OPTION_KEYS) {
      for (const value of SAMPLE_VALUES) {
        const theirs = oracle.safeParse({ [key]: value });
        if (theirs.success) continue;
        const [ours] = validateEngineOptions({ [key]: value }).issues;
        assert.ok(ours !== undefined);
        assert.equal(ours.key, key);
        if (key === 'smaps_max_rss') assert.match(ours.message, /^expected bytes: an integer, or a number with B, KB/);
        else assert.equal(ours.message, theirs.error.issues[0]?.message, `${key}: ${String(value)}`);
      }
    }
  });

  it('accept and reject any mapping as zod did, and never throw', () => {
    const entry = fc.tuple(fc.constantFrom(...ENGINE_OPTION_KEYS, 'bogus', 'listen_address'), fc.jsonValue());
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const raw = Object.fromEntries(entries);
        const ours = validateEngineOptions(raw);
        const theirs = oracle.safeParse(raw);
        assert.equal(ours.issues.length === 0, theirs.success);
        if (theirs.success) assert.deepEqual(ours.options, theirs.data);
      }),
      { numRuns: 2000 },
    );
  });

  it('report every unknown key at its own line, where zod reported only the first', () => {
    const r = parseConfigText(`${RULES}bogus: 1\nthreads: false\nalso_bogus: 2\n`, 'c.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.error.map((i) => `${i.file}:${i.line}:${i.column}: ${i.field}: ${i.message}`),
      ['c.yaml:4:1: bogus: unknown key "bogus"', 'c.yaml:6:1: also_bogus: unknown key "also_bogus"'],
    );
  });

  it('report a key left empty (null) rather than taking the default', () => {
    const r = parseConfigText(`${RULES}threads:\n`, 'c.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(r.error.map((i) => [i.line, i.field, i.message]), [[4, 'threads', 'Invalid input: expected boolean, received null']]);
  });

  it('pass valid values through unchanged', () => {
    const r = parseConfigText(`${RULES}procfs: /host/proc\nthreads: false\nsmaps_max_rss: 512MiB\nsmaps_every: 3\ncycle_time_budget: 2s\n`, 'c.yaml');
    assert.ok(r.ok);
    assert.deepEqual(r.value.engine, { procfs: '/host/proc', threads: false, smaps_max_rss: '512MiB', smaps_every: 3, cycle_time_budget: '2s' });
  });
});
