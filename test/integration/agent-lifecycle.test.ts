/**
 * The daemon's life cycle with the built CLI: restart-safe counters through the state file (read back
 * from the real Prometheus), SIGTERM (exit 0, state saved), SIGHUP with a valid and an invalid config.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeState } from '../../src/collector/state-format.js';
import { FakeProcfs } from '../helpers/fake-procfs.js';
import { binaryAvailable, PROMETHEUS_BIN, startPrometheus } from '../helpers/receivers.js';
import type { Receiver } from '../helpers/receivers.js';
import { freePort } from '../helpers/servers.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procpush-life-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  readonly log: () => string;
  readonly exited: Promise<number | null>;
}

function start(cfg: string, procfs: string): Running {
  let log = '';
  const child = spawn(process.execPath, [CLI, 'run', '--config.path', cfg, '--procfs', procfs], { stdio: ['ignore', 'ignore', 'pipe'] });
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

async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  const killer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
  const code = await r.exited;
  clearTimeout(killer);
  return code;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, attempts = 80): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
  return r.text();
}

function value(text: string, line: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${line} `));
  return l === undefined ? undefined : Number(l.slice(line.length + 1));
}

async function cycles(port: number): Promise<number> {
  return value(await scrape(port), 'procpush_cycles_total') ?? 0;
}

describe('procpush run life cycle', () => {
  it('continues counters across a restart through the state file; Prometheus never sees them decrease', { skip: binaryAvailable(PROMETHEUS_BIN) ? false : 'prometheus not installed' }, async () => {
    const prom: Receiver = await startPrometheus();
    try {
      const root = join(work, 'proc-restart');
      const fs = FakeProcfs.create(root, { btime: Math.floor(Date.now() / 1000) - 86_400 });
      const old = fs.ticksAt(Date.now() - 3_600_000);
      let utime = 1000;
      fs.addProcess({ pid: 10, comm: 'app', cmdline: ['app'], starttime: old, utime });
      const port = await freePort();
      const state = join(work, 'state', 'state.json');
      const cfg = join(work, 'restart.yaml');
      writeFileSync(
        cfg,
        `process_names:\n  - name: "{{.Comm}}"\n    comm: [app]\nschedule: { interval: 1s }\nlisten: 127.0.0.1:${port}\nstate_file: ${state}\nlabels: { node: r1 }\n` +
          `sinks:\n  - type: remote_write\n    url: ${prom.url}/api/v1/write\n    timeout: 2s\n    send_deadline: 900ms\n`,
      );
      const grow = (ticks: number): void => {
        utime += ticks;
        fs.update(10, { utime });
      };
      const a = start(cfg, root);
      await eventually('first cycles', async () => ((await cycles(port)) >= 2 ? true : undefined));
      grow(100); // +1 s
      await eventually('the growth', async () => (value(await scrape(port), 'namedprocess_namegroup_cpu_seconds_total{groupname="app",mode="user"}') === 1 ? true : undefined));
      assert.equal(await stop(a), 0, a.log());
      assert.ok(existsSync(state), 'state saved on SIGTERM');
      assert.ok(decodeState(readFileSync(state)).ok, 'a valid state file');

      grow(250); // +2.5 s while the agent is down: must not be lost
      const b = start(cfg, root);
      try {
        await eventually('counters continued after the restart', async () =>
          value(await scrape(port), 'namedprocess_namegroup_cpu_seconds_total{groupname="app",mode="user"}') === 3.5 ? true : undefined,
        );
        grow(50);
        await eventually('growth after the restart', async () =>
          value(await scrape(port), 'namedprocess_namegroup_cpu_seconds_total{groupname="app",mode="user"}') === 4 ? true : undefined,
        );
        assert.match(b.log(), /tracker state restored/);
        // Every point Prometheus holds for the counter, in time order, never decreases.
        const points = await eventually('points at the receiver', async () => {
          const q = encodeURIComponent('namedprocess_namegroup_cpu_seconds_total{groupname="app",mode="user",node="r1"}[5m]');
          const r = await prom.get(`/api/v1/query?query=${q}&time=${String(Date.now() / 1000)}`);
          const body = JSON.parse(r.body) as { data: { result: { values: [number, string][] }[] } };
          const vals = (body.data.result[0]?.values ?? []).map(([, v]) => Number(v));
          return vals.includes(4) ? vals : undefined;
        });
        for (let i = 1; i < points.length; i++) assert.ok((points[i] ?? 0) >= (points[i - 1] ?? 0), `decrease at ${i}: ${points.join(',')}`);
        assert.ok(points.includes(1) && points.includes(3.5), points.join(','));
      } finally {
        assert.equal(await stop(b), 0, b.log());
      }
    } finally {
      await prom.stop();
    }
  });

  it('reloads a valid config on SIGHUP and keeps the running one when the new one is invalid', async () => {
    const root = join(work, 'proc-hup');
    const fs = FakeProcfs.create(root, { btime: Math.floor(Date.now() / 1000) - 86_400 });
    fs.addProcess({ pid: 10, comm: 'app', cmdline: ['app'] });
    const port = await freePort();
    const cfg = join(work, 'hup.yaml');
    const write = (template: string): void => {
      writeFileSync(cfg, `process_names:\n  - name: "${template}"\n    comm: [app]\nschedule: { interval: 1s }\nlisten: 127.0.0.1:${port}\nstate_file: ""\n`);
    };
    write('{{.Comm}}');
    const a = start(cfg, root);
    try {
      await eventually('the first group', async () => ((await scrape(port)).includes('groupname="app"') ? true : undefined));
      write('svc-{{.Comm}}');
      a.child.kill('SIGHUP');
      await eventually('the renamed group', async () => ((await scrape(port)).includes('namedprocess_namegroup_num_procs{groupname="svc-app"} 1') ? true : undefined));
      writeFileSync(cfg, 'process_names: [ this is not yaml');
      a.child.kill('SIGHUP');
      await eventually('the reload failure in the log', () => Promise.resolve(a.log().includes('reload failed') ? true : undefined));
      const before = await cycles(port);
      await eventually('cycles going on with the old config', async () => ((await cycles(port)) >= before + 2 ? true : undefined));
      assert.ok((await scrape(port)).includes('namedprocess_namegroup_num_procs{groupname="svc-app"} 1'));
    } finally {
      assert.equal(await stop(a), 0, a.log());
    }
  });
});
