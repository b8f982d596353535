/**
 * The config keys of the agent's lifetime: `state_checkpoint` and `shutdown.stale_markers`
 * (auto | always | never, with the deprecated booleans still accepted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { err, ok, type Result } from '../../../src/base/result.js';
import type { AgentSections } from '../../../src/config/agent-sections.js';
import type { ConfigIssue } from '../../../src/config/issues.js';
import { parseConfigText } from '../../../src/config/load.js';

function sections(yaml: string): Result<AgentSections, readonly ConfigIssue[]> {
  const r = parseConfigText(`process_names: []\n${yaml}`, 'cfg.yaml');
  return r.ok ? ok(r.value.agent) : err(r.error);
}

describe('lifetime config keys', () => {
  it('defaults: a checkpoint every 60 s, stale markers auto', () => {
    const r = sections('');
    assert.ok(r.ok);
    assert.equal(r.value.stateCheckpointMs, 60_000);
    assert.deepEqual(r.value.shutdown, { timeoutMs: 10_000, staleMarkers: 'auto', staleMarkersBoolean: false });
  });

  it('shutdown.stale_markers: auto, always, never; true and false as the deprecated always and never', () => {
    for (const [text, policy, boolean] of [
      ['auto', 'auto', false],
      ['always', 'always', false],
      ['never', 'never', false],
      ['true', 'always', true],
      ['false', 'never', true],
    ] as const) {
      const r = sections(`shutdown:\n  stale_markers: ${text}\n`);
      assert.ok(r.ok, text);
      assert.equal(r.value.shutdown.staleMarkers, policy);
      assert.equal(r.value.shutdown.staleMarkersBoolean, boolean);
    }
    const bad = sections('shutdown:\n  stale_markers: sometimes\n');
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.error.map((i) => [i.line, i.field, i.message]),
      [[3, 'shutdown.stale_markers', 'expected auto, always or never']],
    );
  });

  it('state_checkpoint: a duration, 0s for every cycle; anything else is located', () => {
    const every = sections('state_checkpoint: 0s\n');
    assert.ok(every.ok && every.value.stateCheckpointMs === 0);
    const five = sections('state_checkpoint: 5m\n');
    assert.ok(five.ok && five.value.stateCheckpointMs === 300_000);
    const bad = sections('labels: {}\nstate_checkpoint: soon\n');
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.error.map((i) => [i.line, i.field]),
      [[3, 'state_checkpoint']],
    );
  });
});
