import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { writeJsonChunked } from '../../../src/base/memory.js';

function chunked(value: unknown, chunkChars: number): { text: string; pieces: string[] } {
  const pieces: string[] = [];
  writeJsonChunked((t) => pieces.push(t), value, chunkChars);
  return { text: pieces.join(''), pieces };
}

describe('writeJsonChunked', () => {
  it('writes exactly JSON.stringify\'s text for any JSON value, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 300 }), (value, size) => {
        assert.equal(chunked(value, size).text, JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  it('drops undefined, functions and symbols from objects and writes them as null in arrays, as JSON.stringify', () => {
    const value = { a: undefined, b: () => 1, c: Symbol('x'), d: [undefined, () => 1, Symbol('y'), NaN, -0, Infinity], e: 'é\u2028"\\' };
    assert.equal(chunked(value, 4).text, JSON.stringify(value));
  });

  it('hands over pieces of about the chunk size, never the whole document at once', () => {
    const value = { tracked: Array.from({ length: 2000 }, (_, i) => ({ pid: i, group: `g${i % 7}`, cmdline: ['sleep', String(i)] })) };
    const { text, pieces } = chunked(value, 4096);
    assert.equal(text, JSON.stringify(value));
    assert.ok(pieces.length > 10);
    for (const p of pieces.slice(0, -1)) assert.ok(p.length >= 4096 && p.length < 4096 + 200, `piece of ${p.length}`);
  });
});
