/**
 * The measured servers (process-exporter and `procpush serve`) on 127.0.0.1 random ports, and the
 * floor reader, each in its own process group (see children.ts). Measurement is from outside:
 * utime + stime of the server process from /proc/<pid>/stat, VmRSS from /proc/<pid>/status.
 */
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { type Children, type Spawned, sleep } from './children.js';

export interface Server {
  readonly name: string;
  readonly proc: Spawned;
  readonly url: string;
  readonly argv: readonly string[];
  /** Cycles run so far: the startup cycle plus one per scrape. */
  cycles: number;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => {
        if (port === 0) reject(new Error('no port from listen(0)'));
        else resolve(port);
      });
    });
  });
}

/**
 * Starts a server whose argv is built from its port and waits until it answers `/` (the landing
 * page, which runs no collection cycle). Retries with another port when the first one was taken.
 */
export async function startServer(
  children: Children,
  name: string,
  command: string,
  argvFor: (port: number) => string[],
  env?: NodeJS.ProcessEnv,
): Promise<Server> {
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const argv = argvFor(port);
    const proc = children.spawn(command, argv, env === undefined ? {} : { env });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600; i++) {
      if (proc.hasExited()) break;
      try {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return { name, proc, url, argv: [command, ...argv], cycles: 1 };
      } catch {
        await sleep(100);
      }
    }
    lastError = proc.output();
    await children.stop(proc);
    if (!/address already in use|EADDRINUSE/i.test(lastError)) break;
  }
  throw new Error(`${name} did not start:\n${lastError}`);
}

/** One scrape of /metrics; returns the body length. Throws on a non-200 answer. */
export async function scrape(server: Server, timeoutMs: number): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: GET /metrics → ${res.status}: ${body.slice(0, 300)}`);
  server.cycles++;
  return body.length;
}

/** The floor reader: one cycle per line written to its stdin, answered by one line. */
export interface Floor {
  readonly proc: Spawned;
  cycle(timeoutMs: number): Promise<{ pids: number; files: number; bytes: number }>;
}

export function startFloor(children: Children, binary: string, procfs: string): Floor {
  const proc = children.spawn(binary, [procfs], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout = proc.child.stdout;
  const stdin = proc.child.stdin;
  if (stdout === null || stdin === null) throw new Error('floor: no pipes');
  const lines = createInterface({ input: stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    proc,
    cycle(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`floor: no answer in ${timeoutMs} ms: ${proc.output()}`));
        }, timeoutMs);
        waiting.push((line) => {
          clearTimeout(timer);
          const [pids, files, bytes] = line.split(' ').map(Number);
          resolve({ pids: pids ?? NaN, files: files ?? NaN, bytes: bytes ?? NaN });
        });
        stdin.write('cycle\n');
      });
    },
  };
}
