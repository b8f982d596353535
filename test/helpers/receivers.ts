/**
 * Starts the real push receivers the integration tests write to, each on 127.0.0.1 with a random free
 * port and its own temporary data directory: Debian's `prometheus` (remote-write receiver on),
 * `victoria-metrics` and `prometheus-pushgateway`. Readiness is polled a bounded number of times;
 * `stop()` sends SIGTERM, then SIGKILL after a bound, removes the data directory, and never throws.
 * `pause()` / `resume()` stop and restart the same server on the same port and data (outage tests).
 * Only loopback addresses are ever contacted.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';
import { freePort } from './servers.js';

export const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
export const VICTORIA_METRICS_BIN = process.env['VICTORIA_METRICS_BIN'] ?? '/usr/bin/victoria-metrics';
export const PUSHGATEWAY_BIN = process.env['PUSHGATEWAY_BIN'] ?? '/usr/bin/prometheus-pushgateway';

export function binaryAvailable(path: string): boolean {
  return existsSync(path);
}

export interface Receiver {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** stdout + stderr so far (last 64 KiB), for failure messages. */
  output(): string;
  /** GET a path on the receiver; resolves to status and body text. */
  get(path: string): Promise<{ readonly status: number; readonly body: string }>;
  stop(): Promise<void>;
}

/** A receiver that can be stopped and started again on the same port with the same data (an outage). */
export interface RestartableReceiver extends Receiver {
  /** The receiver's data directory (Prometheus keeps its TSDB in `data/` under it). */
  readonly dataDir: string;
  /** Stops the process (SIGTERM, then SIGKILL after a bound) and keeps its data directory. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data directory and waits until it is ready (bounded). */
  resume(): Promise<void>;
  isRunning(): boolean;
}

const OUTPUT_LIMIT = 64 * 1024;
const READY_ATTEMPTS = 150;
const READY_INTERVAL_MS = 100;
const START_ATTEMPTS = 4;
const STOP_GRACE_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

interface Spec {
  readonly name: string;
  readonly bin: string;
  readonly args: (port: number, dataDir: string) => string[];
  /** Writes config files into the data dir before the start. */
  readonly prepare?: (dataDir: string) => void;
  readonly readyPath: string;
  /**
   * Whether the server answering on the port is the one we started (it shows our data dir). Another
   * test run may grab the port between freePort() and our bind; without this check our readiness poll
   * would then happily talk to its server.
   */
  readonly isOurs: (get: (path: string) => Promise<{ status: number; body: string }>, dataDir: string) => Promise<boolean>;
}

interface Launched {
  readonly ready: boolean;
  /** Why it is not ready (exited, never ready, another server on the port). */
  readonly problem?: 'exited' | 'never-ready' | 'not-ours';
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after a bound; resolves when the process is gone (or the bounds passed). */
  readonly kill: () => Promise<void>;
}

/** Spawns the receiver on a port and data dir and polls its readiness (bounded). */
async function launch(spec: Spec, port: number, dataDir: string, output: { text: string }): Promise<Launched> {
  const child = spawn(spec.bin, spec.args(port, dataDir), { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer): void => {
    output.text = (output.text + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // Read through a function, so TypeScript does not narrow a flag that event handlers change.
  const state = { exited: false };
  const hasExited = (): boolean => state.exited;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      state.exited = true;
      resolve();
    });
    child.on('error', (e) => {
      output.text += `\nspawn error: ${e.message}`;
      state.exited = true;
      resolve();
    });
  });
  const kill = async (): Promise<void> => {
    if (state.exited) return;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exit.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
    if (timedOut && !hasExited()) {
      child.kill('SIGKILL');
      await Promise.race([exit, sleep(STOP_GRACE_MS)]);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string): Promise<{ status: number; body: string }> => httpGet(`${url}${path}`);
  for (let i = 0; i < READY_ATTEMPTS && !hasExited(); i++) {
    try {
      const r = await get(spec.readyPath);
      if (r.status === 200) {
        if (!hasExited() && (await spec.isOurs(get, dataDir))) return { ready: true, hasExited, kill };
        output.text += `\n127.0.0.1:${String(port)} is served by another process`;
        await kill();
        return { ready: false, problem: 'not-ours', hasExited, kill };
      }
    } catch {
      // not listening yet: poll again
    }
    await sleep(READY_INTERVAL_MS);
  }
  const problem = hasExited() ? 'exited' : 'never-ready';
  await kill();
  return { ready: false, problem, hasExited, kill };
}

/** Starts a receiver; retries with a new port when the process exits early (e.g. the port was taken). */
async function startReceiver(spec: Spec): Promise<RestartableReceiver> {
  let lastOutput = '';
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const dataDir = mkdtempSync(join(tmpdir(), `procpush-${spec.name}-`));
    spec.prepare?.(dataDir);
    const port = await freePort();
    const output = { text: '' };
    const first = await launch(spec, port, dataDir, output);
    if (first.ready) return receiverOn(spec, port, dataDir, output, first);
    lastOutput = output.text;
    rmSync(dataDir, { recursive: true, force: true });
    if (first.problem === 'never-ready') break; // alive but never ready: retrying would not help
  }
  throw new Error(`${spec.name} did not become ready on 127.0.0.1; output:\n${lastOutput}`);
}

function receiverOn(spec: Spec, port: number, dataDir: string, output: { text: string }, first: Launched): RestartableReceiver {
  const url = `http://127.0.0.1:${port}`;
  let current: Launched | undefined = first;
  let stopped = false;
  return {
    name: spec.name,
    url,
    dataDir,
    output: () => output.text,
    get: (path) => httpGet(`${url}${path}`),
    isRunning: () => current !== undefined && !current.hasExited(),
    pause: async () => {
      const c = current;
      current = undefined;
      await c?.kill();
    },
    resume: async () => {
      if (stopped) throw new Error(`${spec.name}: resume after stop`);
      if (current !== undefined && !current.hasExited()) return;
      // The port was ours a moment ago; a short bounded retry covers a slow socket release.
      for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        const next = await launch(spec, port, dataDir, output);
        if (next.ready) {
          current = next;
          return;
        }
        if (next.problem === 'not-ours') break;
        await sleep(500);
      }
      throw new Error(`${spec.name} did not come back on 127.0.0.1:${String(port)}; output:\n${output.text}`);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const c = current;
      current = undefined;
      await c?.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface PrometheusOptions {
  /** A rule file's content (`groups:` …), loaded with rule_files. */
  readonly rules?: string;
  /** Rule evaluation interval in seconds (default 1h: no rules run). */
  readonly evaluationIntervalS?: number;
}

/** Prometheus with the remote-write receiver (`/api/v1/write`), no scrape jobs, and optional rules. */
export function startPrometheus(options: PrometheusOptions = {}): Promise<RestartableReceiver> {
  return startReceiver({
    name: 'prometheus',
    bin: PROMETHEUS_BIN,
    prepare: (dir) => {
      const evaluation = options.evaluationIntervalS === undefined ? '1h' : `${String(options.evaluationIntervalS)}s`;
      let config = `global:\n  scrape_interval: 1h\n  evaluation_interval: ${evaluation}\n`;
      if (options.rules !== undefined) {
        writeFileSync(join(dir, 'rules.yml'), options.rules);
        config += `rule_files:\n  - ${join(dir, 'rules.yml')}\n`;
      }
      writeFileSync(join(dir, 'prometheus.yml'), config);
    },
    args: (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    readyPath: '/-/ready',
    isOurs: async (get, dir) => {
      const r = await get('/api/v1/status/flags');
      return r.status === 200 && flagsResponse.safeParse(JSON.parse(r.body)).data?.data['storage.tsdb.path'] === join(dir, 'data');
    },
  });
}

const flagsResponse = z.object({ data: z.record(z.string(), z.string()) });
const pushgatewayStatus = z.object({ data: z.object({ flags: z.record(z.string(), z.string()) }) });

/**
 * Single-node VictoriaMetrics (`/api/v1/write`). `-search.latencyOffset=0s` makes fresh samples
 * queryable at once (default 30 s); `/internal/force_flush` must still be called before querying.
 */
export function startVictoriaMetrics(): Promise<RestartableReceiver> {
  return startReceiver({
    name: 'victoria-metrics',
    bin: VICTORIA_METRICS_BIN,
    args: (port, dir) => [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=WARN',
    ],
    readyPath: '/health',
    isOurs: async (get, dir) => {
      const r = await get('/flags');
      return r.status === 200 && r.body.includes(`-storageDataPath="${join(dir, 'data')}"`);
    },
  });
}

/** Pushgateway; its persistence file (written at most every 5 min) only serves to recognise it. */
export function startPushgateway(): Promise<RestartableReceiver> {
  return startReceiver({
    name: 'pushgateway',
    bin: PUSHGATEWAY_BIN,
    args: (port, dir) => [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'pushgateway.db')}`, '--log.level=warn'],
    readyPath: '/-/ready',
    isOurs: async (get, dir) => {
      const r = await get('/api/v1/status');
      return r.status === 200 && pushgatewayStatus.safeParse(JSON.parse(r.body)).data?.data.flags['persistence.file'] === join(dir, 'pushgateway.db');
    },
  });
}

const vectorResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});

export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly timeSeconds: number;
  /** As the API returns it (`"4"`, `"NaN"`, `"+Inf"`). */
  readonly value: string;
}

/** Instant query through the Prometheus HTTP API (Prometheus and VictoriaMetrics). */
export async function instantQuery(receiver: Receiver, promql: string, timeMs: number): Promise<VectorSample[]> {
  const r = await receiver.get(`/api/v1/query?query=${encodeURIComponent(promql)}&time=${String(timeMs / 1000)}`);
  if (r.status !== 200) throw new Error(`query ${promql}: HTTP ${String(r.status)} ${r.body}`);
  const parsed = vectorResponse.parse(JSON.parse(r.body));
  return parsed.data.result
    .map((s) => ({ labels: s.metric, timeSeconds: s.value[0], value: s.value[1] }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

export interface ExposedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: string;
}

/** Parses the sample lines of a text exposition (enough for the Pushgateway's /metrics). */
export function parseExposition(text: string): ExposedSample[] {
  const out: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let lm = re.exec(m[2] ?? ''); lm !== null; lm = re.exec(m[2] ?? '')) {
      labels[lm[1] ?? ''] = (lm[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1] ?? '', labels, value: m[3] ?? '' });
  }
  return out;
}
