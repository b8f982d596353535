import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Agent } from '../agent/agent.js';
import type { Result } from '../base/result.js';
import { createCollector, openSource, restoreOrPrime } from '../collector/open.js';
import type { ConfigIssue } from '../config/issues.js';
import type { Config } from '../config/load.js';
import { createAgent, setUpAgent } from './agent-setup.js';
import { Daemon, resolveStatePath } from './daemon.js';
import { RuntimeError, type CommandEnv } from './env.js';
import { listen, parseListenAddress } from './listener.js';

/** The agent's optional listener: GET /metrics (the last cycle's exposition) and GET /healthz. */
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
  return listen(server, host ?? '127.0.0.1', port, `failed to start the listener on ${address}`);
}

/**
 * `procpush run`: the daemon. Startup cycle (or the saved state), then one cycle per schedule tick pushed
 * to every sink; optional local listener; SIGHUP reloads the config; SIGTERM/SIGINT stop gracefully
 * (finish the cycle, flush within the deadline, stale markers, save state, exit 0); a second signal exits at once.
 */
export async function run(config: Config, reloadConfig: () => Promise<Result<Config, readonly ConfigIssue[]>>, env: CommandEnv): Promise<number> {
  const setup = setUpAgent(config, env);
  const statePath = resolveStatePath(config.agent.stateFile, process.env);
  const source = openSource(config.collection);
  if (!source.ok) throw new RuntimeError(source.error);
  const collector = restoreOrPrime(createCollector(config.collection, config.namer, source.value), { path: statePath, fingerprint: config.fingerprint }, env);
  const agent = createAgent(collector, config, setup, env);
  const daemon = new Daemon(
    {
      config,
      setup,
      agent,
      statePath,
      startListener: (address, healthyWithinMs) => startListener(address, agent, healthyWithinMs, env),
      reloadConfig,
    },
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
