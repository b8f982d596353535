/**
 * The README's walkthrough, run as written: the shell block between `<!-- walkthrough:begin -->` and
 * `<!-- walkthrough:end -->` is extracted and run with bash from the repository root, with only its two
 * variables set (a free 127.0.0.1 port and a temporary directory). It starts Debian's Prometheus, pushes
 * one `procpush once` cycle to it and queries `namedprocess_namegroup_num_procs` back with promtool.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { freePort } from '../helpers/servers.js';

const ROOT = process.cwd();
const RUN_TIMEOUT_MS = 120_000;
const NEEDED = ['/usr/bin/prometheus', '/usr/bin/promtool', '/usr/bin/curl'];
const missing = NEEDED.filter((p) => !existsSync(p));
const skip = missing.length === 0 ? false : `${missing.join(', ')} not installed (Debian packages prometheus, curl; .ci/run installs them)`;

const work = mkdtempSync(join(tmpdir(), 'procpush-walkthrough-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The commands of the README's marked block (inside its ```sh fence). */
function walkthroughBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- walkthrough:begin -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme);
  assert.ok(m !== null, 'README.md has a ```sh block between <!-- walkthrough:begin --> and <!-- walkthrough:end -->');
  return m[1] ?? '';
}

/** Runs a script with bash in its own process group, which is killed whatever happens. */
function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${String(RUN_TIMEOUT_MS)} ms)`;
      killGroup();
    }, RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // anything the script left running (Prometheus, if a step failed before the kill)
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README walkthrough', { skip }, () => {
  it('pushes this machine\'s processes to a local Prometheus and the query shows namedprocess_namegroup_num_procs', async () => {
    const block = walkthroughBlock();
    assert.match(block, /node dist\/cli\.js once --config\.path/);
    assert.match(block, /namedprocess_namegroup_num_procs/);
    const port = await freePort();
    const demo = join(work, 'demo');
    // -e: stop at the first failing step, as a reader would; the trap stops Prometheus on that path too.
    const script = `set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${block}`;
    const r = await runBash(script, { ...process.env, PORT: String(port), DEMO: demo, NODE_NAME: 'walkthrough-node' });
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /: OK, 1 rule/);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('namedprocess_namegroup_num_procs{'));
    assert.ok(rows.length >= 1 && rows.length <= 5, r.stdout);
    for (const row of rows) assert.match(row, /^namedprocess_namegroup_num_procs\{groupname="[^"]*", instance="walkthrough-node"(?:, ip="[^"]*")?, node="walkthrough-node"\} => [1-9]\d* @\[/);
  });
});
