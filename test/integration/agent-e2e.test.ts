/**
 * End to end: `procpush run` (the built CLI) on a synthetic procfs tree pushes to the real Debian
 * Prometheus, VictoriaMetrics and Pushgateway on 127.0.0.1; what the receivers store must equal what
 * `procpush once --output -` prints for the same tree, plus the node / ip / instance labels.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeProcfs } from '../helpers/fake-procfs.js';
import { parseExposition } from '../helpers/receivers.js';
import type { Receiver } from '../helpers/receivers.js';
import {
  binaryAvailable,
  instantQuery,
  PROMETHEUS_BIN,
  PUSHGATEWAY_BIN,
  startPrometheus,
  startPushgateway,
  startVictoriaMetrics,
  VICTORIA_METRICS_BIN,
} from '../helpers/receivers.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procpush-e2e-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

const NOW = Date.now();

/** A small tree: processes started in the future of the agent's start count their whole lifetime. */
function buildTree(dir: string): FakeProcfs {
  const btime = Math.floor(NOW / 1000) - 86_400;
  const fs = FakeProcfs.create(dir, { btime });
  const later = fs.ticksAt(NOW + 3_600_000);
  fs.addProcess({ pid: 100, comm: 'sshd', cmdline: ['/usr/sbin/sshd', '-D'], starttime: later, utime: 150, stime: 20, readBytes: 4096, writeBytes: 8192, rss: 300, fds: 7 });
  fs.addProcess({ pid: 101, comm: 'sshd', cmdline: ['sshd: root@pts/0'], ppid: 100, starttime: later, utime: 30, rss: 200, fds: 5 });
  fs.addProcess({
    pid: 200,
    comm: 'java',
    cmdline: ['java', '-jar', 'app.jar'],
    starttime: later,
    utime: 1000,
    stime: 400,
    rss: 5000,
    threads: [
      { tid: 201, name: 'wrk-a', utime: 300, ctxVol: 40 },
      { tid: 202, name: 'wrk-a', utime: 200, ctxVol: 10 },
      { tid: 203, name: 'gc', utime: 100, ctxVol: 3 },
    ],
  });
  return fs;
}

function writeConfig(name: string, sinks: string, node: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `process_names:\n  - name: "{{.Comm}}"\n    cmdline: ['.+']\nschedule: { interval: 1s }\nstate_file: ""\nlabels: { node: ${node}, ip: 192.0.2.10, team: infra }\nsinks:\n${sinks}`,
  );
  return path;
}

/** `procpush once --output -` on the tree with the same rules and no sinks: the expected values. */
function expectedSeries(procfs: string): Map<string, number> {
  const cfg = writeConfig('once', '  []\n', 'n0');
  const r = spawnSync(process.execPath, [CLI, 'once', '--config.path', cfg, '--procfs', procfs, '--output', '-'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, number>();
  for (const s of parseExposition(r.stdout)) {
    if (!s.name.startsWith('namedprocess_namegroup_')) continue;
    out.set(key(s.name, s.labels), Number(s.value));
  }
  return out;
}

function key(name: string, labels: Readonly<Record<string, string>>): string {
  const rest = Object.entries(labels)
    .filter(([k]) => !['node', 'ip', 'instance', 'team', 'job', '__name__'].includes(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `${name}{${rest.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

function startAgent(cfg: string, procfs: string): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  let log = '';
  const child = spawn(process.execPath, [CLI, 'run', '--config.path', cfg, '--procfs', procfs, '--log.level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  return { child, log: () => log, exited };
}

async function stopAgent(a: ReturnType<typeof startAgent>): Promise<number | null> {
  a.child.kill('SIGTERM');
  const timer = setTimeout(() => a.child.kill('SIGKILL'), 15_000);
  const code = await a.exited;
  clearTimeout(timer);
  return code;
}

/** A port on 127.0.0.1 that nothing listens on (bound then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => { resolve(); }));
  assert.ok(addr !== null && typeof addr === 'object');
  return addr.port;
}

/** Values of one series over the last 2 minutes, in time order (the raw samples, via a range selector). */
async function rangeValues(receiver: Receiver, selector: string): Promise<number[]> {
  const r = await receiver.get(`/api/v1/query?query=${encodeURIComponent(`${selector}[2m]`)}&time=${String(Date.now() / 1000)}`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { data: { result: { values: [number, string][] }[] } };
  return (body.data.result[0]?.values ?? []).map(([, v]) => Number(v));
}

/** Polls `check` every 250 ms, at most `attempts` times. */
async function eventually<T>(what: string, attempts: number, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const target of [
  { name: 'Prometheus', bin: PROMETHEUS_BIN, start: startPrometheus, flush: (): Promise<void> => Promise.resolve() },
  {
    name: 'VictoriaMetrics',
    bin: VICTORIA_METRICS_BIN,
    start: startVictoriaMetrics,
    flush: async (r: Receiver) => {
      await r.get('/internal/force_flush');
    },
  },
]) {
  describe(`procpush run → ${target.name} remote write`, { skip: binaryAvailable(target.bin) ? false : `${target.bin} not installed` }, () => {
    it('stores every namedprocess series with node, ip and instance labels and the values once prints; stale on shutdown', async () => {
      const receiver = await target.start();
      const procfs = join(work, `tree-${target.name}`);
      buildTree(procfs);
      const expected = expectedSeries(procfs);
      assert.ok(expected.size > 30, `expected many series, got ${expected.size}`);
      // A second sink whose receiver is down must not cost the first one a single cycle.
      const dead = await closedPort();
      const cfg = writeConfig(
        `rw-${target.name}`,
        `  - type: remote_write\n    url: ${receiver.url}/api/v1/write\n    timeout: 2s\n    send_deadline: 900ms\n` +
          `  - type: remote_write\n    name: down\n    url: http://127.0.0.1:${dead}/api/v1/write\n    timeout: 500ms\n    send_deadline: 900ms\n`,
        'n1',
      );
      const agent = startAgent(cfg, procfs);
      try {
        const got = await eventually('the pushed series', 120, async () => {
          await target.flush(receiver);
          const res = await instantQuery(receiver, '{__name__=~"namedprocess_namegroup_.+",node="n1"}', Date.now());
          return res.length >= expected.size ? res : undefined;
        });
        const stored = new Map<string, number>();
        for (const s of got) {
          assert.equal(s.labels['ip'], '192.0.2.10');
          assert.equal(s.labels['instance'], 'n1');
          assert.equal(s.labels['team'], 'infra');
          stored.set(key(s.labels['__name__'] ?? '', s.labels), Number(s.value));
        }
        assert.deepEqual([...stored.keys()].sort(), [...expected.keys()].sort());
        for (const [k, v] of expected) assert.equal(stored.get(k), v, k);
        // Every cycle reached the live receiver: procpush_cycles_total went 1, 2, 3… with no gap.
        const cycles = await eventually('4 cycles at the live receiver', 120, async () => {
          await target.flush(receiver);
          const v = await rangeValues(receiver, 'procpush_cycles_total{node="n1"}');
          return v.length >= 4 ? v : undefined;
        });
        assert.deepEqual(cycles, cycles.map((_, i) => (cycles[0] ?? 0) + i));
        // The self-metrics pushed with the data report the down sink's failures.
        await eventually('retried samples of the down sink', 120, async () => {
          await target.flush(receiver);
          const r = await instantQuery(receiver, 'procpush_sink_samples_retried_total{node="n1",sink="down"}', Date.now());
          return Number(r[0]?.value ?? '0') > 0 ? true : undefined;
        });
      } finally {
        const code = await stopAgent(agent);
        assert.equal(code, 0, agent.log());
      }
      if (target.name === 'Prometheus') {
        // Stale markers on shutdown: an instant query no longer returns the series.
        const after = await instantQuery(receiver, 'namedprocess_namegroup_num_procs{node="n1"}', Date.now() + 1000);
        assert.deepEqual(after, []);
      }
      await receiver.stop();
    });
  });
}

describe('procpush run → Pushgateway', { skip: binaryAvailable(PUSHGATEWAY_BIN) ? false : `${PUSHGATEWAY_BIN} not installed` }, () => {
  it('keeps one group per node: a second agent does not overwrite the first', async () => {
    const gw = await startPushgateway();
    const procfs = join(work, 'tree-pgw');
    buildTree(procfs);
    const expected = expectedSeries(procfs);
    const sink = `  - type: pushgateway\n    url: ${gw.url}\n    job: procpush\n    timeout: 2s\n    send_deadline: 900ms\n`;
    const a = startAgent(writeConfig('pgw-a', sink, 'node-a'), procfs);
    const b = startAgent(writeConfig('pgw-b', sink, 'node-b'), procfs);
    try {
      const samples = await eventually('both groups', 120, async () => {
        const r = await gw.get('/metrics');
        const s = parseExposition(r.body).filter((x) => x.name === 'namedprocess_namegroup_num_procs');
        const nodes = new Set(s.map((x) => x.labels['node']));
        return nodes.has('node-a') && nodes.has('node-b') ? parseExposition(r.body) : undefined;
      });
      for (const node of ['node-a', 'node-b']) {
        const mine = samples.filter((s) => s.labels['node'] === node && s.name.startsWith('namedprocess_namegroup_'));
        assert.equal(mine.length, expected.size, node);
        for (const s of mine) {
          assert.equal(s.labels['instance'], node);
          assert.equal(s.labels['job'], 'procpush');
          assert.equal(Number(s.value), expected.get(key(s.name, s.labels)), `${node} ${key(s.name, s.labels)}`);
        }
      }
    } finally {
      assert.equal(await stopAgent(a), 0, a.log());
      assert.equal(await stopAgent(b), 0, b.log());
      await gw.stop();
    }
  });
});
