/** The HTTP side shared by `serve` and the agent's optional listener: address parsing and listening. */
import type { Server } from 'node:http';
import { describeError } from '../base/result.js';
import { RuntimeError, UsageError } from './env.js';

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

/** Starts `server` on host:port; a bind failure is a RuntimeError with `what` in its message. */
export function listen(server: Server, host: string | undefined, port: number, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      reject(new RuntimeError(`${what}: ${describeError(e)}`));
    });
    server.listen({ host, port }, () => {
      resolve(server);
    });
  });
}

/** Stops accepting connections and closes the idle and active ones. */
export function closeServer(server: Server | undefined): void {
  server?.close();
  server?.closeAllConnections();
}
