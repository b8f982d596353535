import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StaleTracker } from '../../../../src/push/remote-write/stale-tracker.js';

const s = (key: string) => ({ key, labels: [{ name: '__name__', value: key }] });

void test('staleTracker reports nothing on the first cycle', () => {
  const t = new StaleTracker();
  assert.deepEqual(t.advance([s('a'), s('b')]), []);
  assert.equal(t.size, 2);
});

void test('staleTracker reports the series sent last cycle and absent now, once', () => {
  const t = new StaleTracker();
  t.advance([s('a'), s('b'), s('c')]);
  assert.deepEqual(
    t.advance([s('b'), s('d')]).map((x) => x.key),
    ['a', 'c'],
  );
  assert.deepEqual(t.advance([s('b'), s('d')]), []);
});

void test('staleTracker treats a series that comes back as live again', () => {
  const t = new StaleTracker();
  t.advance([s('a')]);
  assert.deepEqual(
    t.advance([]).map((x) => x.key),
    ['a'],
  );
  assert.deepEqual(t.advance([s('a')]), []);
  assert.deepEqual(
    t.advance([]).map((x) => x.key),
    ['a'],
  );
});

void test('staleTracker.takeAll returns every live series for shutdown and forgets them', () => {
  const t = new StaleTracker();
  t.advance([s('a'), s('b')]);
  assert.deepEqual(
    t.takeAll().map((x) => x.key),
    ['a', 'b'],
  );
  assert.deepEqual(t.takeAll(), []);
});
