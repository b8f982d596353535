/**
 * `procpush once --state` run twice gives the same counters as `procpush serve` scraped twice on the
 * same tree: the state file carries the tracker exactly as a long-running agent keeps it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { FakeProcfs } from '../helpers/fake-procfs.js';
import { parseExposition } from '../helpers/receivers.js';
import { startProcpush } from '../helpers/servers.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procpush-once-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function series(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of parseExposition(text)) {
    if (!s.name.startsWith('namedprocess_')) continue;
    const labels = Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1));
    out.set(`${s.name}${JSON.stringify(labels)}`, s.value);
  }
  return out;
}

/** Builds the same tree in `dir`; `step` applies the changes between the two reported cycles. */
const now = Date.now();

function tree(dir: string): { step: () => void } {
  const fs = FakeProcfs.create(dir, { btime: Math.floor(now / 1000) - 86_400 });
  const old = fs.ticksAt(now - 3_600_000);
  fs.addProcess({ pid: 10, comm: 'app', cmdline: ['app'], starttime: old, utime: 100, readBytes: 10 });
  fs.addProcess({ pid: 11, comm: 'kid', cmdline: ['kid'], ppid: 10, starttime: old, utime: 5 });
  fs.addProcess({ pid: 20, comm: 'db', cmdline: ['db'], starttime: old, threads: [{ tid: 21, name: 'io', utime: 7 }, { tid: 22, name: 'io', utime: 9 }] });
  return {
    step: () => {
      fs.update(10, { utime: 175, readBytes: 4106 });
      fs.update(11, { utime: 25 });
      fs.updateThread(20, 21, { utime: 57 });
      fs.addProcess({ pid: 30, comm: 'app', cmdline: ['app', '--worker'], starttime: fs.ticksAt(now + 3_600_000), utime: 40 });
      fs.remove(11);
    },
  };
}

it('continues the counters across once runs exactly like serve across scrapes', async () => {
  const cfg = join(work, 'cfg.yaml');
  writeFileSync(cfg, 'process_names:\n  - name: "{{.Comm}}"\n    comm: [app, db]\n');

  const serveTree = join(work, 'serve-proc');
  const s = tree(serveTree);
  const server = await startProcpush({ procfs: serveTree, configPath: cfg });
  let serveOut: string[];
  try {
    const first = await server.scrape();
    s.step();
    serveOut = [first, await server.scrape()];
  } finally {
    await server.stop();
  }

  const onceTree = join(work, 'once-proc');
  const o = tree(onceTree);
  const state = join(work, 'state', 'procpush.state');
  const runOnce = (): string => {
    const r = spawnSync(process.execPath, [CLI, 'once', '--config.path', cfg, '--procfs', onceTree, '--state', state], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const first = runOnce();
  o.step();
  const second = runOnce();

  assert.deepEqual(series(first), series(serveOut[0] ?? ''));
  assert.deepEqual(series(second), series(serveOut[1] ?? ''));
  // The counters did move, so the comparison is not between two idle outputs.
  assert.equal(series(second).get('namedprocess_namegroup_cpu_seconds_total[["groupname","app"],["mode","user"]]'), '1.15'); // pid 10: +0.75; pid 30 (started after the agent): its whole 0.4; kid exited before its delta was read
});
