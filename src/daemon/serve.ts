import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { renderExposition } from '../series/exposition.js';
import { createCollector, openSource } from '../collector/open.js';
import type { Config } from '../config/load.js';
import { VERSION } from '../base/version.js';
import { collectStartupGarbage } from '../base/memory.js';
import { monotonicMs } from '../base/monotonic.js';
import { RuntimeError, type CommandEnv } from './env.js';
import { closeServer, listen, parseListenAddress } from './listener.js';

export interface ServeOptions {
  readonly listenAddress: string;
  readonly telemetryPath: string;
}

/**
 * `procpush serve`: process-exporter's pull endpoint. A startup cycle runs before the server listens;
 * every scrape of the telemetry path runs one cycle (scrapes are serialised: the cycle is synchronous).
 */
export async function serve(config: Config, opts: ServeOptions, env: CommandEnv): Promise<Server> {
  const source = openSource(config.collection);
  if (!source.ok) throw new RuntimeError(source.error);
  const collector = createCollector(config.collection, config.namer, source.value);
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
  await listen(server, host, port, 'failed to start the server');
  env.logger.info({ source: config.namingSource, procfs: config.collection.procfs, listen: opts.listenAddress, path: opts.telemetryPath }, 'serving metrics');
  collectStartupGarbage();
  return server;
}

/** `serve` until SIGTERM or SIGINT closes the server; resolves to the exit code. */
export async function serveUntilStopped(config: Config, opts: ServeOptions, env: CommandEnv): Promise<number> {
  const server = await serve(config, opts, env);
  const stop = (signal: string): void => {
    env.logger.info({ signal }, 'shutting down');
    closeServer(server);
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  await new Promise<void>((resolve) =>
    server.once('close', () => {
      resolve();
    }),
  );
  return 0;
}
