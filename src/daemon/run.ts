import { accessSync, constants as fsConstants } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Agent } from '../agent/agent.js';
import { errnoCode, type Result } from '../base/result.js';
import type { ConfigIssue } from '../config/issues.js';
import type { Config } from '../config/load.js';
import { createAgent, setUpAgent } from './agent-setup.js';
import { Daemon } from './daemon.js';
import type { CommandEnv } from './env.js';
import { listen, parseListenAddress } from './listener.js';
import type { SignalInbox } from './signals.js';
import { resolveStatePath } from './state-path.js';
import { restoreSinkMemories, startCollector } from './state-session.js';

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

/** The agent's optional listener: GET /metrics (the last cycle's exposition) and GET /healthz. */
function startListener(address: string, agent: Agent, healthyWithinMs: number, env: CommandEnv): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  const server = createServer(listenerHandler(agent, healthyWithinMs, env.nowMs));
  return listen(server, host ?? '127.0.0.1', port, `failed to start the listener on ${address}`);
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

/** The state file of `run` (and `retire`): `state_file`, else the default state directory (state-path.ts). */
export function runStatePath(config: Config): string | undefined {
  return resolveStatePath({
    configured: config.agent.stateFile,
    configDir: config.file === undefined ? undefined : dirname(config.file),
    env: process.env,
    homeDir: homedir(),
    writable: mayWrite,
  }).path;
}

/**
 * `procpush run`: the daemon. The saved state (or a startup cycle), the first cycle at once, then one
 * cycle per schedule tick pushed to every sink; optional local listener; SIGHUP reloads the config;
 * SIGTERM/SIGINT stop gracefully (see Daemon.stop), a second one exits at once. Signals are caught from
 * the start (`inbox`): one that comes during the startup waits for it.
 */
export function run(config: Config, reloadConfig: () => Promise<Result<Config, readonly ConfigIssue[]>>, env: CommandEnv, inbox: SignalInbox): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let daemon: Daemon | undefined;
    let running = false;
    let stopping = false;
    let queue: Promise<unknown> = Promise.resolve();
    const startup = (async (): Promise<Daemon> => {
      const setup = setUpAgent(config, env);
      if (config.agent.shutdown.staleMarkersBoolean) {
        env.logger.warn({ key: 'shutdown.stale_markers' }, 'shutdown.stale_markers: true/false is deprecated: write always/never, or auto (the default: stale markers only when no state continues the series)');
      }
      const statePath = runStatePath(config);
      const started = startCollector(config, statePath, 'state_file', env);
      for (const u of restoreSinkMemories(setup.sinks, started.state.sinkMemory)) {
        env.logger.warn(
          { sink: u.name, target: u.target, series: u.memory.kind === 'remote_write' ? u.memory.series.length : undefined },
          'a sink of the previous run is no longer configured: its last series were not ended (receivers drop them after their staleness period)',
        );
      }
      const agent = createAgent(started.collector, config, setup, env, (report) => daemon?.journal(report));
      const d = new Daemon(
        {
          config,
          setup,
          agent,
          started,
          stateWanted: statePath !== undefined,
          startListener: (address, healthyWithinMs) => startListener(address, agent, healthyWithinMs, env),
          reloadConfig,
        },
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
