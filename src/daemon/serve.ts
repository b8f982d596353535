import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { ProcfsReader } from '../procfs/reader.js';
import type { ProcSource } from '../procfs/types.js';
import { renderExposition } from '../series/exposition.js';
import { Collector } from '../collector/collector.js';
import { createUsernameLookup } from '../procfs/users.js';
import type { Logger } from '../base/logger.js';
import { describeError } from '../base/result.js';
import type { EngineSettings } from '../config/engine.js';
import { engineFingerprint, UsageError } from '../config/engine.js';
import type { OpenedState } from './state-session.js';
import { openState, readBootId } from './state-session.js';
import { VERSION } from '../base/version.js';
import { collectStartupGarbage } from '../base/settle-heap.js';
import { monotonicMs } from '../base/monotonic.js';

/** The world a command runs in; main.ts builds the real one, tests may build another. */
export interface CommandEnv {
  readonly stdout: (text: string) => void;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

/** A failure at run time (not a usage error): exit code 1. */
export class RuntimeError extends Error {}

export function openSource(engine: EngineSettings): ProcSource {
  const reader = ProcfsReader.open({ root: engine.procfs, gatherSmaps: engine.gatherSmaps, smapsMaxRssBytes: engine.smapsMaxRssBytes });
  if (!reader.ok) throw new RuntimeError(`error initializing: ${reader.error}`);
  return reader.value;
}

export function createCollector(engine: EngineSettings, source: ProcSource): Collector {
  return new Collector(source, {
    namer: engine.namer,
    children: engine.children,
    recheck: engine.recheck,
    recheckTimeLimitMs: engine.recheckTimeLimitMs,
    removeEmptyGroups: engine.removeEmptyGroups,
    threads: engine.threads,
    gatherSmaps: engine.gatherSmaps,
    smapsEvery: engine.smapsEvery,
    cycleTimeBudgetMs: engine.cycleTimeBudgetMs,
    lookupUsername: createUsernameLookup(),
  });
}

/** Parses `host:port`, `:port`, `[v6]:port`. An empty host means every interface. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`invalid listen address "${addr}": expected host:port, :port or [v6]:port`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? undefined : host, port };
}

export interface ServeOptions {
  readonly listenAddress: string;
  readonly telemetryPath: string;
}

/**
 * `procpush serve`: process-exporter's pull endpoint. A startup cycle runs before the server listens;
 * every scrape of the telemetry path runs one cycle (scrapes are serialised: the cycle is synchronous).
 */
export async function serve(engine: EngineSettings, opts: ServeOptions, env: CommandEnv): Promise<Server> {
  const source = openSource(engine);
  const collector = createCollector(engine, source);
  collector.prime(env.nowMs());
  const { host, port } = parseListenAddress(opts.listenAddress);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === opts.telemetryPath) {
      const started = monotonicMs();
      const report = collector.cycle(env.nowMs());
      if (report.error !== undefined) env.logger.error({ err: report.error }, 'error reading procs');
      const body = renderExposition(report.families);
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
      env.logger.debug({ groups: report.groups?.size ?? 0, procs: report.procs, ms: monotonicMs() - started }, 'scrape');
      return;
    }
    if (path === '/') {
      res
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        .end(`<html><head><title>procpush</title></head><body><h1>procpush ${VERSION}</h1><p><a href="${opts.telemetryPath}">Metrics</a></p></body></html>\n`);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      reject(new RuntimeError(`failed to start the server: ${describeError(e)}`));
    });
    server.listen({ host, port }, () => {
      resolve();
    });
  });
  env.logger.info({ source: engine.namingSource, procfs: engine.procfs, listen: opts.listenAddress, path: opts.telemetryPath }, 'serving metrics');
  collectStartupGarbage();
  return server;
}

export interface OnceOptions {
  /** `-` for stdout, else a file path. */
  readonly output: string;
  /** Tracker state carried between runs. */
  readonly statePath: string | undefined;
}

/**
 * `procpush once`: one reported cycle. Without state: a startup cycle, then the reported one (as the first
 * scrape of `serve`). With `--state`: continue the saved tracker, so successive runs continue the counters.
 */
export function once(engine: EngineSettings, opts: OnceOptions, env: CommandEnv): string {
  const started = startCollector(engine, opts.statePath, '--state', env);
  try {
    const report = started.collector.cycle(env.nowMs());
    if (report.error !== undefined) env.logger.error({ err: report.error }, 'error reading procs');
    started.state.session.checkpoint(started.collector, [], started.source.bootTimeSeconds, { final: true });
    const text = renderExposition(report.families);
    if (opts.output === '-') env.stdout(text);
    else writeFileSync(opts.output, text);
    return text;
  } finally {
    started.state.session.close();
  }
}

/** A collector and the state it continues (if any). */
export interface StartedCollector {
  readonly collector: Collector;
  readonly source: ProcSource;
  readonly state: OpenedState;
}

/**
 * A collector that continues the saved state when there is one (taking the state's lock), or a fresh
 * primed one. `key` names the setting of the state path in messages (`state_file`, `--state`).
 */
export function startCollector(engine: EngineSettings, statePath: string | undefined, key: string, env: CommandEnv): StartedCollector {
  const source = openSource(engine);
  const state = openState(statePath, { fingerprint: engineFingerprint(engine), bootId: readBootId(engine.procfs), key }, env);
  const collector = createCollector(engine, source);
  if (state.restore !== undefined) collector.restore(state.restore.doc.collector, state.restore.floors, env.nowMs());
  else collector.prime(env.nowMs());
  return { collector, source, state };
}

/** `procpush check`: the groups a config defines. */
export function check(engine: EngineSettings, env: CommandEnv): void {
  const lines = [`${engine.namingSource}: OK, ${engine.namer.rules.length} rule(s)`];
  for (const r of engine.namer.rules) lines.push(`  ${r.description}`);
  env.stdout(`${lines.join('\n')}\n`);
}

/** `procpush explain`: every live process, the rule that matched it (or why none did), its group. */
export function explain(engine: EngineSettings, env: CommandEnv): void {
  const source = openSource(engine);
  const collector = createCollector(engine, source);
  collector.prime(env.nowMs());
  const report = collector.cycle(env.nowMs());
  if (report.error !== undefined) throw new RuntimeError(`error reading procs: ${report.error}`);
  const groupByPid = new Map(report.tracked.map((p) => [p.pid, p.group]));
  const lookup = createUsernameLookup();
  const listing = source.listPids();
  const rows: string[][] = [['PID', 'COMM', 'GROUP', 'WHY']];
  for (const pid of [...(listing.ok ? listing.pids : [])].sort((x, y) => x - y)) {
    const stat = source.readStat(pid);
    if (stat === undefined) continue;
    const info = source.readStatic(pid, stat);
    if (info === undefined) continue;
    const attrs = { comm: info.comm, cmdline: info.cmdline, cgroups: info.cgroups, username: lookup(info.euid), pid, startTimeMs: info.startTimeMs };
    const group = groupByPid.get(pid);
    const match = engine.namer.matchAndName(attrs);
    let why: string;
    if (match.matched) why = `rule ${match.rule + 1}`;
    else if (group !== undefined) why = `child of a process in the group (ppid ${info.ppid})`;
    else why = engine.namer.explain(attrs);
    rows.push([String(pid), info.comm, group ?? '-', why]);
  }
  let samples = 0;
  for (const f of report.families) samples += f.samples.length;
  const widths = [0, 0, 0];
  for (const r of rows) for (let i = 0; i < 3; i++) widths[i] = Math.max(widths[i] ?? 0, (r[i] ?? '').length);
  const text = rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')).join('\n');
  env.stdout(`${text}\n\n${report.groups?.size ?? 0} group(s), ${report.procs} tracked process(es), ${samples} series per cycle\n`);
}
