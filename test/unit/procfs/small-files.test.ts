import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBootTime } from '../../../src/procfs/boot-time.js';
import { UINT64_MAX } from '../../../src/procfs/bytes.js';
import { parseCgroup } from '../../../src/procfs/cgroup.js';
import { parseCmdline } from '../../../src/procfs/cmdline.js';
import { parseIo } from '../../../src/procfs/io.js';
import { parseLimits } from '../../../src/procfs/limits.js';
import { parseAuxvPageSize } from '../../../src/procfs/page-size.js';
import { parseWchan } from '../../../src/procfs/wchan.js';
import { fixture, ioText, limitsText } from './fake-procfs.js';

void describe('parseIo', () => {
  void it('reads read_bytes and write_bytes, not rchar/wchar', () => {
    assert.deepEqual(parseIo(fixture('sleep/io')), { readBytes: 0, writeBytes: 0 });
    assert.deepEqual(parseIo(ioText(1814455, 4096)), { readBytes: 1814455, writeBytes: 4096 });
  });

  void it('fails when a value is missing or not a number', () => {
    assert.equal(parseIo(''), undefined);
    assert.equal(parseIo('rchar: 1\nwchar: 2\n'), undefined);
    assert.equal(parseIo(ioText(1, 2).replace('read_bytes: 1', 'read_bytes: x')), undefined);
    assert.equal(parseIo('read_bytes: 5\n'), undefined, 'write_bytes missing');
  });
});

void describe('parseLimits', () => {
  void it('reads the soft "Max open files" column', () => {
    assert.equal(parseLimits(fixture('sleep/limits')), 20000);
    assert.equal(parseLimits(fixture('kthreadd/limits')), 1024);
    assert.equal(parseLimits(limitsText(2048, 4096)), 2048);
  });

  void it('reads unlimited as 2^64-1 as a float', () => {
    assert.equal(parseLimits(limitsText('unlimited')), UINT64_MAX);
    assert.equal(UINT64_MAX, Number(2n ** 64n - 1n));
    assert.equal(String(UINT64_MAX), '18446744073709552000');
  });

  void it('reads a file without a "Max open files" line as 0, like procfs', () => {
    assert.equal(parseLimits('Limit  Soft Limit  Hard Limit  Units\nMax cpu time   unlimited   unlimited   seconds\n'), 0);
    assert.equal(parseLimits(''), 0);
  });

  void it('fails the whole file on a malformed line, like procfs', () => {
    assert.equal(parseLimits(limitsText('many')), undefined, 'soft value not a number');
    assert.equal(parseLimits(`${limitsText(1024)}garbage line\n`), undefined);
    assert.equal(parseLimits(`${limitsText(1024)}\n\n`), undefined, 'empty line');
    assert.equal(parseLimits('Limit\nMax open files  1024\n'), undefined, 'hard column missing');
  });

  void it('reads the same limit from the kernel fixed-width layout and from any other spacing', () => {
    const loose = 'Limit  Soft Limit  Hard Limit  Units\nMax cpu time  unlimited  unlimited  seconds\nMax open files\t\t4096\t8192\tfiles\n';
    assert.equal(parseLimits(loose), 4096);
    assert.equal(parseLimits(limitsText(4096, 8192)), 4096);
    assert.equal(parseLimits(limitsText('18446744073709551615')), UINT64_MAX);
  });

  void it('accepts CRLF line ends (bufio.Scanner drops the \\r)', () => {
    assert.equal(parseLimits(limitsText(77).replaceAll('\n', '\r\n')), 77);
  });
});

void describe('parseCmdline', () => {
  void it('splits argv on NUL after trimming trailing NULs', () => {
    assert.deepEqual(parseCmdline(fixture('sleep/cmdline')), ['sleep', '100']);
    assert.deepEqual(parseCmdline('bash\0-c\0tail -f /dev/null & wait\0'), ['bash', '-c', 'tail -f /dev/null & wait']);
    assert.deepEqual(parseCmdline('a\0\0b\0\0\0'), ['a', '', 'b']);
  });

  void it('reads an empty file (kernel thread, zombie) as no arguments', () => {
    assert.deepEqual(parseCmdline(fixture('kthreadd/cmdline')), []);
    assert.deepEqual(parseCmdline(''), []);
  });

  void it('reads a file of only NULs as one empty argument, like procfs', () => {
    assert.deepEqual(parseCmdline('\0\0'), ['']);
  });

  void it('keeps a rewritten argv without NULs as one argument', () => {
    assert.deepEqual(parseCmdline('nginx: master process /usr/sbin/nginx'), ['nginx: master process /usr/sbin/nginx']);
  });

  void it('decodes invalid UTF-8 as U+FFFD without merging arguments', () => {
    assert.deepEqual(parseCmdline(Buffer.from([0x61, 0xc3, 0x00, 0xff, 0x62, 0x00])), ['a\ufffd', '\ufffdb']);
  });
});

void describe('parseCgroup', () => {
  void it('reads the path of every cgroup v1 line, in file order', () => {
    const paths = parseCgroup(fixture('sleep/cgroup'));
    assert.equal(paths?.length, 10);
    assert.equal(paths[0], '/');
    assert.equal(paths[5], '/process_api/3addf659c551110f5727231e5c7efb11');
  });

  void it('reads a cgroup v2 line', () => {
    assert.deepEqual(parseCgroup('0::/system.slice/myapp.service\n'), ['/system.slice/myapp.service']);
  });

  void it('keeps colons inside the path', () => {
    assert.deepEqual(parseCgroup('0::/kubepods/pod:1:2\n5:cpu,cpuacct:/a:b\n'), ['/kubepods/pod:1:2', '/a:b']);
  });

  void it('reads an empty file as no cgroups', () => {
    assert.deepEqual(parseCgroup(''), []);
  });

  void it('fails on a line with too few fields or a non-numeric hierarchy id', () => {
    assert.equal(parseCgroup('0:/x\n'), undefined);
    assert.equal(parseCgroup('x::/\n'), undefined);
    assert.equal(parseCgroup('0::/\n\n1::/\n'), undefined, 'empty line');
  });
});

void describe('parseWchan', () => {
  void it('returns the symbol as is', () => {
    assert.equal(parseWchan(fixture('sleep/wchan')), 'hrtimer_nanosleep');
  });

  void it('reads "" and "0" as none', () => {
    assert.equal(parseWchan(''), '');
    assert.equal(parseWchan('0'), '');
    assert.equal(parseWchan('00'), '00');
  });
});

void describe('parseBootTime', () => {
  void it('reads btime from the system stat file', () => {
    assert.equal(parseBootTime('cpu  1 2 3\nintr 0\nbtime 1795268051\nprocesses 5\n'), 1795268051);
  });

  void it('does not take a line that merely starts with btime', () => {
    assert.equal(parseBootTime('btimex 5\nbtime 7\n'), 7);
  });

  void it('fails when btime is missing or malformed', () => {
    assert.equal(parseBootTime('cpu  1 2 3\n'), undefined);
    assert.equal(parseBootTime('btime soon\n'), undefined);
    assert.equal(parseBootTime(''), undefined);
  });
});

void describe('parseAuxvPageSize', () => {
  function auxv(entries: readonly (readonly [number, number])[], wordBytes: 4 | 8, littleEndian: boolean): Uint8Array {
    const view = new DataView(new ArrayBuffer(entries.length * 2 * wordBytes));
    entries.forEach(([type, value], i) => {
      const offset = i * 2 * wordBytes;
      if (wordBytes === 8) {
        view.setBigUint64(offset, BigInt(type), littleEndian);
        view.setBigUint64(offset + 8, BigInt(value), littleEndian);
      } else {
        view.setUint32(offset, type, littleEndian);
        view.setUint32(offset + 4, value, littleEndian);
      }
    });
    return new Uint8Array(view.buffer);
  }

  void it('finds AT_PAGESZ among the auxiliary vector entries', () => {
    const entries = [
      [33, 0x7fff0000],
      [16, 0xbfebfbff],
      [6, 65536],
      [0, 0],
    ] as const;
    assert.equal(parseAuxvPageSize(auxv(entries, 8, true), 8, true), 65536);
    assert.equal(parseAuxvPageSize(auxv(entries, 8, false), 8, false), 65536);
    assert.equal(parseAuxvPageSize(auxv(entries, 4, true), 4, true), 65536);
  });

  void it('stops at AT_NULL and rejects an implausible size', () => {
    assert.equal(parseAuxvPageSize(auxv([[0, 0], [6, 4096]], 8, true), 8, true), undefined);
    assert.equal(parseAuxvPageSize(auxv([[6, 3000]], 8, true), 8, true), undefined);
    assert.equal(parseAuxvPageSize(new Uint8Array(0), 8, true), undefined);
  });
});
