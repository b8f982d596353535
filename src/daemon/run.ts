import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { Agent } from '../agent/agent.js';
import type { AgentSections } from '../config/agent-sections.js';
import { parseAgentSections } from '../config/agent-sections.js';
import { resolveStaticLabels } from '../agent/labels.js';
import { formatConfigIssue } from '../config/process-names.js';
import { issueAt } from '../config/agent-config.js';
import { createSink } from '../push/create-sink.js';
import { withOnceQueueDir } from '../push/sink-config.js';
import { createNodeSinkDeps } from '../push/node-deps.js';
import type { Sink } from '../push/types.js';
import { describeError, errnoCode } from '../base/result.js';
import { readFileSync } from 'node:fs';
import type { SinkConfig } from '../push/sink-config.js';
import type { Label } from '../series/types.js';
import type { Collector } from '../collector/collector.js';
import { VERSION } from '../base/version.js';
import type { CommandEnv } from './serve.js';
import { parseListenAddress, RuntimeError, startCollector } from './serve.js';
import { Daemon } from './daemon.js';
import { resolveStatePath } from './state-path.js';
import { restoreSinkMemories } from './state-session.js';
import type { SignalInbox } from './signals.js';
import type { CycleReport } from '../collector/collector.js';
import { accessSync, constants as fsConstants } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { EngineSettings } from '../config/engine.js';
import { UsageError } from '../config/engine.js';
import { monotonicMs } from '../base/monotonic.js';

export interface AgentSetup {
  readonly sections: AgentSections;
  readonly labels: readonly Label[];
  readonly sinks: readonly Sink[];
}

/**
 * Validates the push sections, resolves the static labels and builds the sinks (config errors → UsageError).
 * `onceStatePath` (one-shot runs: the `--state` file): remote-write sinks without `queue.dir` queue on disk
 * in `<state>.queue/<sink>`, so a push that fails is sent first by the next run.
 */
export function setUpAgent(engine: EngineSettings, env: CommandEnv, options: { readonly onceStatePath?: string | undefined } = {}): AgentSetup {
  const config = engine.config;
  let sections: AgentSections = {
    schedule: { kind: 'interval', intervalMs: 15_000 },
    labels: {},
    sinks: [],
    listen: undefined,
    stateFile: undefined,
    stateCheckpointMs: 60_000,
    shutdown: { timeoutMs: 10_000, staleMarkers: 'auto', staleMarkersBoolean: false },
  };
  if (config !== undefined) {
    const parsed = parseAgentSections(config.text, config.file);
    if (!parsed.ok) throw new UsageError(parsed.error.map(formatConfigIssue).join('\n'));
    sections = parsed.value;
  }
  const labels = resolveStaticLabels(sections.labels, { env: process.env, hostname: hostname(), interfaces: networkInterfaces() });
  if (!labels.ok) throw new UsageError(labels.error.map((m) => `${config?.file ?? 'config'}: ${m}`).join('\n'));
  const unreadable = sections.sinks.flatMap((sc, i) => secretFileProblems(sc, i));
  if (unreadable.length > 0 && config !== undefined) {
    throw new UsageError(unreadable.map((p) => formatConfigIssue(issueAt(config.text, config.file, p.path, p.message))).join('\n'));
  }
  const deps = createNodeSinkDeps({ logger: env.logger, version: VERSION });
  const sinks: Sink[] = [];
  for (const sc of sections.sinks) {
    const sink = createSink(options.onceStatePath === undefined ? sc : withOnceQueueDir(sc, options.onceStatePath), deps);
    if (!sink.ok) throw new UsageError(sink.error);
    sinks.push(sink.value);
  }
  return { sections, labels: labels.value, sinks };
}

/** password_file / bearer_token_file must be readable at startup (they are read again at every request). */
function secretFileProblems(sc: SinkConfig, index: number): { path: (string | number)[]; message: string }[] {
  const auth = sc.auth;
  const file = auth.kind === 'basic' ? auth.password : auth.kind === 'bearer' ? auth.token : undefined;
  if (file === undefined || !('file' in file)) return [];
  const path = auth.kind === 'basic' ? ['sinks', index, 'basic_auth', 'password_file'] : ['sinks', index, 'bearer_token_file'];
  try {
    readFileSync(file.file);
    return [];
  } catch (e) {
    return [{ path, message: `cannot read ${file.file}: ${errnoCode(e) ?? describeError(e)}` }];
  }
}

export function createAgent(collector: Collector, setup: AgentSetup, env: CommandEnv, onCollected?: (report: CycleReport) => void): Agent {
  return new Agent({
    ...(onCollected !== undefined ? { onCollected } : {}),
    collector,
    sinks: setup.sinks,
    staticLabels: setup.labels,
    logger: env.logger,
    nowMs: env.nowMs,
    monotonicMs,
    version: VERSION,
    sendBudgetMs: setup.sections.schedule.kind === 'interval' ? Math.floor(setup.sections.schedule.intervalMs * 0.9) : undefined,
  });
}

/** The listener's answers: /metrics and /healthz, 503 (never an empty 200) until the first cycle is done. */
export function listenerHandler(
  agent: Pick<Agent, 'lastCycleTimestampMs' | 'exposition'>,
  healthyWithinMs: number,
  nowMs: () => number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const last = agent.lastCycleTimestampMs;
    if (last === undefined && (path === '/metrics' || path === '/healthz')) {
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('starting: the first cycle is not done yet\n');
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(agent.exposition());
      return;
    }
    if (path === '/healthz') {
      const healthy = last === undefined || nowMs() - last <= healthyWithinMs;
      res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'text/plain' }).end(healthy ? 'ok\n' : 'no cycle completed recently\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
  };
}

function startListener(address: string, agent: Agent, healthyWithinMs: number, env: CommandEnv): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer(listenerHandler(agent, healthyWithinMs, env.nowMs));
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      reject(new RuntimeError(`failed to start the listener on ${address}: ${describeError(e)}`));
    });
    server.listen({ host: host ?? '127.0.0.1', port }, () => {
      resolve(server);
    });
  });
}

/** Whether this process may create files in `dir`, or create `dir`. */
export function mayWrite(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    try {
      accessSync(d, fsConstants.W_OK);
      return true;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' || dirname(d) === d) return false;
    }
  }
}

/**
 * `procpush run`: the daemon. The saved state (or a startup cycle), the first cycle at once, then one
 * cycle per schedule tick pushed to every sink; optional local listener; SIGHUP reloads the config;
 * SIGTERM/SIGINT stop gracefully (see Daemon.stop), a second one exits at once. Signals are caught from
 * the start (`inbox`): one that comes during the startup waits for it.
 */
export function run(engine: EngineSettings, rebuildEngine: () => EngineSettings, env: CommandEnv, inbox: SignalInbox): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let daemon: Daemon | undefined;
    let running = false;
    let stopping = false;
    let queue: Promise<unknown> = Promise.resolve();
    const startup = (async (): Promise<Daemon> => {
      const setup = setUpAgent(engine, env);
      if (setup.sections.shutdown.staleMarkersBoolean) {
        env.logger.warn({ key: 'shutdown.stale_markers' }, 'shutdown.stale_markers: true/false is deprecated: write always/never, or auto (the default: stale markers only when no state continues the series)');
      }
      const resolved = resolveStatePath({
        configured: setup.sections.stateFile,
        configDir: engine.config === undefined ? undefined : dirname(engine.config.file),
        env: process.env,
        homeDir: homedir(),
        writable: mayWrite,
      });
      const started = startCollector(engine, resolved.path, 'state_file', env);
      const unclaimed = restoreSinkMemories(setup.sinks, started.state.sinkMemory);
      for (const u of unclaimed) {
        env.logger.warn(
          { sink: u.name, target: u.target, series: u.memory.kind === 'remote_write' ? u.memory.series.length : undefined },
          'a sink of the previous run is no longer configured: its last series were not ended (receivers drop them after their staleness period)',
        );
      }
      const agent = createAgent(started.collector, setup, env, (report) => daemon?.journal(report));
      const sinkKeys = new Map(setup.sections.sinks.map((c, i) => [JSON.stringify(c), setup.sinks[i]] as const).filter((e): e is [string, Sink] => e[1] !== undefined));
      const d = new Daemon(
        {
          engine,
          setup,
          agent,
          started,
          stateWanted: resolved.path !== undefined,
          startListener: (address, healthyWithinMs) => startListener(address, agent, healthyWithinMs, env),
          rebuild: () => {
            const e = rebuildEngine();
            return { engine: e, setup: setUpAgent(e, env) };
          },
        },
        sinkKeys,
        env,
      );
      daemon = d;
      await d.start();
      running = true;
      return d;
    })();
    const ready = startup.then(
      () => true,
      () => false,
    );
    startup.catch((e: unknown) => {
      inbox.close();
      reject(e instanceof Error ? e : new Error(String(e)));
    });
    inbox.listen((signal) => {
      if (signal === 'SIGHUP') {
        if (stopping) return;
        env.logger.info({ signal }, running ? 'reloading the config' : 'reloading the config once started');
        queue = queue.then(async () => {
          if ((await ready) && !stopping) await daemon?.reload();
        });
        return;
      }
      if (stopping) {
        env.logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      env.logger.info({ signal }, 'shutting down');
      void queue.then(async () => {
        if (!(await ready) || daemon === undefined) return;
        const report = await daemon.stop();
        env.logger.info(report, 'stopped');
        resolve(0);
      });
    });
  });
}

/** `once` with sinks: push one cycle; resolves to false when a sink did not deliver. `queued` runs once the sinks have it. */
export async function pushOnce(agent: Agent, setup: AgentSetup, deadlineMs: number, env: CommandEnv, queued: () => void = () => undefined): Promise<boolean> {
  await agent.cycle();
  queued();
  const reports = await agent.settle();
  const closes = await Promise.all(setup.sinks.map((s) => s.close({ deadlineMs, staleMarkers: false, deleteGroup: false })));
  const ok = [...reports, ...closes].every((r) => r.outcome === 'ok');
  if (!ok) env.logger.error({ sinks: setup.sinks.map((s) => s.name) }, 'one-shot push not delivered by every sink');
  return ok;
}
