import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStat, scanStat, StatScan } from '../../../src/procfs/stat.js';
import { fixture, statLine } from './fake-procfs.js';

void describe('parseStat', () => {
  void it('reads every field process-exporter uses from a captured sleep process', () => {
    const stat = parseStat(fixture('sleep/stat'));
    assert.deepEqual(stat, {
      pid: 5626,
      comm: 'sleep',
      state: 'S',
      ppid: 5622,
      minflt: 127,
      majflt: 0,
      utime: 0,
      stime: 0,
      numThreads: 1,
      starttime: 43733,
      vsize: 2990080,
      rss: 420,
    });
  });

  void it('maps proc(5) field numbers to the right properties', () => {
    const line = statLine({
      pid: 42,
      comm: 'app',
      state: 'R',
      ppid: 7,
      minflt: 10,
      majflt: 12,
      utime: 14,
      stime: 15,
      numThreads: 20,
      starttime: 22,
      vsize: 23,
      rss: 24,
    });
    assert.deepEqual(parseStat(line), {
      pid: 42,
      comm: 'app',
      state: 'R',
      ppid: 7,
      minflt: 10,
      majflt: 12,
      utime: 14,
      stime: 15,
      numThreads: 20,
      starttime: 22,
      vsize: 23,
      rss: 24,
    });
  });

  void it('takes comm between the first ( and the last ), keeping spaces and parentheses', () => {
    assert.equal(parseStat(statLine({ pid: 584, comm: 'a b ) ( c d) ' }))?.comm, 'a b ) ( c d) ');
    assert.equal(parseStat(statLine({ pid: 1, comm: ') ) )' }))?.comm, ') ) )');
    assert.equal(parseStat(statLine({ pid: 1, comm: '((' }))?.comm, '((');
  });

  void it('keeps a newline inside comm', () => {
    const stat = parseStat(statLine({ pid: 9, comm: 'evil\n1 (x) R', rss: 5 }));
    assert.equal(stat?.comm, 'evil\n1 (x) R');
    assert.equal(stat.rss, 5);
  });

  void it('accepts an empty comm', () => {
    assert.equal(parseStat(statLine({ pid: 9, comm: '' }))?.comm, '');
  });

  void it('reads a kernel thread (no memory, ppid 0)', () => {
    const stat = parseStat(fixture('kthreadd/stat'));
    assert.equal(stat?.comm, 'kthreadd');
    assert.equal(stat.ppid, 0);
    assert.equal(stat.vsize, 0);
    assert.equal(stat.rss, 0);
    assert.equal(stat.starttime, 22);
  });

  void it('reads a zombie', () => {
    const stat = parseStat('77 (defunct) Z 1 77 77 0 -1 4227084 1 0 0 0 3 4 0 0 20 0 1 0 500 0 0 18446744073709551615 0 0\n');
    assert.equal(stat?.state, 'Z');
    assert.equal(stat.utime, 3);
    assert.equal(stat.vsize, 0);
  });

  void it('uses the given pid instead of the first field, as procfs does', () => {
    assert.equal(parseStat(statLine({ pid: 1, comm: 'x' }), 4242)?.pid, 4242);
    assert.equal(parseStat('junk (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6 7', 3)?.pid, 3);
  });

  void it('accepts signed fields with a sign but not unsigned ones', () => {
    const base = statLine({ pid: 5, comm: 'x' });
    assert.ok(parseStat(base.replace(' -5 ', ' -19 ')));
    const parts = base.split(' ');
    parts[9] = '-1'; // field 10, minflt, is %lu
    assert.equal(parseStat(parts.join(' ')), undefined);
  });

  void it('returns undefined for garbage and truncated input', () => {
    const full = statLine({ pid: 5, comm: 'x', rss: 24 });
    assert.equal(parseStat(''), undefined);
    assert.equal(parseStat('garbage'), undefined);
    assert.equal(parseStat('5 (x'), undefined);
    assert.equal(parseStat('5 x) S 1'), undefined);
    assert.equal(parseStat(') 5 ('), undefined);
    assert.equal(parseStat('5 (x)'), undefined);
    assert.equal(parseStat(full.replace(' 4194304 ', ' flags ')), undefined);
    // Cut right after vsize (field 23): rss is missing.
    const fields = full.split(' ');
    assert.equal(parseStat(fields.slice(0, 23).join(' ')), undefined);
    assert.ok(parseStat(fields.slice(0, 24).join(' ')));
    assert.equal(parseStat('x (y) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6 7'), undefined, 'non-numeric pid');
  });

  void it('decodes comm as UTF-8, turning invalid bytes into U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('1 (caf\u00e9 '), Buffer.from([0xff, 0xc3]), Buffer.from(') S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 6 7\n')]);
    assert.equal(parseStat(bytes)?.comm, 'caf\u00e9 \ufffd\ufffd');
  });

  void it('ignores bytes after the given end (a reused read buffer)', () => {
    const line = statLine({ pid: 5, comm: 'short', rss: 9 });
    const buf = Buffer.alloc(4096, 0x29); // stale ')' bytes after the content
    buf.write(line);
    const scan = new StatScan();
    assert.equal(scanStat(buf, Buffer.byteLength(line), 5, scan), true);
    assert.equal(buf.toString('utf8', scan.commStart, scan.commEnd), 'short');
    assert.equal(scan.rss, 9);
  });
});
