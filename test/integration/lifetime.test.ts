/**
 * The agent's lifetime against the real Debian Prometheus (and Pushgateway), started on 127.0.0.1:
 * a restart that continues the state leaves no hole (no stale NaN in the TSDB, no gap over two
 * intervals, a firing `num_procs == 0` alert never resolves); a restart during an outage stores every
 * cycle, in order; counters never decrease after a SIGKILL between two checkpoints (processes exited
 * meanwhile, one of them after the last cycle); `retire` ends the series and deletes the group; with a
 * healthy receiver the queue directory is never written and the state costs a few pages per checkpoint.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CLI, eventually, points, segments, startAgent, stopAgent, type AgentProcess } from '../helpers/agent-process.js';
import { FakeProcfs } from '../helpers/fake-procfs.js';
import { binaryAvailable, PROMETHEUS_BIN, PUSHGATEWAY_BIN, startPrometheus, startPushgateway, type RestartableReceiver } from '../helpers/receivers.js';
import { freePort } from '../helpers/servers.js';

const PROMTOOL = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';
const work = mkdtempSync(join(tmpdir(), 'pp-lifetime-it-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

const SKIP = binaryAvailable(PROMETHEUS_BIN) && binaryAvailable(PROMTOOL) ? false : `${PROMETHEUS_BIN} or ${PROMTOOL} not installed`;

function tree(name: string): { root: string; fs: FakeProcfs } {
  const root = join(work, name);
  const now = Date.now();
  const fs = FakeProcfs.create(root, { btime: Math.floor(now / 1000) - 86_400 });
  return { root, fs };
}

function config(name: string, body: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, body);
  return path;
}

function rw(url: string, extra = ''): string {
  return `  - type: remote_write\n    name: central\n    url: ${url}/api/v1/write\n    timeout: 500ms\n    send_deadline: 900ms\n    retry: { min_backoff: 100ms, max_backoff: 500ms, max_retries: 1 }\n${extra}`;
}

/**
 * Samples `promtool tsdb dump` prints for a node's namedprocess_* series whose value is NaN (a stale
 * marker), at or after `fromMs`.
 */
function staleMarkers(rx: RestartableReceiver, node: string, fromMs: number): string[] {
  const r = spawnSync(PROMTOOL, ['tsdb', 'dump', join(rx.dataDir, 'data')], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => {
    const m = / NaN (\d+)$/.exec(l);
    return m !== null && Number(m[1]) >= fromMs && l.startsWith('{__name__="namedprocess_') && l.includes(`node="${node}"`);
  });
}

async function seriesOf(rx: RestartableReceiver, match: string): Promise<string[]> {
  const r = await rx.get(`/api/v1/series?match[]=${encodeURIComponent(match)}&start=${String(Date.now() / 1000 - 600)}`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { data: Record<string, string>[] };
  return body.data.map((labels) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`);
}

async function alertState(rx: RestartableReceiver, name: string): Promise<string> {
  const r = await rx.get('/api/v1/alerts');
  const body = JSON.parse(r.body) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
  return body.data.alerts.find((a) => a.labels['alertname'] === name)?.state ?? 'inactive';
}

function logged(a: AgentProcess, msg: string): Record<string, unknown> | undefined {
  for (const line of a.log().split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // a partial line
    }
  }
  return undefined;
}

describe('agent lifetime against real Prometheus', { skip: SKIP }, () => {
  it('a restart that continues the state: no stale NaN, no gap over two intervals, the firing alert never resolves', { timeout: 180_000 }, async () => {
    const rules = 'groups:\n  - name: procpush\n    rules:\n      - alert: NoProcs\n        expr: namedprocess_namegroup_num_procs{groupname="gone"} == 0\n        for: 3s\n';
    const rx = await startPrometheus({ rules, evaluationIntervalS: 1 });
    const { root, fs } = tree('restart');
    const old = fs.ticksAt(Date.now() - 3_600_000);
    fs.addProcess({ pid: 10, comm: 'app', cmdline: ['app'], starttime: old, utime: 100 });
    fs.addProcess({ pid: 20, comm: 'gone', cmdline: ['gone'], starttime: old, utime: 5 });
    const state = join(work, 'restart-state', 'procpush.state');
    const interval = 2;
    const cfg = config('restart', `process_names:\n  - name: "{{.Comm}}"\n    comm: [app, gone]\nschedule: { interval: ${interval}s }\nstate_file: ${state}\nlabels: { node: r1 }\nsinks:\n${rw(rx.url)}`);
    let a = startAgent(cfg, root);
    const ctx = (): string => `agent:\n${a.log().slice(-4000)}\nprometheus:\n${rx.output().slice(-2000)}`;
    try {
      await eventually('the group at Prometheus', 120, async () => ((await points(rx, 'namedprocess_namegroup_num_procs{node="r1",groupname="gone"}')).length >= 2 ? true : undefined), ctx);
      fs.remove(20);
      await eventually('the NoProcs alert firing', 120, async () => ((await alertState(rx, 'NoProcs')) === 'firing' ? true : undefined), ctx);
      await new Promise((r) => setTimeout(r, 3000)); // firing for a few evaluations before the stop
      // Watch the alert through the restart: every answer must say firing.
      const states: string[] = [];
      const watching = { on: true };
      const watcher = (async () => {
        // Bounded: 600 polls at most (2 min).
        for (let i = 0; i < 600 && watching.on; i++) {
          states.push(await alertState(rx, 'NoProcs'));
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      fs.update(10, { utime: 300 });
      const stopAt = Date.now();
      assert.equal(await stopAgent(a), 0, ctx());
      const stopped = logged(a, 'stopped');
      assert.deepEqual({ clean: stopped?.['clean'], stateSaved: stopped?.['stateSaved'], seriesEnded: stopped?.['seriesEnded'] }, { clean: true, stateSaved: true, seriesEnded: false }, ctx());
      a = startAgent(cfg, root);
      await eventually('3 cycles of the restarted agent', 120, () => (a.cycles() >= 3 ? true : undefined), ctx);
      await new Promise((r) => setTimeout(r, 2000)); // two more rule evaluations
      watching.on = false;
      await watcher;
      assert.ok(states.length >= 10, `${states.length} polls`);
      assert.deepEqual([...new Set(states)], ['firing'], `alert states across the restart: ${states.join(',')}`);
      assert.match(a.log(), /tracker state restored: counters continue/);
      // ALERTS as Prometheus recorded it: firing at every step from just before the stop on.
      const start = Math.floor(stopAt / 1000) - 1;
      const end = Math.floor(Date.now() / 1000) - 1;
      const q = `/api/v1/query_range?query=${encodeURIComponent('ALERTS{alertname="NoProcs",alertstate="firing"}')}&start=${String(start)}&end=${String(end)}&step=1`;
      const range = JSON.parse((await rx.get(q)).body) as { data: { result: { values: [number, string][] }[] } };
      assert.equal(range.data.result[0]?.values.length, end - start + 1, 'ALERTS firing at every step');

      // No series has a gap over two intervals; the counter went on from where it was.
      const all = await seriesOf(rx, '{__name__=~"namedprocess_.+",node="r1"}');
      assert.ok(all.length > 10, all.join('\n'));
      for (const s of all) {
        const p = await points(rx, s);
        for (let i = 1; i < p.length; i++) {
          const gap = (p[i]?.timeMs ?? 0) - (p[i - 1]?.timeMs ?? 0);
          assert.ok(gap <= 2 * interval * 1000, `${s}: ${gap} ms between two points at the restart`);
        }
      }
      const cpu = (await points(rx, 'namedprocess_namegroup_cpu_seconds_total{node="r1",groupname="app",mode="user"}')).map((p) => p.value);
      for (let i = 1; i < cpu.length; i++) assert.ok((cpu[i] ?? 0) >= (cpu[i - 1] ?? 0), `decrease: ${cpu.join(',')}`);
      assert.ok(cpu.includes(2), cpu.join(','));
      assert.equal(await stopAgent(a), 0, ctx());
      // The TSDB itself: not one stale NaN for the node's namedprocess series from the last cycle
      // before the restart on (the group that lost its process had its wchan series ended before).
      await rx.pause();
      assert.deepEqual(staleMarkers(rx, 'r1', stopAt - interval * 1000), []);
    } finally {
      await stopAgent(a, 'SIGKILL');
      await rx.stop();
    }
  });

  it('a restart during an outage (queue.dir): SIGTERM exits at once, and afterwards every cycle of both runs is stored, in order', { timeout: 180_000 }, async () => {
    const rx = await startPrometheus();
    const { root, fs } = tree('outage-restart');
    fs.addProcess({ pid: 100, comm: 'sshd', cmdline: ['/usr/sbin/sshd'], starttime: fs.ticksAt(Date.now() + 3_600_000), utime: 10 });
    const dir = join(work, 'outage-restart-queue');
    const cfg = config(
      'outage-restart',
      `process_names:\n  - name: "{{.Comm}}"\n    cmdline: ['.+']\nschedule: { interval: 1s }\nstate_file: ${join(work, 'outage-restart-state')}\n` +
        `labels: { node: r2 }\nshutdown: { timeout: 30s }\nsinks:\n${rw(rx.url, `    queue: { dir: ${dir} }\n`)}`,
    );
    let a = startAgent(cfg, root);
    const logs: string[] = [];
    const ctx = (): string => `${logs.join('\n---\n')}\ncurrent agent:\n${a.log().slice(-4000)}\nprometheus:\n${rx.output().slice(-2000)}`;
    try {
      await eventually('3 cycles at Prometheus', 120, async () => ((await points(rx, 'procpush_cycles_total{node="r2"}')).length >= 3 ? true : undefined), ctx);
      await rx.pause();
      const downAt = a.cycles();
      await eventually('3 cycles during the outage', 120, () => (a.cycles() >= downAt + 3 ? true : undefined), ctx);
      const t0 = Date.now();
      assert.equal(await stopAgent(a), 0, ctx());
      const stopMs = Date.now() - t0;
      // shutdown.timeout is 30 s: the stop did not wait for the receiver.
      assert.ok(stopMs < 5000, `SIGTERM to exit took ${stopMs} ms`);
      assert.match(a.log(), /undelivered batches kept in the queue directory/);
      const firstRun = a.cycles();
      logs.push(a.log().slice(-4000));
      a = startAgent(cfg, root);
      await eventually('3 cycles of the second run during the outage', 120, () => (a.cycles() >= 3 ? true : undefined), ctx);
      await rx.resume();
      const upAt = a.cycles();
      const stored = await eventually('both runs stored and 2 more cycles', 160, async () => {
        const p = await points(rx, 'procpush_cycles_total{node="r2"}');
        const segs = segments(p.map((x) => x.value));
        return segs.length === 2 && (segs[1]?.length ?? 0) >= upAt + 2 ? p : undefined;
      }, ctx);
      assert.equal(await stopAgent(a), 0, ctx());
      const [first, second] = segments(stored.map((p) => p.value));
      assert.ok((first?.length ?? 0) >= firstRun, `first run: ${first?.length} stored, ${firstRun} logged`);
      assert.ok((second?.length ?? 0) >= upAt + 2);
      for (let i = 1; i < stored.length; i++) assert.ok((stored[i]?.timeMs ?? 0) > (stored[i - 1]?.timeMs ?? 0), 'in order');
      const gauge = await points(rx, 'namedprocess_namegroup_num_procs{node="r2",groupname="sshd"}');
      assert.deepEqual(
        gauge.filter((p) => p.timeMs <= (stored[stored.length - 1]?.timeMs ?? 0)).map((p) => p.timeMs),
        stored.map((p) => p.timeMs),
      );
      assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.rwq')), []);
      console.log(`restart during an outage: SIGTERM to exit ${stopMs} ms; stored ${first?.length}+${second?.length} cycles, no gap`);
    } finally {
      await stopAgent(a, 'SIGKILL');
      await rx.stop();
    }
  });

  it('SIGKILL between two checkpoints, with processes exited meanwhile (one after the last cycle): counters never decrease', { timeout: 180_000 }, async () => {
    const rx = await startPrometheus();
    const { root, fs } = tree('kill');
    const old = fs.ticksAt(Date.now() - 3_600_000);
    const utime = new Map([
      [10, 1000],
      [11, 1000],
      [12, 1000],
    ]);
    for (const [pid, u] of utime) fs.addProcess({ pid, comm: 'work', cmdline: ['work'], starttime: old, utime: u });
    const grow = (pid: number, ticks: number): void => {
      const u = (utime.get(pid) ?? 0) + ticks;
      utime.set(pid, u);
      fs.update(pid, { utime: u });
    };
    const state = join(work, 'kill-state', 'procpush.state');
    const cfg = config(
      'kill',
      `process_names:\n  - name: "{{.Comm}}"\n    comm: [work]\nschedule: { interval: 1s }\nstate_file: ${state}\nstate_checkpoint: 10m\nlabels: { node: r3 }\nsinks:\n${rw(rx.url)}`,
    );
    const selector = 'namedprocess_namegroup_cpu_seconds_total{node="r3",groupname="work",mode="user"}';
    const last = async (): Promise<number> => (await points(rx, selector)).at(-1)?.value ?? -1;
    let a = startAgent(cfg, root);
    const ctx = (): string => `agent:\n${a.log().slice(-4000)}\nprometheus:\n${rx.output().slice(-2000)}`;
    try {
      await eventually('the first checkpoint and pushes', 120, async () => (existsSync(state) && (await last()) >= 0 ? true : undefined), ctx);
      const base = await last();
      // After the checkpoint: all three grow; 11 exits once its growth was pushed (the journal sees it go).
      grow(10, 100);
      grow(11, 200);
      grow(12, 300);
      await eventually('the growth pushed', 80, async () => ((await last()) >= base + 6 - 1e-9 ? true : undefined), ctx);
      fs.remove(11);
      const cycle = a.cycles();
      await eventually('a cycle without 11', 80, () => (a.cycles() >= cycle + 2 ? true : undefined), ctx);
      // 12 grows, is pushed, and exits after the last cycle, right before the kill: nobody sees it go.
      grow(12, 50);
      await eventually('the second growth pushed', 80, async () => ((await last()) >= base + 6.5 - 1e-9 ? true : undefined), ctx);
      fs.remove(12);
      const beforeKill = await last();
      assert.equal(await stopAgent(a, 'SIGKILL'), null);
      a = startAgent(cfg, root);
      grow(10, 400);
      // The restore: the checkpoint, plus the 2 s of 11 (journal), plus the 5 s of 10 since the
      // checkpoint; the 3.5 s of 12 since the checkpoint are lost (it left after the last cycle) and the
      // floor (the value last pushed) keeps the counter from going below what Prometheus has.
      const expected = beforeKill + 0.5;
      await eventually('the restored agent pushing', 120, async () => (Math.abs((await last()) - expected) < 1e-9 ? true : undefined), () => `${String(expected)}\n${ctx()}`);
      const restored = logged(a, 'tracker state restored: counters continue');
      assert.ok(restored !== undefined && Number(restored['journalRecords']) > 0, ctx());
      const now = a.cycles();
      await eventually('2 more cycles', 80, () => (a.cycles() >= now + 2 ? true : undefined), ctx);
      const all = (await points(rx, selector)).map((p) => p.value);
      for (let i = 1; i < all.length; i++) assert.ok((all[i] ?? 0) >= (all[i - 1] ?? 0) - 1e-9, `decrease at ${i}: ${all.join(',')}`);
      assert.ok(Math.abs((all.at(-1) ?? 0) - expected) < 1e-9, all.join(','));
      assert.equal(await stopAgent(a), 0, ctx());
    } finally {
      await stopAgent(a, 'SIGKILL');
      await rx.stop();
    }
  });

  it('with a healthy receiver the queue directory is never written, and the state costs a few pages per checkpoint', { timeout: 120_000 }, async (t) => {
    const rx = await startPrometheus();
    const { root, fs } = tree('writes');
    for (let pid = 100; pid < 400; pid++) fs.addProcess({ pid, comm: `p${pid % 7}`, cmdline: ['x'], starttime: fs.ticksAt(Date.now() - 60_000), utime: pid });
    const dir = join(work, 'writes-queue');
    mkdirSync(dir, { recursive: true });
    const state = join(work, 'writes-state', 'procpush.state');
    const cfg = config(
      'writes',
      `process_names:\n  - name: "{{.Comm}}"\n    cmdline: ['.+']\nschedule: { interval: 1s }\nstate_file: ${state}\nstate_checkpoint: 4s\nlabels: { node: r5 }\nsinks:\n${rw(rx.url, `    queue: { dir: ${dir} }\n`)}`,
    );
    const queued: string[] = [];
    const watcher = watch(dir, (_event, name) => {
      if (name !== null && name.includes('.rwq')) queued.push(name);
    });
    const a = startAgent(cfg, root);
    const ctx = (): string => `agent:\n${a.log().slice(-4000)}`;
    const writeBytes = (): number => Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${String(a.child.pid)}/io`, 'utf8'))?.[1] ?? NaN);
    try {
      await eventually('2 cycles', 80, () => (a.cycles() >= 2 && existsSync(state) ? true : undefined), ctx);
      const c0 = a.cycles();
      const w0 = writeBytes();
      await eventually('12 more cycles', 120, () => (a.cycles() >= c0 + 12 ? true : undefined), ctx);
      const w1 = writeBytes();
      const cycles = a.cycles() - c0;
      assert.deepEqual(queued, [], 'no queue file while the receiver takes everything');
      const pages = (bytes: number): number => Math.ceil(bytes / 4096) * 4096;
      const checkpoints = Math.ceil(cycles / 4) + 1;
      // Per checkpoint: the state file and the journal's new header; per cycle: the journal's page.
      const bound = checkpoints * (pages(statSync(state).size) + 4096) + cycles * 4096;
      if (w1 - w0 === 0 && w0 === 0) {
        t.skip(`write_bytes stays 0 on this filesystem (${work}): the kernel does not account its writes`);
        return;
      }
      assert.ok(w1 - w0 <= bound, `${w1 - w0} bytes written in ${cycles} cycles; bound ${bound}`);
      console.log(`healthy receiver: ${w1 - w0} bytes written in ${cycles} cycles of 300 processes (state ${statSync(state).size} bytes, checkpoint every 4 s)`);
    } finally {
      watcher.close();
      await stopAgent(a);
      await rx.stop();
    }
  });
});

describe('retire against real Prometheus and the Pushgateway', { skip: SKIP === false && binaryAvailable(PUSHGATEWAY_BIN) ? false : `${PROMETHEUS_BIN}, ${PROMTOOL} or ${PUSHGATEWAY_BIN} not installed` }, () => {
  it('a stop keeps the series; retire ends them (stale markers), deletes the group, removes state and queue; exit 1 while a receiver is down', { timeout: 180_000 }, async () => {
    const rx = await startPrometheus();
    const gw = await startPushgateway();
    const { root, fs } = tree('retire');
    fs.addProcess({ pid: 10, comm: 'app', cmdline: ['app'], starttime: fs.ticksAt(Date.now() - 60_000), utime: 10 });
    const state = join(work, 'retire-state', 'procpush.state');
    const dir = join(work, 'retire-queue');
    const port = await freePort();
    const cfg = config(
      'retire',
      `process_names:\n  - name: "{{.Comm}}"\n    comm: [app]\nschedule: { interval: 1s }\nstate_file: ${state}\nlisten: 127.0.0.1:${port}\nlabels: { node: r4 }\nshutdown: { timeout: 2s }\n` +
        `sinks:\n${rw(rx.url, `    queue: { dir: ${dir} }\n`)}  - type: pushgateway\n    name: gw\n    url: ${gw.url}\n    delete_on_shutdown: true\n    timeout: 500ms\n`,
    );
    const nowSeries = async (): Promise<number> => {
      const r = JSON.parse((await rx.get(`/api/v1/query?query=${encodeURIComponent('namedprocess_namegroup_num_procs{node="r4"}')}`)).body) as { data: { result: unknown[] } };
      return r.data.result.length;
    };
    const group = async (): Promise<boolean> => (await gw.get('/api/v1/metrics')).body.includes('"instance":"r4"');
    const a = startAgent(cfg, root);
    const ctx = (): string => `agent:\n${a.log().slice(-4000)}`;
    const retire = (): { status: number | null; out: string } => {
      const r = spawnSync(process.execPath, [CLI, 'retire', '--config.path', cfg, '--procfs', root], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    try {
      await eventually('series at both receivers', 120, async () => ((await nowSeries()) === 1 && (await group()) ? true : undefined), ctx);
      // 503 before the first cycle is long gone; /healthz is fine.
      assert.equal((await fetch(`http://127.0.0.1:${String(port)}/healthz`)).status, 200);
      assert.equal(await stopAgent(a), 0, ctx());
      // A stop with the state saved ends nothing: the series and the group stay for the next start.
      assert.equal(await nowSeries(), 1);
      assert.equal(await group(), true);
      assert.ok(existsSync(state));

      await rx.pause();
      const failed = retire();
      assert.equal(failed.status, 1, failed.out);
      assert.match(failed.out, /retire: not taken by this sink; state and queue kept/);
      assert.ok(existsSync(state), 'the state stays for the next try');
      await rx.resume();

      const done = retire();
      assert.equal(done.status, 0, done.out);
      assert.match(done.out, /retired: series ended, state and queues removed/);
      await eventually('the series ended at Prometheus', 40, async () => ((await nowSeries()) === 0 ? true : undefined));
      await eventually('the group gone from the Pushgateway', 40, async () => ((await group()) ? undefined : true));
      assert.equal(existsSync(state), false);
      assert.equal(existsSync(dir), false);
    } finally {
      await stopAgent(a, 'SIGKILL');
      await rx.stop();
      await gw.stop();
    }
  });
});

describe('signals during startup', () => {
  it('SIGHUP while the state is restored and the first cycle runs waits for them, then reloads; SIGTERM then stops cleanly', { timeout: 180_000 }, async () => {
    const { root, fs } = tree('startup');
    // Enough processes that the startup (startup cycle, then the first cycle) takes a while.
    for (let pid = 1000; pid < 3000; pid++) fs.addProcess({ pid, comm: `c${pid % 13}`, cmdline: ['x'], starttime: fs.ticksAt(Date.now() - 60_000), utime: pid });
    const cfg = config('startup', `process_names:\n  - name: "{{.Comm}}"\n    cmdline: ['.+']\nschedule: { interval: 1s }\nstate_file: ${join(work, 'startup-state')}\n`);
    let a = startAgent(cfg, root);
    const ctx = (): string => `agent:\n${a.log().slice(-4000)}`;
    try {
      await eventually('the state opened', 200, () => (a.log().includes('"msg":"no state file yet; starting fresh"') ? true : undefined), ctx);
      a.child.kill('SIGHUP');
      await eventually('the reload once started', 200, () => (a.log().includes('"msg":"config reloaded"') ? true : undefined), ctx);
      // The signal came during the startup (which Node's default for SIGHUP would have ended with
      // exit 129); it was handled once the first cycle was done.
      assert.equal(a.child.exitCode, null, 'alive');
      assert.ok(a.log().indexOf('"msg":"config reloaded"') > a.log().indexOf('"cycle":1,'), ctx());
      const cycles = a.cycles();
      await eventually('cycles after the reload', 80, () => (a.cycles() >= cycles + 2 ? true : undefined), ctx);
      assert.equal(await stopAgent(a), 0, ctx());

      a = startAgent(cfg, root);
      await eventually('the state restored', 200, () => (a.log().includes('"msg":"tracker state restored: counters continue"') ? true : undefined), ctx);
      a.child.kill('SIGTERM');
      assert.equal(await a.exited, 0, ctx());
      const stopped = logged(a, 'stopped');
      assert.equal(stopped?.['clean'], true, ctx());
      assert.ok(a.cycles() >= 1, 'the first cycle ran before the stop');
    } finally {
      await stopAgent(a, 'SIGKILL');
    }
  });
});
