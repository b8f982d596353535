/**
 * The agent's lifetime costs, on the bench's fleet, with `procpush run` as deployed (15 s interval,
 * state_checkpoint 60 s, a remote-write sink with queue.dir) and a healthy receiver (an HTTP server in
 * this process that answers 204):
 *
 *  - disk writes: `write_bytes` of /proc/<pid>/io over whole checkpoint periods (from just after one
 *    checkpoint to just after the Nth next: each period holds one checkpoint and its cycles' journal),
 *    per second; and whether any queue file was written;
 *  - the state file's bytes per tracked process;
 *  - a restart: SIGTERM to the first request of the new process at the receiver;
 *  - SIGTERM to exit while the receiver is down (connections refused), with a queue directory.
 */
import { existsSync, mkdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { type Children, sleep, type Spawned } from './children.js';

export interface LifetimeOptions {
  readonly workDir: string;
  readonly procpushCli: string;
  /** process_names of the run. */
  readonly processNames: string;
  /** Whole checkpoint periods measured. */
  readonly checkpoints: number;
  readonly intervalSeconds: number;
  readonly checkpointSeconds: number;
}

export interface LifetimeResult {
  readonly intervalSeconds: number;
  readonly checkpointSeconds: number;
  readonly measuredSeconds: number;
  readonly checkpointsMeasured: number;
  readonly writeBytes: number;
  readonly writeBytesPerSecond: number;
  /** write_bytes stayed 0 over the window: the filesystem of the work directory does not account writes. */
  readonly writesUnaccounted: boolean;
  readonly queueFilesWritten: number;
  readonly stateBytes: number;
  readonly trackedProcesses: number;
  readonly stateBytesPerProcess: number;
  readonly restartMs: number;
  readonly stopReceiverDownMs: number;
}

function writeBytes(pid: number): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${String(pid)}/io`, 'utf8'))?.[1] ?? NaN);
}

/** The highest `"cycle":N` and the last `"procs":N` the agent logged. */
function cycles(s: Spawned): { cycles: number; procs: number } {
  let n = 0;
  let procs = 0;
  for (const m of s.output().matchAll(/"cycle":(\d+),"groups":\d+,"procs":(\d+)/g)) {
    n = Math.max(n, Number(m[1]));
    procs = Number(m[2]);
  }
  return { cycles: n, procs };
}

async function until<T>(what: string, maxMs: number, check: () => T | undefined, pollMs = 100): Promise<T> {
  const end = Date.now() + maxMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`lifetime bench: timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

export async function benchLifetime(children: Children, o: LifetimeOptions): Promise<LifetimeResult> {
  const dir = join(o.workDir, 'lifetime');
  const queue = join(dir, 'queue');
  const state = join(dir, 'procpush.state');
  mkdirSync(queue, { recursive: true });

  // The receiver: every request read whole and answered 204; arrival times kept.
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no receiver port');
  const url = `http://127.0.0.1:${String(address.port)}/api/v1/write`;

  const config = join(dir, 'procpush.yaml');
  writeFileSync(
    config,
    `${o.processNames}schedule: { interval: ${String(o.intervalSeconds)}s }\nstate_file: ${state}\nstate_checkpoint: ${String(o.checkpointSeconds)}s\n` +
      `labels: { node: bench }\nsinks:\n  - type: remote_write\n    url: ${url}\n    queue: { dir: ${queue} }\n`,
  );
  const start = (): Spawned => children.spawn(process.execPath, [o.procpushCli, 'run', '--config.path', config, '--log.level', 'info']);
  let queueFiles = 0;
  const watcher = watch(queue, (_event, name) => {
    if (name !== null && name.endsWith('.rwq')) queueFiles++;
  });
  const mtime = (): number => (existsSync(state) ? statSync(state).mtimeMs : 0);
  try {
    // 1. Disk writes over whole checkpoint periods.
    let agent = start();
    await until('the first cycle and checkpoint', 120_000, () => (cycles(agent).cycles >= 1 && mtime() > 0 ? true : undefined));
    await sleep(500);
    let last = mtime();
    const w0 = writeBytes(agent.pid);
    const t0 = Date.now();
    for (let k = 0; k < o.checkpoints; k++) {
      const previous = last;
      last = await until('a checkpoint', (o.checkpointSeconds + 2 * o.intervalSeconds) * 1000 + 30_000, () => {
        const m = mtime();
        return m !== previous ? m : undefined;
      }, 200);
    }
    await sleep(500);
    const w1 = writeBytes(agent.pid);
    const seconds = (Date.now() - t0) / 1000;
    const queueFilesHealthy = queueFiles;
    const stateBytes = statSync(state).size;
    const tracked = cycles(agent).procs;

    // 2. A restart: SIGTERM, exit, start again; the first request of the new process.
    const sigtermAt = Date.now();
    await children.stop(agent, 30_000);
    const exitedAt = Date.now();
    agent = start();
    const restartedAt = await until('the first push after the restart', 120_000, () => arrivals.find((t) => t >= exitedAt), 20);
    await until('the restarted agent settled', 30_000, () => (cycles(agent).cycles >= 1 ? true : undefined));
    await children.stop(agent, 30_000);

    // 3. SIGTERM while the receiver refuses connections, with a queue directory.
    server.close();
    server.closeAllConnections();
    agent = start();
    await until('a failed push', 120_000, () => (/"msg":"push failed/.test(agent.output()) ? true : undefined), 20);
    const downAt = Date.now();
    process.kill(agent.pid, 'SIGTERM');
    await Promise.race([agent.exited, sleep(30_000)]);
    const stopDownMs = Date.now() - downAt;
    await children.stop(agent, 1000);

    return {
      intervalSeconds: o.intervalSeconds,
      checkpointSeconds: o.checkpointSeconds,
      measuredSeconds: seconds,
      checkpointsMeasured: o.checkpoints,
      writeBytes: w1 - w0,
      writeBytesPerSecond: (w1 - w0) / seconds,
      writesUnaccounted: w1 === 0,
      queueFilesWritten: queueFilesHealthy,
      stateBytes,
      trackedProcesses: tracked,
      stateBytesPerProcess: tracked > 0 ? stateBytes / tracked : NaN,
      restartMs: restartedAt - sigtermAt,
      stopReceiverDownMs: stopDownMs,
    };
  } finally {
    watcher.close();
    server.close();
    server.closeAllConnections();
  }
}
