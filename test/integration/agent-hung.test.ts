/**
 * A receiver that accepts connections and never answers must not slow the agent down: cycles keep
 * their schedule (here a 6-field cron, every second), the request is aborted at its timeout, and
 * SIGTERM still ends the agent with exit code 0 within the shutdown deadline.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { FakeProcfs } from '../helpers/fake-procfs.js';
import { freePort } from '../helpers/servers.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procpush-hung-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

async function metric(url: string, name: string): Promise<number | undefined> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const line = (await r.text()).split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

it('keeps sampling on schedule while a receiver hangs, and stops cleanly', async () => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const hung = createServer((s) => {
    connections++;
    sockets.add(s);
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const addr = hung.address();
  assert.ok(addr !== null && typeof addr === 'object');

  const root = join(work, 'proc');
  const fs = FakeProcfs.create(root, { btime: Math.floor(Date.now() / 1000) - 3600 });
  fs.addProcess({ pid: 5, comm: 'svc', cmdline: ['svc'] });
  const port = await freePort();
  const cfg = join(work, 'cfg.yaml');
  writeFileSync(
    cfg,
    `process_names:\n  - name: "{{.Comm}}"\n    comm: [svc]\nschedule: { cron: "* * * * * *" }\nlisten: 127.0.0.1:${port}\nstate_file: ""\n` +
      `sinks:\n  - type: remote_write\n    name: hung\n    url: http://127.0.0.1:${addr.port}/api/v1/write\n    timeout: 700ms\n    send_deadline: 800ms\n    retry: { max_retries: 0 }\n`,
  );
  const child = spawn(process.execPath, [CLI, 'run', '--config.path', cfg, '--procfs', root], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    let first: number | undefined;
    for (let i = 0; i < 40 && first === undefined; i++) {
      await new Promise((r) => setTimeout(r, 250));
      first = await metric(url, 'procpush_cycles_total').catch(() => undefined);
    }
    assert.ok(first !== undefined && first >= 1, `listener never answered: ${log}`);
    await new Promise((r) => setTimeout(r, 4000));
    const later = await metric(url, 'procpush_cycles_total');
    assert.ok(later !== undefined && later - first >= 3, `cycles went from ${first} to ${String(later)} in 4 s`);
    assert.equal(await metric(url, 'procpush_cycles_skipped_total'), 0);
    assert.ok(connections >= 2, 'the agent kept trying the hung receiver');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    const t0 = Date.now();
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(killer);
    for (const s of sockets) s.destroy();
    hung.close();
    assert.equal(code, 0, log);
    assert.ok(Date.now() - t0 < 12_000, 'stopped within the shutdown deadline');
  }
});
