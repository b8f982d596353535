import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseByteSize, parseDurationMs } from '../../../src/base/units.js';

const durations: readonly (readonly [string, number | undefined])[] = [
  ['10s', 10_000],
  ['500ms', 500],
  ['1m', 60_000],
  ['1m30s', 90_000],
  ['2h', 7_200_000],
  ['1d', 86_400_000],
  ['1h0m5s250ms', 3_605_250],
  ['0', 0],
  ['0s', 0],
  ['', undefined],
  ['10', undefined],
  ['1.5s', undefined],
  ['-1s', undefined],
  ['5s1m', undefined],
  ['1s1s', undefined],
  ['1x', undefined],
];
for (const [text, expected] of durations) {
  void test(`parseDurationMs reads "${text}" as ${expected === undefined ? 'an error' : `${expected}ms`}`, () => {
    const r = parseDurationMs(text);
    if (expected === undefined) assert.equal(r.ok, false);
    else assert.deepEqual(r, { ok: true, value: expected });
  });
}

const sizes: readonly (readonly [number | string, number | undefined])[] = [
  [1024, 1024],
  ['1MiB', 1_048_576],
  ['512KiB', 524_288],
  ['2MB', 2_000_000],
  ['100', 100],
  ['1.5KiB', 1536],
  [-1, undefined],
  [1.5, undefined],
  ['1 PB', undefined],
  ['lots', undefined],
];
for (const [value, expected] of sizes) {
  void test(`parseByteSize reads ${JSON.stringify(value)} as ${expected === undefined ? 'an error' : `${expected} bytes`}`, () => {
    const r = parseByteSize(value);
    if (expected === undefined) assert.equal(r.ok, false);
    else assert.deepEqual(r, { ok: true, value: expected });
  });
}
