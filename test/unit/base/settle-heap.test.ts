import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectStartupGarbage } from '../../../src/base/memory.js';

/** Objects that survive young-generation collections, so that only a full collection frees them. */
function promotedGarbage(): { items: object[] } {
  const holder = { items: [] as object[] };
  for (let i = 0; i < 60_000; i++) holder.items.push({ i, s: `item ${i}`, list: [i, i + 1, i + 2] });
  return holder;
}

describe('collectStartupGarbage', () => {
  it('frees old-generation garbage that young collections never reach, without exposing gc globally', async () => {
    let holder: { items: object[] } | undefined = promotedGarbage();
    // Let scavenges promote it: allocate young garbage while the holder is alive.
    let young = 0;
    for (let round = 0; round < 20; round++) for (let i = 0; i < 20_000; i++) young += [round, i, `${i}`].length;
    assert.equal(young, 20 * 20_000 * 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(holder.items.length === 60_000);
    holder = undefined;
    const before = process.memoryUsage().heapUsed;
    assert.equal(collectStartupGarbage(), true);
    const freed = before - process.memoryUsage().heapUsed;
    assert.ok(freed > 4 * 1024 * 1024, `freed ${freed} bytes`);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
    // A second call works the same (the function is kept).
    assert.equal(collectStartupGarbage(), true);
  });
});
