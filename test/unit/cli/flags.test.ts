import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs, parseGoFlags } from '../../../src/cli/flags.js';
import type { FlagSpec } from '../../../src/cli/flags.js';

const specs: FlagSpec[] = [
  { name: 'config.path', kind: 'string', help: '' },
  { name: 'threads', kind: 'bool', help: '' },
  { name: 'recheck-with-time-limit', kind: 'duration', help: '' },
];

describe('parseGoFlags', () => {
  it('accepts one or two dashes, = or a space', () => {
    for (const argv of [['-config.path', 'a.yml'], ['--config.path', 'a.yml'], ['-config.path=a.yml'], ['--config.path=a.yml']]) {
      const r = parseGoFlags(argv, specs);
      assert.ok(r.ok);
      assert.equal(r.value.values.get('config.path'), 'a.yml');
    }
  });

  it('reads booleans as -x, -x=true and -x=false but never takes the next argument', () => {
    const r = parseGoFlags(['-threads=false'], specs);
    assert.ok(r.ok);
    assert.equal(r.value.values.get('threads'), false);
    const r2 = parseGoFlags(['--threads', 'false'], specs);
    assert.ok(r2.ok);
    assert.equal(r2.value.values.get('threads'), true);
    assert.deepEqual(r2.value.positional, ['false']);
  });

  it('rejects an unknown flag with Go\'s message', () => {
    const r = parseGoFlags(['-nope'], specs);
    assert.deepEqual(r, { ok: false, error: 'flag provided but not defined: -nope' });
  });

  it('rejects a missing value and a bad boolean', () => {
    assert.equal(parseGoFlags(['--config.path'], specs).ok, false);
    assert.equal(parseGoFlags(['--threads=maybe'], specs).ok, false);
  });

  it('parses durations as Go does', () => {
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('0'), 0);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('10'), undefined);
    assert.equal(parseDurationMs(''), undefined);
    const r = parseGoFlags(['--recheck-with-time-limit=2m'], specs);
    assert.ok(r.ok);
    assert.equal(r.value.values.get('recheck-with-time-limit'), 120_000);
  });
});
