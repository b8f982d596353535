import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSmaps, parseSmapsRollup } from '../../../src/procfs/smaps.js';
import { fixture, smapsRollupText, smapsText } from './fake-procfs.js';

void describe('parseSmapsRollup', () => {
  void it('reads Pss and SwapPss in bytes from a captured smaps_rollup', () => {
    assert.deepEqual(parseSmapsRollup(fixture('sleep/smaps_rollup')), { pssBytes: 287 * 1024, swapPssBytes: 0 });
  });

  void it('does not mistake Pss_Anon, Pss_File or Pss_Dirty for Pss', () => {
    assert.deepEqual(parseSmapsRollup(smapsRollupText(29944, 1940)), { pssBytes: 29944 * 1024, swapPssBytes: 1940 * 1024 });
  });

  void it('reads an empty file, or one with only the header, as zero (a zombie has no memory)', () => {
    assert.deepEqual(parseSmapsRollup(''), { pssBytes: 0, swapPssBytes: 0 });
    assert.deepEqual(parseSmapsRollup('55f69ae6b000-7ffcdce87000 ---p 00000000 00:00 0 [rollup]\n'), {
      pssBytes: 0,
      swapPssBytes: 0,
    });
  });

  void it('fails on a malformed line, like procfs', () => {
    assert.equal(parseSmapsRollup(`${smapsRollupText(1, 2)}Garbage\n`), undefined);
    assert.equal(parseSmapsRollup(`${smapsRollupText(1, 2)}Pss: many kB\n`), undefined);
  });
});

void describe('parseSmaps (fallback when smaps_rollup does not exist)', () => {
  void it('sums Pss and SwapPss over every mapping of a captured smaps', () => {
    // 277 kB summed per mapping; the kernel's own rollup said 287 kB because it rounds once, not per mapping.
    assert.deepEqual(parseSmaps(fixture('sleep/smaps')), { pssBytes: 277 * 1024, swapPssBytes: 0 });
  });

  void it('skips mapping headers and VmFlags lines', () => {
    assert.deepEqual(
      parseSmaps(
        smapsText([
          [8, 0],
          [20, 4],
          [100, 16],
        ]),
      ),
      { pssBytes: 128 * 1024, swapPssBytes: 20 * 1024 },
    );
  });

  void it('reads an empty smaps as zero', () => {
    assert.deepEqual(parseSmaps(''), { pssBytes: 0, swapPssBytes: 0 });
  });

  void it('fails on a line that is neither a header nor Key: value', () => {
    assert.equal(parseSmaps(`${smapsText([[1, 1]])}Pss:  x kB\n`), undefined);
    assert.equal(parseSmaps(`${smapsText([[1, 1]])}Nonsense\n`), undefined);
  });
});
