import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { hostPageSize } from '../../../src/procfs/page-size.js';
import { ProcfsReader } from '../../../src/procfs/reader.js';

void describe('ProcfsReader on the live /proc', () => {
  void it('finds a spawned sleep with its comm, argv and metrics', async () => {
    const opened = ProcfsReader.open({ root: '/proc', gatherSmaps: true });
    assert.ok(opened.ok, opened.ok ? '' : opened.error);
    const reader = opened.value;
    assert.ok(reader.bootTimeSeconds > 1_000_000_000);

    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = child.pid;
      assert.ok(pid !== undefined, 'sleep should have started');

      // Right after fork the child is still a copy of node; wait for the exec and its first page faults.
      let stat = reader.readStat(pid);
      for (let i = 0; i < 200 && (stat?.comm !== 'sleep' || stat.rss === 0); i++) {
        await sleep(10);
        stat = reader.readStat(pid);
      }
      assert.ok(stat);
      assert.equal(stat.comm, 'sleep');
      assert.equal(stat.ppid, process.pid);

      const listed = reader.listPids();
      assert.ok(listed.ok);
      assert.ok(listed.pids.includes(pid));
      assert.ok(listed.pids.includes(process.pid));

      const info = reader.readStatic(pid, stat);
      assert.ok(info);
      assert.deepEqual(info.cmdline, ['sleep', '30']);
      assert.equal(info.comm, 'sleep');
      const startSeconds = info.startTimeMs / 1000;
      assert.ok(Math.abs(startSeconds - Date.now() / 1000) < 120, `start time ${startSeconds} should be about now`);

      const read = reader.readMetrics(pid, stat);
      assert.ok(read.kind === 'ok');
      assert.ok(read.metrics.memory.residentBytes > 0);
      assert.ok(read.metrics.memory.virtualBytes > 0);
      assert.ok(read.metrics.fdLimit > 0);
      assert.equal(read.metrics.numThreads, 1);
      assert.equal(reader.readThreads(pid).threads, undefined, 'sleep is single-threaded');

      // This node process has several threads (libuv pool, V8 workers).
      const self = reader.readStat(process.pid);
      assert.ok(self);
      assert.ok((reader.readThreads(process.pid).threads?.length ?? 0) >= 2);
    } finally {
      child.kill('SIGKILL');
    }
  });

  void it('reads the host page size from the auxiliary vector, as getconf does', () => {
    const getconf = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    assert.equal(hostPageSize(), getconf);
  });
});
