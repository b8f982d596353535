/**
 * `procpush run` (the built CLI) as a child process for integration tests, and what they read back
 * from a real Prometheus. Every wait is bounded; a test stops (or kills) every agent it starts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { Receiver } from './receivers.js';

export const CLI = join(process.cwd(), 'dist', 'cli.js');

export interface AgentProcess {
  readonly child: ChildProcess;
  /** stdout + stderr so far (the last 256 KiB). */
  log(): string;
  /** The highest cycle number the agent has logged. */
  cycles(): number;
  readonly exited: Promise<number | null>;
}

export function startAgent(cfg: string, procfs: string, extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): AgentProcess {
  let log = '';
  let cycles = 0;
  const child = spawn(process.execPath, [CLI, 'run', '--config.path', cfg, '--procfs', procfs, '--log.level', 'info', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let partial = '';
  const onData = (d: Buffer): void => {
    const text = d.toString();
    log = (log + text).slice(-256 * 1024);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /"msg":"cycle"/.test(line) ? /"cycle":(\d+)/.exec(line) : null;
      if (m !== null) cycles = Math.max(cycles, Number(m[1]));
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  return { child, log: () => log, cycles: () => cycles, exited };
}

/** Sends `signal` and waits for the exit (SIGKILL after 20 s). Resolves to the exit code (null: killed). */
export async function stopAgent(a: AgentProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return a.child.exitCode;
  a.child.kill(signal);
  const timer = setTimeout(() => a.child.kill('SIGKILL'), 20_000);
  const code = await a.exited;
  clearTimeout(timer);
  return code;
}

/** Polls `check` every 250 ms, at most `attempts` times. */
export async function eventually<T>(what: string, attempts: number, check: () => Promise<T | undefined> | T | undefined, context: () => string = () => ''): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

export interface Point {
  readonly timeMs: number;
  readonly value: number;
}

/** The raw samples of one series over the last 10 minutes, in time order (stale markers are not returned). */
export async function points(receiver: Receiver, selector: string): Promise<Point[]> {
  const r = await receiver.get(`/api/v1/query?query=${encodeURIComponent(`${selector}[10m]`)}&time=${String(Date.now() / 1000 + 1)}`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { data: { result: { values: [number, string][] }[] } };
  assert.ok(body.data.result.length <= 1, `one series expected for ${selector}`);
  return (body.data.result[0]?.values ?? []).map(([t, v]) => ({ timeMs: Math.round(t * 1000), value: Number(v) }));
}

/** Splits the stored cycle counts into one run 1, 2, 3… per agent process; throws on a gap or a repeat. */
export function segments(values: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const v of values) {
    const current = out[out.length - 1];
    if (current !== undefined && v === (current[current.length - 1] ?? 0) + 1) current.push(v);
    else if (v === 1) out.push([v]);
    else throw new Error(`cycle ${v} does not follow ${String(current?.[current.length - 1])}: a cycle is missing or repeated (${values.join(',')})`);
  }
  return out;
}
