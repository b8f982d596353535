/**
 * Every process the benchmark starts runs in a process group of its own (spawned `detached`, so
 * its pid is its process group id) and is registered here, so that one `kill(-pgid)` ends it and
 * everything it forked. Cleanup happens on every path:
 *
 *  - normally, in the benchmark's `finally` (`stopAll`: SIGTERM, then SIGKILL after a grace);
 *  - on SIGINT / SIGTERM / SIGHUP and on an uncaught error (`killAllSync`, then exit);
 *  - on process exit (`exit` handler, synchronous SIGKILL of whatever is left);
 *  - if the benchmark itself is SIGKILLed: a watchdog shell, started first, checks once a second
 *    (bounded) that the benchmark is still its parent, and then kills every group listed in a file the
 *    benchmark keeps current and removes the work directory.
 *    The sleeps of the fleet also end by themselves after a bounded lifetime.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout + stderr so far (last 64 KiB). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
}

const OUTPUT_LIMIT = 64 * 1024;

export class Children {
  readonly #groups = new Set<number>();
  readonly #workDir: string;
  readonly #groupFile: string;
  #watchdog: number | undefined;
  #handlersInstalled = false;

  /** `workDir` holds the group file and is removed with everything else. */
  constructor(workDir: string) {
    this.#workDir = workDir;
    this.#groupFile = join(workDir, 'groups');
    this.#writeGroupFile();
  }

  /** Starts the watchdog that kills every registered group if this process dies without cleaning up. */
  startWatchdog(maxSeconds: number): void {
    // The benchmark is alive while it is still the watchdog's parent (field 4 of /proc/<pid>/stat; a
    // killed parent may linger as a zombie where PID 1 does not reap, so `kill -0` is not enough).
    // `kill -9 -PGID`: dash's kill takes no `--`.
    const script =
      'i=0; while [ "$i" -lt "$MAX" ] && [ "$(cut -d" " -f4 /proc/$$/stat)" = "$BENCH" ]; do sleep 1; i=$((i+1)); done; ' +
      'for g in $(cat "$FILE" 2>/dev/null); do kill -9 "-$g" 2>/dev/null; done; rm -rf "$DIR"';
    const child = spawn('/bin/sh', ['-c', script], {
      detached: true,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        MAX: String(Math.ceil(maxSeconds)),
        BENCH: String(process.pid),
        FILE: this.#groupFile,
        DIR: this.#workDir,
      },
    });
    child.unref();
    this.#watchdog = child.pid;
  }

  /** Kills the registered groups synchronously on signals, uncaught errors and exit. */
  installHandlers(): void {
    if (this.#handlersInstalled) return;
    this.#handlersInstalled = true;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, killing every process it started\n`);
        this.killAllSync();
        process.exit(130);
      });
    }
    process.once('uncaughtException', (e) => {
      process.stderr.write(`bench: uncaught ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      this.killAllSync();
      process.exit(1);
    });
    process.once('exit', () => {
      this.killAllSync();
    });
  }

  /** Spawns `command` in a new process group and registers the group. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${command}`);
    this.#groups.add(pid);
    this.#writeGroupFile();
    let out = '';
    const collect = (chunk: Buffer): void => {
      out = (out + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let done = false;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        done = true;
        resolve();
      });
      child.once('error', () => {
        done = true;
        resolve();
      });
    });
    return { child, pid, output: () => out, exited, hasExited: () => done };
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; unregisters it. Never throws. */
  async stop(s: Spawned, graceMs = 2000): Promise<void> {
    if (!this.#groups.has(s.pid)) return;
    signalGroup(s.pid, 'SIGTERM');
    await Promise.race([s.exited, sleep(graceMs)]);
    signalGroup(s.pid, 'SIGKILL');
    await Promise.race([s.exited, sleep(graceMs)]);
    this.#groups.delete(s.pid);
    this.#writeGroupFile();
  }

  /** SIGKILL to the group at once; unregisters it. */
  kill(s: Spawned): void {
    signalGroup(s.pid, 'SIGKILL');
    this.#groups.delete(s.pid);
    this.#writeGroupFile();
  }

  /** SIGKILL to every registered group, then the watchdog; removes the work directory. Synchronous; safe to call twice. */
  killAllSync(): void {
    for (const pgid of this.#groups) signalGroup(pgid, 'SIGKILL');
    this.#groups.clear();
    if (this.#watchdog !== undefined) signalGroup(this.#watchdog, 'SIGKILL');
    this.#watchdog = undefined;
    try {
      rmSync(this.#workDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }

  #writeGroupFile(): void {
    writeFileSync(this.#groupFile, [...this.#groups].map((g) => `${g}\n`).join(''));
  }
}

/** kill(-pgid, signal), ignoring ESRCH (already gone). */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
