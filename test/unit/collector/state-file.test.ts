import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState } from '../../../src/collector/state-file.js';
import type { CollectorSnapshot } from '../../../src/collector/collector.js';

const snapshot: CollectorSnapshot = {
  version: 1,
  grouper: { tracker: { firstUpdateAtMs: 1, tracked: [], ignored: ['5:100'], procIds: [[5, '5:100']] }, groupAccum: [], threadAccum: [] },
  counters: { scrapeErrors: 0, procReadErrors: 2, partialErrors: 3 },
};

describe('state file', () => {
  it('round-trips a snapshot with its fingerprint, written atomically (no temporary file left)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-state-'));
    const path = join(dir, 'sub', 'state.json');
    saveState(path, snapshot, 1234, 'rules-a');
    assert.deepEqual(loadState(path), { kind: 'ok', snapshot, savedAtMs: 1234, fingerprint: 'rules-a' });
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['state.json']);
  });

  it('reports a missing file as missing and garbage as corrupt, never throwing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-state-'));
    assert.deepEqual(loadState(join(dir, 'nope.json')), { kind: 'missing' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"procpush-state"');
    assert.equal(loadState(bad).kind, 'corrupt');
    writeFileSync(bad, '{"format":"other"}');
    assert.equal(loadState(bad).kind, 'corrupt');
    assert.equal(loadState(dir).kind, 'corrupt'); // a directory
  });
});
