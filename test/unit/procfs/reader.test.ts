import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { UINT64_MAX } from '../../../src/procfs/bytes.js';
import { type ProcfsPort, ProcfsReader } from '../../../src/procfs/reader.js';
import type { MetricsRead, ProcMetrics, ProcStat } from '../../../src/procfs/types.js';
import {
  type FakeProcess,
  fixture,
  limitsText,
  smapsText,
  statLine,
  statusText,
  tempRoot,
  writeProcess,
  writeProcfs,
} from './fake-procfs.js';

const PAGE = 4096;

function okMetrics(read: MetricsRead): { metrics: ProcMetrics; partial: boolean } {
  if (read.kind !== 'ok') assert.fail(`expected an ok read, got ${JSON.stringify(read)}`);
  return { metrics: read.metrics, partial: read.partial };
}

function mustStat(reader: ProcfsReader, pid: number): ProcStat {
  const stat = reader.readStat(pid);
  assert.ok(stat, `stat of ${pid} should be readable`);
  return stat;
}

function openReader(root: string, gatherSmaps = true, fs?: ProcfsPort): ProcfsReader {
  const opened = ProcfsReader.open(fs === undefined ? { root, gatherSmaps, pageSize: PAGE } : { root, gatherSmaps, pageSize: PAGE, fs });
  assert.ok(opened.ok, opened.ok ? '' : opened.error);
  return opened.value;
}

/** node:fs, except that opening a path for which `fail` returns an errno code throws that error. */
function failingFs(fail: (path: string) => string | undefined, log?: { opened: number; closed: number }): ProcfsPort {
  return {
    openSync(path, flags) {
      const code = fail(path);
      if (code !== undefined) throw Object.assign(new Error(`${code}: simulated, open '${path}'`), { code, syscall: 'open', path });
      const fd = nodeFs.openSync(path, flags);
      if (log) log.opened++;
      return fd;
    },
    readSync: (fd, buffer, offset, length, position) => nodeFs.readSync(fd, buffer, offset, length, position),
    closeSync(fd) {
      if (log) log.closed++;
      nodeFs.closeSync(fd);
    },
    readdirSync: (path) => nodeFs.readdirSync(path),
    statSync: (path) => nodeFs.statSync(path),
  };
}

const app: FakeProcess = {
  stat: {
    pid: 100,
    comm: 'app',
    state: 'S',
    ppid: 1,
    minflt: 10,
    majflt: 2,
    utime: 150,
    stime: 25,
    numThreads: 3,
    starttime: 82375,
    vsize: 56274944,
    rss: 1981,
  },
  status: { uid: [1000, 1001, 1000, 1000], vmSwapKb: 660, voluntary: 997, nonvoluntary: 439 },
  fds: 5,
  threads: [
    { tid: 100, comm: 'app' },
    { tid: 101, comm: 'wrk-a' },
    { tid: 102, comm: 'wrk-b' },
  ],
};

void describe('ProcfsReader', () => {
  let root = '';
  let cleanup = (): void => undefined;

  beforeEach(() => {
    ({ root, cleanup } = tempRoot());
  });
  afterEach(() => {
    cleanup();
  });

  void describe('open', () => {
    void it('reads btime from <root>/stat', () => {
      writeProcfs(root, [], 1418183276);
      assert.equal(openReader(root).bootTimeSeconds, 1418183276);
    });

    void it("fails like process-exporter when the root does not exist", () => {
      const missing = join(root, 'nonexistent');
      const opened = ProcfsReader.open({ root: missing, gatherSmaps: true });
      assert.deepEqual(opened, { ok: false, error: `could not read "${missing}": stat ${missing}: no such file or directory` });
    });

    void it('fails when the root is not a directory', () => {
      const file = join(root, 'file');
      writeFileSync(file, '');
      const opened = ProcfsReader.open({ root: file, gatherSmaps: true });
      assert.deepEqual(opened, { ok: false, error: `mount point "${file}" is not a directory` });
    });

    void it('fails when <root>/stat is missing or has no btime', () => {
      const missing = ProcfsReader.open({ root, gatherSmaps: true });
      assert.ok(!missing.ok);
      assert.match(missing.error, /^couldn't read ".*\/stat": open .*\/stat: no such file or directory$/);

      writeFileSync(join(root, 'stat'), 'cpu  1 2 3\n');
      const garbage = ProcfsReader.open({ root, gatherSmaps: true });
      assert.deepEqual(garbage, { ok: false, error: `couldn't parse "${root}/stat": no valid btime line` });
    });

    void it('accepts a root with a trailing slash', () => {
      writeProcfs(root, [app]);
      assert.equal(openReader(`${root}/`).readStat(100)?.comm, 'app');
    });
  });

  void describe('listPids', () => {
    void it('lists only the numeric entries of the root', () => {
      writeProcfs(root, [app, { stat: { pid: 7, comm: 'init' } }]);
      mkdirSync(join(root, 'self'));
      mkdirSync(join(root, 'sys'));
      mkdirSync(join(root, '12ab'));
      const listed = openReader(root).listPids();
      assert.ok(listed.ok);
      assert.deepEqual([...listed.pids].sort((a, b) => a - b), [7, 100]);
    });

    void it('returns an error when the root can no longer be listed', () => {
      writeProcfs(root, []);
      const reader = openReader(root);
      rmSync(root, { recursive: true });
      const listed = reader.listPids();
      assert.ok(!listed.ok);
      assert.match(listed.error, /no such file or directory/);
    });
  });

  void describe('a fully readable process', () => {
    void it('converts every metric to process-exporter units', () => {
      writeProcfs(root, [app]);
      const reader = openReader(root);
      const stat = mustStat(reader, 100);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, stat));
      assert.equal(partial, false);
      assert.deepEqual(metrics, {
        counts: {
          cpuUser: 1.5,
          cpuSystem: 0.25,
          readBytes: 4096,
          writeBytes: 8192,
          majorPageFaults: 2,
          minorPageFaults: 10,
          ctxSwitchVoluntary: 997,
          ctxSwitchNonvoluntary: 439,
        },
        memory: {
          residentBytes: 1981 * PAGE,
          virtualBytes: 56274944,
          vmSwapBytes: 660 * 1024,
          proportionalBytes: 380 * 1024,
          proportionalSwapBytes: 12 * 1024,
        },
        openFds: 5,
        fdLimit: 1024,
        numThreads: 3,
        state: 'S',
        wchan: 'hrtimer_nanosleep',
      });
    });

    void it('reads the static data: argv, euid, cgroups and the start time', () => {
      writeProcfs(root, [app], 1418183276);
      const reader = openReader(root);
      assert.deepEqual(reader.readStatic(100, mustStat(reader, 100)), {
        comm: 'app',
        cmdline: ['/usr/bin/app', '--flag'],
        ppid: 1,
        startTimeMs: 1418183276 * 1000 + 82375 * 10,
        euid: 1001,
        cgroups: ['/system.slice/app.service'],
      });
    });

    void it('reads every thread with its own name, counts, state and wchan', () => {
      writeProcfs(root, [app]);
      const { threads, partial } = openReader(root).readThreads(100);
      assert.equal(partial, false);
      assert.deepEqual(
        threads?.map((t) => [t.tid, t.name, t.counts.cpuUser, t.counts.readBytes, t.counts.ctxSwitchVoluntary, t.state, t.wchan]).sort(),
        [
          [100, 'app', 0, 100, 100, 'S', 'futex_wait_queue'],
          [101, 'wrk-a', 0.01, 101, 101, 'S', 'futex_wait_queue'],
          [102, 'wrk-b', 0.02, 102, 102, 'S', 'futex_wait_queue'],
        ],
      );
      assert.ok(threads);
      assert.equal(threads[0]?.starttime, 82375);
    });

    void it('reads the limit "unlimited" as 2^64-1', () => {
      writeProcfs(root, [{ ...app, files: { limits: limitsText('unlimited') } }]);
      const reader = openReader(root);
      assert.equal(okMetrics(reader.readMetrics(100, mustStat(reader, 100))).metrics.fdLimit, UINT64_MAX);
    });

    void it('reads a comm containing ")" and a newline', () => {
      const comm = 'x) (y\nz)';
      writeProcfs(root, [{ stat: { pid: 5, comm, utime: 7 } }]);
      const stat = openReader(root).readStat(5);
      assert.equal(stat?.comm, comm);
      assert.equal(stat.utime, 7);
    });
  });

  void describe('soft failures: the process is kept and the read is partial', () => {
    void it('treats an io that cannot be read as 0 bytes (io is a directory: EISDIR)', () => {
      // Tests run as root, where chmod 000 denies nothing; a directory named io fails read(2) instead.
      writeProcfs(root, [{ ...app, files: { io: null } }]);
      mkdirSync(join(root, '100', 'io'));
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, true);
      assert.equal(metrics.counts.readBytes, 0);
      assert.equal(metrics.counts.writeBytes, 0);
      assert.equal(metrics.counts.cpuUser, 1.5, 'the other metrics are still read');
    });

    void it('treats io as a dangling symlink (ENOENT) as 0 bytes', () => {
      writeProcfs(root, [{ ...app, files: { io: null } }]);
      symlinkSync(join(root, 'nowhere'), join(root, '100', 'io'));
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, true);
      assert.equal(metrics.counts.readBytes, 0);
    });

    void it('treats EACCES on io and fd (another user, not root) as partial with fd count -1', () => {
      writeProcfs(root, [app]);
      const denied: ProcfsPort = {
        ...failingFs((path) => (path.endsWith('/io') ? 'EACCES' : undefined)),
        readdirSync(path) {
          if (path.endsWith('/fd')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          return nodeFs.readdirSync(path);
        },
      };
      const reader = openReader(root, true, denied);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, true);
      assert.equal(metrics.openFds, -1);
      assert.equal(metrics.counts.writeBytes, 0);
    });

    void it('treats garbage in io as partial', () => {
      writeProcfs(root, [{ ...app, files: { io: 'read_bytes: lots\n' } }]);
      const reader = openReader(root);
      assert.equal(okMetrics(reader.readMetrics(100, mustStat(reader, 100))).partial, true);
    });

    void it('reads a kernel thread: no cmdline, no VmSwap, smaps_rollup fails with ESRCH', () => {
      writeProcfs(root, []);
      const dir = join(root, '2');
      mkdirSync(join(dir, 'fd'), { recursive: true });
      for (const name of ['stat', 'status', 'io', 'limits', 'cgroup', 'wchan', 'cmdline']) {
        writeFileSync(join(dir, name), fixture(`kthreadd/${name}`));
      }
      writeFileSync(join(dir, 'smaps'), smapsText([[99, 99]])); // must not be used: ESRCH is not ENOENT
      const reader = openReader(root, true, failingFs((path) => (path.endsWith('/smaps_rollup') ? 'ESRCH' : undefined)));
      const stat = mustStat(reader, 2);
      const { metrics, partial } = okMetrics(reader.readMetrics(2, stat));
      assert.equal(partial, true);
      assert.equal(metrics.memory.vmSwapBytes, 0);
      assert.equal(metrics.memory.proportionalBytes, 0);
      assert.equal(metrics.memory.residentBytes, 0);
      assert.equal(metrics.wchan, 'kthreadd');
      assert.deepEqual(reader.readStatic(2, stat)?.cmdline, []);
    });

    void it('reads wchan "0" as none without marking the read partial', () => {
      writeProcfs(root, [{ ...app, files: { wchan: '0' } }]);
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(metrics.wchan, '');
      assert.equal(partial, false);
    });

    void it('treats a missing wchan as partial', () => {
      writeProcfs(root, [{ ...app, files: { wchan: null } }]);
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(metrics.wchan, '');
      assert.equal(partial, true);
    });

    void it('treats a missing fd directory as partial with fd count -1', () => {
      writeProcfs(root, [app]);
      rmSync(join(root, '100', 'fd'), { recursive: true });
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(metrics.openFds, -1);
      assert.equal(partial, true);
    });

    void it('shares one frozen cgroup list and one comm string between processes with the same bytes', () => {
      const v1 = '12:pids:/system.slice/app.service\n0::/system.slice/app.service\n';
      writeProcfs(root, [
        { ...app, files: { cgroup: v1 } },
        { stat: { pid: 8, comm: 'app' }, files: { cgroup: v1 } },
        { stat: { pid: 9, comm: 'app' }, files: { cgroup: '0::/system.slice/other.service\n' } },
      ]);
      const reader = openReader(root);
      const a = reader.readStatic(100, mustStat(reader, 100));
      const b = reader.readStatic(8, mustStat(reader, 8));
      const c = reader.readStatic(9, mustStat(reader, 9));
      assert.ok(a && b && c);
      assert.deepEqual(a.cgroups, ['/system.slice/app.service', '/system.slice/app.service']);
      assert.equal(b.cgroups, a.cgroups);
      assert.ok(Object.isFrozen(a.cgroups));
      assert.deepEqual(c.cgroups, ['/system.slice/other.service']);
      assert.equal(b.comm, 'app');
      assert.equal(c.comm, 'app');
    });

    void it('uses [] when cgroup is unreadable or malformed', () => {
      writeProcfs(root, [{ ...app, files: { cgroup: null } }, { stat: { pid: 8, comm: 'b' }, files: { cgroup: 'garbage\n' } }]);
      const reader = openReader(root);
      assert.deepEqual(reader.readStatic(100, mustStat(reader, 100))?.cgroups, []);
      assert.deepEqual(reader.readStatic(8, mustStat(reader, 8))?.cgroups, []);
    });
  });

  void describe('smaps', () => {
    void it('falls back to summing smaps when smaps_rollup does not exist', () => {
      writeProcfs(root, [{ ...app, files: { smaps_rollup: null, smaps: fixture('sleep/smaps') } }]);
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, false);
      assert.equal(metrics.memory.proportionalBytes, 277 * 1024);
      assert.equal(metrics.memory.proportionalSwapBytes, 0);
    });

    void it('reads an smaps of several MB through the one growing buffer', () => {
      const mappings = Array.from({ length: 12000 }, (_, i) => [i % 7, i % 3] as const);
      const text = smapsText(mappings);
      assert.ok(text.length > 2_000_000);
      writeProcfs(root, [{ ...app, files: { smaps_rollup: null, smaps: text } }]);
      const reader = openReader(root);
      const { metrics } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      const pss = mappings.reduce((sum, [p]) => sum + p, 0);
      const swapPss = mappings.reduce((sum, [, s]) => sum + s, 0);
      assert.equal(metrics.memory.proportionalBytes, pss * 1024);
      assert.equal(metrics.memory.proportionalSwapBytes, swapPss * 1024);
      // The buffer still holds correct small files afterwards.
      assert.equal(reader.readStat(100)?.comm, 'app');
    });

    void it('is partial when neither smaps_rollup nor smaps exists', () => {
      writeProcfs(root, [{ ...app, files: { smaps_rollup: null } }]);
      const reader = openReader(root);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, true);
      assert.equal(metrics.memory.proportionalBytes, 0);
    });

    void it('is not read at all without gatherSmaps', () => {
      writeProcfs(root, [{ ...app, files: { smaps_rollup: null } }]);
      const reader = openReader(root, false);
      const { metrics, partial } = okMetrics(reader.readMetrics(100, mustStat(reader, 100)));
      assert.equal(partial, false);
      assert.equal(metrics.memory.proportionalBytes, 0);
      assert.equal(metrics.memory.proportionalSwapBytes, 0);
    });
  });

  void describe('hard failures', () => {
    void it('handles a pid that vanished between listPids and the reads', () => {
      writeProcfs(root, [app]);
      const reader = openReader(root);
      const listed = reader.listPids();
      assert.ok(listed.ok && listed.pids.includes(100));
      const stat = mustStat(reader, 100);
      rmSync(join(root, '100'), { recursive: true });

      assert.equal(reader.readStat(100), undefined);
      assert.deepEqual(reader.readMetrics(100, stat), { kind: 'failed', vanished: true });
      assert.deepEqual(reader.readThreads(100), { threads: undefined, partial: true });
      assert.equal(reader.readStatic(100, stat), undefined);
    });

    void it('reports a vanished process when status disappears (ENOENT)', () => {
      writeProcfs(root, [{ ...app, files: { status: null } }]);
      const reader = openReader(root);
      assert.deepEqual(reader.readMetrics(100, mustStat(reader, 100)), { kind: 'failed', vanished: true });
    });

    void it('reports a vanished process when a read fails with ESRCH', () => {
      writeProcfs(root, [app]);
      const reader = openReader(root, true, failingFs((path) => (path.endsWith('/limits') ? 'ESRCH' : undefined)));
      assert.deepEqual(reader.readMetrics(100, mustStat(reader, 100)), { kind: 'failed', vanished: true });
    });

    void it('reports an unreadable, not vanished, process when status or limits cannot be read or parsed', () => {
      writeProcfs(root, [
        { ...app, files: { status: null } },
        { stat: { pid: 8, comm: 'b' }, files: { limits: 'Limit\nnonsense\n' } },
        { stat: { pid: 9, comm: 'c' }, files: { status: 'Uid:\tnobody\n' } },
      ]);
      mkdirSync(join(root, '100', 'status')); // EISDIR
      const reader = openReader(root, true, failingFs((path) => (path.endsWith('/9/limits') ? 'EACCES' : undefined)));
      assert.deepEqual(reader.readMetrics(100, mustStat(reader, 100)), { kind: 'failed', vanished: false });
      assert.deepEqual(reader.readMetrics(8, mustStat(reader, 8)), { kind: 'failed', vanished: false });
      assert.deepEqual(reader.readMetrics(9, mustStat(reader, 9)), { kind: 'failed', vanished: false });
    });

    void it('returns undefined for an unreadable /proc/<pid> (EACCES) or garbage stat', () => {
      writeProcfs(root, [app, { stat: { pid: 8, comm: 'b' }, files: { stat: 'garbage' } }]);
      const reader = openReader(root, true, failingFs((path) => (path.includes('/100/') ? 'EACCES' : undefined)));
      assert.equal(reader.readStat(100), undefined);
      assert.equal(reader.readStat(8), undefined);
      assert.equal(reader.readStat(12345), undefined);
    });

    void it('returns no static data when cmdline or status is unreadable', () => {
      writeProcfs(root, [{ ...app, files: { cmdline: null } }, { stat: { pid: 8, comm: 'b' }, files: { status: null } }]);
      const reader = openReader(root);
      assert.equal(reader.readStatic(100, mustStat(reader, 100)), undefined);
      assert.equal(reader.readStatic(8, mustStat(reader, 8)), undefined);
    });
  });

  void describe('threads', () => {
    void it('returns undefined for a process with a single thread', () => {
      writeProcfs(root, [{ ...app, threads: [{ tid: 100, comm: 'app' }] }]);
      assert.deepEqual(openReader(root).readThreads(100), { threads: undefined, partial: false });
    });

    void it('skips threads whose stat or status cannot be read', () => {
      writeProcfs(root, [
        {
          ...app,
          threads: [
            { tid: 100, comm: 'app' },
            { tid: 101, comm: 'gone', files: { status: null } },
            { tid: 102, comm: 'broken', files: { stat: 'garbage' } },
            { tid: 103, comm: 'wrk' },
          ],
        },
      ]);
      const { threads, partial } = openReader(root).readThreads(100);
      assert.equal(partial, false);
      assert.deepEqual(threads?.map((t) => t.name).sort(), ['app', 'wrk']);
    });

    void it('returns undefined when fewer than two threads are readable', () => {
      writeProcfs(root, [
        {
          ...app,
          threads: [
            { tid: 100, comm: 'app' },
            { tid: 101, comm: 'gone', files: { status: null } },
          ],
        },
      ]);
      assert.deepEqual(openReader(root).readThreads(100), { threads: undefined, partial: false });
    });

    void it('reads 0 bytes for a thread whose io is unreadable, without a partial error', () => {
      writeProcfs(root, [
        {
          ...app,
          threads: [
            { tid: 100, comm: 'app', files: { io: null, wchan: null } },
            { tid: 101, comm: 'wrk' },
          ],
        },
      ]);
      const { threads, partial } = openReader(root).readThreads(100);
      assert.equal(partial, false);
      const main = threads?.find((t) => t.tid === 100);
      assert.equal(main?.counts.readBytes, 0);
      assert.equal(main.wchan, '');
    });

    void it('is partial when task/ cannot be listed', () => {
      writeProcfs(root, [{ ...app, threads: [] }]);
      assert.deepEqual(openReader(root).readThreads(100), { threads: undefined, partial: true });
    });
  });

  void describe('edge cases', () => {
    void it('reads a zombie: empty cmdline, no io, empty smaps_rollup', () => {
      writeProcfs(root, [
        {
          stat: { pid: 77, comm: 'defunct', state: 'Z', utime: 3 },
          files: { cmdline: '', io: null, smaps_rollup: '' },
          fds: 0,
        },
      ]);
      const reader = openReader(root);
      const stat = mustStat(reader, 77);
      const { metrics, partial } = okMetrics(reader.readMetrics(77, stat));
      assert.equal(metrics.state, 'Z');
      assert.equal(metrics.openFds, 0);
      assert.equal(partial, true, 'io is missing');
      assert.deepEqual(reader.readStatic(77, stat)?.cmdline, []);
    });

    void it('reads a cmdline larger than the initial buffer, and cuts it at 1 MiB like procfs', () => {
      const long = 'x'.repeat(300_000);
      const huge = 'y'.repeat(1024 * 1024 + 5000);
      writeProcfs(root, [
        { ...app, files: { cmdline: `prog\0${long}\0` } },
        { stat: { pid: 8, comm: 'b' }, files: { cmdline: `prog\0${huge}\0` } },
      ]);
      const reader = openReader(root);
      assert.deepEqual(reader.readStatic(100, mustStat(reader, 100))?.cmdline, ['prog', long]);
      const cut = reader.readStatic(8, mustStat(reader, 8))?.cmdline;
      assert.equal(cut?.[1]?.length, 1024 * 1024 - 'prog\0'.length);
    });

    void it('reuses the status read by readMetrics for readStatic of the same stat', () => {
      writeProcfs(root, [app]);
      const log = { opened: 0, closed: 0 };
      const reader = openReader(root, true, failingFs(() => undefined, log));
      const stat = mustStat(reader, 100);
      okMetrics(reader.readMetrics(100, stat));
      unlinkSync(join(root, '100', 'status'));
      assert.equal(reader.readStatic(100, stat)?.euid, 1001);
      // A different stat object (next cycle) reads status again, which is gone now.
      assert.equal(reader.readStatic(100, mustStat(reader, 100)), undefined);
    });

    void it('closes every file it opens, including after a failed read', () => {
      writeProcfs(root, [app]);
      unlinkSync(join(root, '100', 'task', '101', 'io'));
      mkdirSync(join(root, '100', 'task', '101', 'io')); // opens, then read(2) fails with EISDIR
      const log = { opened: 0, closed: 0 };
      const reader = openReader(root, true, failingFs(() => undefined, log));
      const stat = mustStat(reader, 100);
      reader.readMetrics(100, stat);
      reader.readThreads(100);
      reader.readStatic(100, stat);
      assert.ok(log.opened > 10);
      assert.equal(log.closed, log.opened);
    });

    void it('never throws, whatever the files contain', () => {
      const junk = Buffer.from([0xff, 0x28, 0x29, 0x0a, 0x00, 0x3a, 0x09]);
      const files = Object.fromEntries(
        ['stat', 'status', 'io', 'limits', 'wchan', 'cmdline', 'cgroup', 'smaps_rollup'].map((name) => [name, junk]),
      );
      writeProcfs(root, [{ ...app, files }]);
      writeFileSync(join(root, '100', 'stat'), statLine(app.stat)); // so that the other reads happen
      const reader = openReader(root);
      const stat = mustStat(reader, 100);
      assert.deepEqual(reader.readMetrics(100, stat), { kind: 'failed', vanished: false });
      writeFileSync(join(root, '100', 'status'), statusText());
      writeFileSync(join(root, '100', 'limits'), limitsText(10));
      const { partial } = okMetrics(reader.readMetrics(100, stat));
      assert.equal(partial, true);
      assert.deepEqual(reader.readStatic(100, stat)?.cgroups, []);
      reader.readThreads(100);
    });

    void it('adds processes written after open', () => {
      writeProcfs(root, []);
      const reader = openReader(root);
      writeProcess(root, app);
      assert.equal(reader.readStat(100)?.comm, 'app');
    });
  });
});
