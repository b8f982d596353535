/**
 * Starts exporters on 127.0.0.1 for integration tests: Debian's `prometheus-process-exporter`
 * (the reference) and `node dist/cli.js serve` (procpush), with the same flags.
 *
 * Ports: a free one is found by listening on port 0 and closing; if the exporter then fails with
 * EADDRINUSE (someone took it in between) the start is retried with a new port, a bounded number
 * of times. Readiness is polled with bounded attempts. `stop()` sends SIGTERM, then SIGKILL after a
 * bound, and always resolves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REFERENCE_BIN = process.env.PROCESS_EXPORTER_BIN ?? '/usr/bin/prometheus-process-exporter';

/** `dist/cli.js` of this repository (from `build/test/helpers/servers.js`), or `$PROCPUSH_CLI`. */
export const PROCPUSH_CLI =
  process.env.PROCPUSH_CLI ?? fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

export function referenceAvailable(): boolean {
  return existsSync(REFERENCE_BIN);
}

export function procpushAvailable(): boolean {
  return existsSync(PROCPUSH_CLI);
}

export interface ExporterOptions {
  readonly procfs: string;
  readonly configPath: string;
  readonly children?: boolean;
  readonly threads?: boolean;
  readonly gatherSmaps?: boolean;
  readonly extraArgs?: readonly string[];
  /**
   * How to wait for the server:
   * - `landing` (default): any HTTP answer on `/` — the landing page runs no collection cycle, so
   *   the number of cycles (which drives the error counters) stays exactly startup + one per scrape;
   * - `metrics`: a 200 from the telemetry path (this runs one collection cycle).
   */
  readonly readiness?: 'landing' | 'metrics';
  /** Readiness polls (default 50) and the pause between them (default 100 ms). */
  readonly readyAttempts?: number;
  readonly readyIntervalMs?: number;
  /** Whole-start attempts on EADDRINUSE (default 5). */
  readonly portAttempts?: number;
}

export interface ExporterHandle {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The command line, for messages. */
  readonly argv: readonly string[];
  /** GET the telemetry path; throws on a non-200 answer. One collection cycle per call. */
  scrape(): Promise<string>;
  /** Number of successful scrapes (each ran one collection cycle). */
  readonly scrapes: number;
  /** stdout+stderr so far (last 64 KiB). */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs` (default 3000). Idempotent; never throws. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port from listen(0)'));
        return;
      }
      const { port } = addr;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function referenceArgs(o: ExporterOptions, port: number): string[] {
  return [
    '-procfs',
    o.procfs,
    '-config.path',
    o.configPath,
    '-web.listen-address',
    `127.0.0.1:${port}`,
    `-children=${String(o.children ?? true)}`,
    `-threads=${String(o.threads ?? true)}`,
    `-gather-smaps=${String(o.gatherSmaps ?? true)}`,
    ...(o.extraArgs ?? []),
  ];
}

function procpushArgs(o: ExporterOptions, port: number): string[] {
  return [
    PROCPUSH_CLI,
    'serve',
    '--procfs',
    o.procfs,
    '--config.path',
    o.configPath,
    '--web.listen-address',
    `127.0.0.1:${port}`,
    `--children=${String(o.children ?? true)}`,
    `--threads=${String(o.threads ?? true)}`,
    `--gather-smaps=${String(o.gatherSmaps ?? true)}`,
    ...(o.extraArgs ?? []),
  ];
}

/** Starts Debian's process-exporter on the given procfs and config. */
export function startReference(o: ExporterOptions): Promise<ExporterHandle> {
  return startWithRetry('process-exporter', REFERENCE_BIN, (port) => referenceArgs(o, port), o);
}

/** Starts `node dist/cli.js serve` with the same options. */
export function startProcpush(o: ExporterOptions): Promise<ExporterHandle> {
  return startWithRetry('procpush', process.execPath, (port) => procpushArgs(o, port), o);
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

async function startWithRetry(
  name: string,
  command: string,
  args: (port: number) => string[],
  o: ExporterOptions,
): Promise<ExporterHandle> {
  const attempts = o.portAttempts ?? 5;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    try {
      return await startOnce(name, command, args(port), port, o);
    } catch (err) {
      last = err;
      if (!(err instanceof StartError && err.addressInUse)) throw err;
    }
  }
  throw new Error(`${name}: no free port after ${attempts} attempts`, { cause: last });
}

async function startOnce(
  name: string,
  command: string,
  argv: string[],
  port: number,
  o: ExporterOptions,
): Promise<ExporterHandle> {
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // written by the child's event handlers
  const life: { exited: { code: number | null; signal: NodeJS.Signals | null } | undefined; spawnError: Error | undefined } = {
    exited: undefined,
    spawnError: undefined,
  };
  // a call, so that the checks after each await are not narrowed away
  const currentLife = (): typeof life => life;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      life.exited = { code, signal };
      resolve();
    });
    child.on('error', (err) => {
      life.spawnError = err;
      life.exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const metricsUrl = `${url}/metrics`;
  let scrapes = 0;

  const stop = async (graceMs = 3000): Promise<void> => {
    if (life.exited !== undefined || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exitPromise.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut && currentLife().exited === undefined) {
      child.kill('SIGKILL');
      await Promise.race([exitPromise, sleep(graceMs)]);
    }
  };

  const describe = (): string => `${name} (${[command, ...argv].join(' ')})`;
  const attempts = o.readyAttempts ?? 50;
  const interval = o.readyIntervalMs ?? 100;
  const readyUrl = (o.readiness ?? 'landing') === 'landing' ? `${url}/` : metricsUrl;
  for (let i = 0; i < attempts; i++) {
    const { exited, spawnError } = currentLife();
    if (exited !== undefined) {
      const inUse = /address already in use|EADDRINUSE/i.test(out);
      throw new StartError(
        `${describe()} exited before answering (code ${String(exited.code)}, signal ${String(exited.signal)}${
          spawnError === undefined ? '' : `, ${spawnError.message}`
        }):\n${out}`,
        inUse,
      );
    }
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (readyUrl === metricsUrl) {
        if (res.status === 200) {
          scrapes++;
          break;
        }
      } else {
        break;
      }
    } catch {
      // not listening yet
    }
    if (i === attempts - 1) {
      await stop();
      throw new StartError(`${describe()} did not answer ${readyUrl} after ${attempts} polls:\n${out}`, false);
    }
    await sleep(interval);
  }

  return {
    name,
    port,
    url,
    argv: [command, ...argv],
    get scrapes() {
      return scrapes;
    },
    output: () => out,
    stop,
    async scrape(): Promise<string> {
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${name}: GET /metrics → ${res.status}: ${body.slice(0, 500)}`);
      scrapes++;
      return body;
    },
  };
}
