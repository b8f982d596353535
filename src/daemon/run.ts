import { createServer } from 'node:http';
import type { Server } from 'node:http';
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
import { parseListenAddress, restoreOrPrime, RuntimeError } from './serve.js';
import { Daemon, resolveStatePath } from './daemon.js';
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
    shutdown: { timeoutMs: 10_000, staleMarkers: true },
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

export function createAgent(collector: Collector, setup: AgentSetup, env: CommandEnv): Agent {
  return new Agent({
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

function startListener(address: string, agent: Agent, healthyWithinMs: number, env: CommandEnv): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(agent.exposition());
      return;
    }
    if (path === '/healthz') {
      const last = agent.lastCycleTimestampMs;
      const healthy = last === undefined || env.nowMs() - last <= healthyWithinMs;
      res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'text/plain' }).end(healthy ? 'ok\n' : 'no cycle completed recently\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      reject(new RuntimeError(`failed to start the listener on ${address}: ${describeError(e)}`));
    });
    server.listen({ host: host ?? '127.0.0.1', port }, () => {
      resolve(server);
    });
  });
}

/**
 * `procpush run`: the daemon. Startup cycle (or the saved state), then one cycle per schedule tick pushed
 * to every sink; optional local listener; SIGHUP reloads the config; SIGTERM/SIGINT stop gracefully
 * (finish the cycle, flush within the deadline, stale markers, save state, exit 0); a second signal exits at once.
 */
export async function run(engine: EngineSettings, rebuildEngine: () => EngineSettings, env: CommandEnv): Promise<number> {
  const setup = setUpAgent(engine, env);
  const statePath = resolveStatePath(setup.sections.stateFile, process.env);
  const collector = restoreOrPrime(engine, statePath, env);
  const agent = createAgent(collector, setup, env);
  const sinkKeys = new Map(setup.sections.sinks.map((c, i) => [JSON.stringify(c), setup.sinks[i]] as const).filter((e): e is [string, Sink] => e[1] !== undefined));
  const daemon = new Daemon(
    {
      engine,
      setup,
      agent,
      statePath,
      startListener: (address, healthyWithinMs) => startListener(address, agent, healthyWithinMs, env),
      rebuild: () => {
        const e = rebuildEngine();
        return { engine: e, setup: setUpAgent(e, env) };
      },
    },
    sinkKeys,
    env,
  );
  await daemon.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        env.logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      env.logger.info({ signal }, 'shutting down');
      void daemon.stop().then((clean) => {
        env.logger.info({ clean }, 'stopped');
        resolve(0);
      });
    };
    let reloading = Promise.resolve();
    process.on('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.on('SIGINT', () => {
      stop('SIGINT');
    });
    process.on('SIGHUP', () => {
      if (stopping) return;
      env.logger.info({ signal: 'SIGHUP' }, 'reloading the config');
      reloading = reloading.then(async () => {
        await daemon.reload();
      });
    });
  });
}

/** `once` with sinks: push one cycle; resolves to false when a sink did not deliver. */
export async function pushOnce(agent: Agent, setup: AgentSetup, deadlineMs: number, env: CommandEnv): Promise<boolean> {
  await agent.cycle();
  const reports = await agent.settle();
  const closes = await Promise.all(setup.sinks.map((s) => s.close({ deadlineMs, staleMarkers: false, deleteGroup: false })));
  const ok = [...reports, ...closes].every((r) => r.outcome === 'ok');
  if (!ok) env.logger.error({ sinks: setup.sinks.map((s) => s.name) }, 'one-shot push not delivered by every sink');
  return ok;
}
