/**
 * `npm run bench`: procpush against process-exporter and against the floor (a C program that only
 * reads the files), on real processes of this machine.
 *
 *   node build/bench/bench.js [--procs 1500] [--scrapes N] [--memory-cycles 300] [--churn 1]
 *                             [--node-threaded 3] [--python-threaded 3] [--no-reference] [--no-floor]
 *                             [--no-encode] [--encode-only] [--no-steady] [--steady-cycles 60]
 *                             [--cpu-prof DIR] [--procpush-yaml TEXT] [--node-flags "--flag …"]
 *                             [--lifetime-checkpoints 2] [--lifetime-only] [--out bench-results.json]
 *
 * 1. In process: the cost of building, encoding and compressing one remote-write request of 10,000
 *    series with the sink's real encoder (bench/encode.ts).
 * 2. Starts N `sleep`s plus a few multi-threaded processes (bench/fleet.ts), process-exporter
 *    (Debian's /usr/bin/prometheus-process-exporter, when installed) and `procpush serve` on
 *    127.0.0.1 random ports, with the same catch-all `{{.Comm}}` config, -children, -threads and
 *    -gather-smaps on, and the floor reader (bench/floor.c, compiled with gcc when gcc exists).
 * 3. Two warm-up cycles each, then N rounds; each round runs one cycle of each, in an order that
 *    rotates. CPU per cycle = (utime+stime at the end − at the start) of the measured process ÷ rounds,
 *    so work a server defers past its answer (GC) is counted too. Wall = the scrape's round trip.
 *    RSS = VmRSS after the rounds.
 * 4. Memory: procpush is scraped on until its 100th and 300th cycle (startup cycle included); VmRSS at
 *    both, each after the last 8 cycles before it ran at 3 s intervals (a real agent runs one cycle per
 *    15 s, at which pace V8 gives back the young generation a burst of cycles grew; the RSS right after
 *    the burst is reported as well). Run by default at up to 2,000 processes.
 * 5. The guard of the memory techniques (src/base/memory.ts, bench/steady.ts): a separate node process
 *    runs steady collection cycles of this tree's code over the same fleet and reports the heap a
 *    cycle leaves to the old generation and what survives a full collection (both should stay near 0).
 * 6. Lifetime (bench/lifetime.ts): `procpush run` as deployed (15 s interval, state checkpoint every
 *    60 s, remote write with queue.dir) on the same fleet with a healthy receiver: disk writes per
 *    second over `--lifetime-checkpoints` whole checkpoint periods (0 skips it), the state file's bytes
 *    per tracked process, a restart (SIGTERM to the first new push) and SIGTERM to exit with the
 *    receiver down. `--lifetime-only` skips the CPU and memory measurements.
 * 7. Prints a table and merges the results into the JSON file under `runs["<procs>"]` and `encode`.
 *
 * Every process started runs in its own process group and is killed on every path (children.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Children, sleep } from './children.js';
import { benchEncode, type EncodeResult } from './encode.js';
import { benchLifetime, type LifetimeResult } from './lifetime.js';
import { startFleet } from './fleet.js';
import { countProcesses, cpuSeconds, rssParts, statusBytes } from './proc-stat.js';
import { type Floor, type Server, scrape, startFloor, startServer } from './servers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** `$PROCPUSH_CLI` measures another build (e.g. an older commit's dist/cli.js) against the same fleet. */
const PROCPUSH_CLI = process.env.PROCPUSH_CLI ?? join(REPO, 'dist', 'cli.js');
const REFERENCE_BIN = process.env.PROCESS_EXPORTER_BIN ?? '/usr/bin/prometheus-process-exporter';
const FLOOR_SOURCE = join(REPO, 'bench', 'floor.c');

/** process-exporter's packaged catch-all config (all.yaml). */
const CATCH_ALL = `process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n      - '.+'\n`;

const TARGETS = {
  cpuVsReference: 0.8,
  cpuVsFloor: 2,
  rssAfter100Bytes: 60 * 1024 * 1024,
  rssGrowthBytes: 2 * 1024 * 1024,
  encodeMs: 20,
  /** Old-generation growth a steady cycle leaves behind (bench/steady.ts). */
  steadyPromotedBytes: 32 * 1024,
  /** State plus queue written while the receiver is healthy (issue 11). */
  diskBytesPerSecond: 2048,
  stateBytesPerProcess: 100,
  /** SIGTERM to the first new sample: at most one interval (15 s). */
  restartMs: 15_000,
  stopReceiverDownMs: 1000,
} as const;

interface Args {
  procs: number;
  scrapes: number;
  memoryCycles: number;
  churn: number;
  nodeThreaded: number;
  pythonThreaded: number;
  reference: boolean;
  floor: boolean;
  encode: boolean;
  encodeOnly: boolean;
  steady: boolean;
  steadyCycles: number;
  cpuProfDir: string | undefined;
  procpushYaml: string;
  nodeFlags: string[];
  lifetimeCheckpoints: number;
  lifetimeOnly: boolean;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    procs: 1500,
    scrapes: -1,
    memoryCycles: -1,
    churn: 1,
    nodeThreaded: 3,
    pythonThreaded: 3,
    reference: true,
    floor: true,
    encode: true,
    encodeOnly: false,
    steady: true,
    steadyCycles: 60,
    cpuProfDir: undefined,
    procpushYaml: '',
    nodeFlags: [],
    lifetimeCheckpoints: 2,
    lifetimeOnly: false,
    out: 'bench-results.json',
  };
  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, got ${String(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = eq < 0 ? raw : raw.slice(0, eq);
    const value = (): string | undefined => (eq < 0 ? argv[++i] : raw.slice(eq + 1));
    switch (flag.replace(/^--?/, '')) {
      case 'procs':
        a.procs = number(flag, value());
        break;
      case 'scrapes':
        a.scrapes = number(flag, value());
        break;
      case 'memory-cycles':
        a.memoryCycles = number(flag, value());
        break;
      case 'churn':
        a.churn = number(flag, value());
        break;
      case 'node-threaded':
        a.nodeThreaded = number(flag, value());
        break;
      case 'python-threaded':
        a.pythonThreaded = number(flag, value());
        break;
      case 'no-reference':
        a.reference = false;
        break;
      case 'no-floor':
        a.floor = false;
        break;
      case 'no-encode':
        a.encode = false;
        break;
      case 'encode-only':
        a.encodeOnly = true;
        break;
      case 'no-steady':
        a.steady = false;
        break;
      case 'steady-cycles':
        a.steadyCycles = number(flag, value());
        break;
      case 'cpu-prof':
        a.cpuProfDir = resolve(value() ?? 'bench-profiles');
        break;
      case 'procpush-yaml':
        a.procpushYaml = value() ?? '';
        break;
      case 'node-flags':
        a.nodeFlags = (value() ?? '').split(/\s+/).filter((s) => s !== '');
        break;
      case 'lifetime-checkpoints':
        a.lifetimeCheckpoints = number(flag, value());
        break;
      case 'lifetime-only':
        a.lifetimeOnly = true;
        break;
      case 'out':
        a.out = value() ?? a.out;
        break;
      case 'help':
        process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] ?? ''}*/\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${raw} (see --help)`);
    }
  }
  if (a.scrapes < 0) a.scrapes = a.procs > 2000 ? 10 : 20;
  if (a.memoryCycles < 0) a.memoryCycles = a.procs <= 2000 ? 300 : 0;
  return a;
}

interface Measured {
  readonly name: string;
  readonly cycles: number;
  /** CPU seconds per cycle: total over the rounds ÷ rounds. */
  readonly cpuPerCycle: number;
  readonly cpuPerScrapeP50: number;
  readonly wallMsMean: number;
  readonly wallMsP50: number;
  readonly wallMsMax: number;
  readonly rssBytes: number;
  readonly hwmBytes: number;
}

interface Subject {
  readonly name: string;
  readonly pid: number;
  run(): Promise<void>;
  readonly wall: number[];
  readonly cpu: number[];
  cpuStart: number;
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function compileFloor(dir: string): string | undefined {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const out = join(dir, 'floor');
  execFileSync('gcc', ['-O2', '-Wall', '-o', out, FLOOR_SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

/** `-version` prints `version  (branch: debian/sid, revision: 0.7.10-3+b5)` on Debian's build. */
function referenceVersion(): string {
  let text: string;
  try {
    text = execFileSync(REFERENCE_BIN, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    text = typeof stderr === 'string' ? stderr : Buffer.isBuffer(stderr) ? stderr.toString('utf8') : '';
  }
  return /version\s+v?(\d[\w.+-]*)/.exec(text)?.[1] ?? /revision:\s*v?(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? 'unknown';
}

function gitHead(): string {
  try {
    return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const MB = 1024 * 1024;
/** Memory checkpoints: the last cycles before each one run at this pace (see the memory phase). */
const SETTLE_SCRAPES = 8;
const SETTLE_INTERVAL_MS = 3000;
const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const results: Record<string, unknown> = { startedAt, commit: gitHead(), node: process.version, cpus: cpus().length };

  let encode: EncodeResult | undefined;
  if (args.encode) {
    process.stderr.write('encode: 10,000-series remote-write request…\n');
    encode = benchEncode({ series: 10_000, warmup: 30, cycles: 100 });
    results.encode = { ...encode, target: { ms: TARGETS.encodeMs, met: encode.totalMs < TARGETS.encodeMs } };
  }
  if (args.encodeOnly) {
    report(args, results, undefined, encode);
    return;
  }
  if (!existsSync(PROCPUSH_CLI)) throw new Error(`${PROCPUSH_CLI} is missing: run npm run build first`);

  const work = mkdtempSync(join(tmpdir(), 'procpush-bench-'));
  const children = new Children(work);
  children.installHandlers();
  // Bound for the watchdog and for every process's lifetime: generous for 5,000 processes.
  const lifetimeSeconds = 3 * 3600;
  children.startWatchdog(lifetimeSeconds);
  const servers: Server[] = [];
  let floor: Floor | undefined;
  try {
    const config = join(work, 'all.yaml');
    writeFileSync(config, CATCH_ALL);
    const procpushConfig = join(work, 'procpush.yaml');
    writeFileSync(procpushConfig, `${CATCH_ALL}${args.procpushYaml === '' ? '' : `${args.procpushYaml}\n`}`);
    const floorBin = args.floor ? compileFloor(work) : undefined;
    if (args.floor && floorBin === undefined) process.stderr.write('floor: gcc not found, floor skipped\n');

    process.stderr.write(`fleet: ${args.procs} sleeps, ${args.nodeThreaded} node + ${args.pythonThreaded} python3 multi-threaded, churn ${args.churn}…\n`);
    const fleet = await startFleet(children, {
      sleeps: args.procs,
      nodeThreaded: args.nodeThreaded,
      pythonThreaded: args.pythonThreaded,
      churnLoops: args.churn,
      lifetimeSeconds,
    });

    const runLifetime = async (): Promise<LifetimeResult | undefined> => {
      if (args.lifetimeCheckpoints === 0) return undefined;
      process.stderr.write(`lifetime: procpush run, 15 s interval, state checkpoint every 60 s, ${args.lifetimeCheckpoints} checkpoint periods, then a restart and a stop with the receiver down…\n`);
      return benchLifetime(children, { workDir: work, procpushCli: PROCPUSH_CLI, processNames: CATCH_ALL, checkpoints: args.lifetimeCheckpoints, intervalSeconds: 15, checkpointSeconds: 60 });
    };
    if (args.lifetimeOnly) {
      const lifetime = await runLifetime();
      const run: Record<string, unknown> = { procs: args.procs, liveProcesses: countProcesses(), fleetProcesses: fleet.processes, multiThreaded: fleet.multiThreaded, lifetime: lifetime ?? null, targets: lifetimeTargets(lifetime) };
      results.run = run;
      report(args, results, run, encode);
      return;
    }

    const common = ['children=true', 'threads=true', 'gather-smaps=true'];
    const haveReference = args.reference && existsSync(REFERENCE_BIN);
    if (args.reference && !haveReference) process.stderr.write(`process-exporter: ${REFERENCE_BIN} not installed, skipped\n`);
    let reference: Server | undefined;
    if (haveReference) {
      reference = await startServer(children, 'process-exporter', REFERENCE_BIN, (port) => [
        '-procfs',
        '/proc',
        '-config.path',
        config,
        '-web.listen-address',
        `127.0.0.1:${port}`,
        ...common.map((c) => `-${c}`),
      ]);
      servers.push(reference);
    }
    const nodeFlags = [...args.nodeFlags];
    if (args.cpuProfDir !== undefined) {
      mkdirSync(args.cpuProfDir, { recursive: true });
      nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${args.cpuProfDir}`);
    }
    const procpush = await startServer(children, 'procpush', process.execPath, (port) => [
      ...nodeFlags,
      PROCPUSH_CLI,
      'serve',
      '--procfs',
      '/proc',
      '--config.path',
      procpushConfig,
      '--web.listen-address',
      `127.0.0.1:${port}`,
      ...common.map((c) => `--${c}`),
      '--log.level=warn',
    ]);
    servers.push(procpush);
    if (floorBin !== undefined) floor = startFloor(children, floorBin, '/proc');

    const timeoutMs = 120_000;
    const subjects: Subject[] = servers.map((s) => ({
      name: s.name,
      pid: s.proc.pid,
      run: async () => {
        await scrape(s, timeoutMs);
      },
      wall: [],
      cpu: [],
      cpuStart: 0,
    }));
    let floorInfo: { pids: number; files: number; bytes: number } | undefined;
    if (floor !== undefined) {
      const f = floor;
      subjects.push({
        name: 'floor (C reader)',
        pid: f.proc.pid,
        run: async () => {
          floorInfo = await f.cycle(timeoutMs);
        },
        wall: [],
        cpu: [],
        cpuStart: 0,
      });
    }

    process.stderr.write(`warm-up: 2 cycles each (${subjects.map((s) => s.name).join(', ')})…\n`);
    for (let i = 0; i < 2; i++) for (const s of subjects) await s.run();
    const liveProcesses = countProcesses();
    for (const s of subjects) s.cpuStart = cpuSeconds(s.pid);
    process.stderr.write(`measuring: ${args.scrapes} rounds at ${liveProcesses} live processes…\n`);
    for (let round = 0; round < args.scrapes; round++) {
      for (let k = 0; k < subjects.length; k++) {
        const s = subjects[(round + k) % subjects.length];
        if (s === undefined) continue;
        const cpu0 = cpuSeconds(s.pid);
        const t0 = performance.now();
        await s.run();
        s.wall.push(performance.now() - t0);
        s.cpu.push(cpuSeconds(s.pid) - cpu0);
      }
    }
    const measured: Measured[] = subjects.map((s) => ({
      name: s.name,
      cycles: s.wall.length,
      cpuPerCycle: (cpuSeconds(s.pid) - s.cpuStart) / s.wall.length,
      cpuPerScrapeP50: quantile(s.cpu, 0.5),
      wallMsMean: s.wall.reduce((x, y) => x + y, 0) / s.wall.length,
      wallMsP50: quantile(s.wall, 0.5),
      wallMsMax: Math.max(...s.wall),
      rssBytes: statusBytes(s.pid, 'VmRSS'),
      hwmBytes: statusBytes(s.pid, 'VmHWM'),
    }));

    let memory: Record<string, number> | undefined;
    if (args.memoryCycles > 0) {
      if (reference !== undefined) {
        await children.stop(reference.proc);
        servers.splice(servers.indexOf(reference), 1);
      }
      // Cycles back to back up to each checkpoint, then SETTLE_SCRAPES more at SETTLE_INTERVAL_MS (an
      // agent's real cadence is one cycle per 15 s, when V8 shrinks a young generation that a burst
      // grew), then RSS. Both checkpoints are measured the same way; the RSS right after the burst is
      // reported too.
      const checkpoints = [100, args.memoryCycles];
      const rss: Record<number, { burst: number; settled: number; anon: number; file: number }> = {};
      process.stderr.write(`memory: procpush to cycle ${args.memoryCycles} (settling ${(SETTLE_SCRAPES * SETTLE_INTERVAL_MS) / 1000} s at each checkpoint)…\n`);
      for (const target of checkpoints) {
        while (procpush.cycles < target - SETTLE_SCRAPES) await scrape(procpush, timeoutMs);
        const burst = statusBytes(procpush.proc.pid, 'VmRSS');
        for (let i = 0; i < SETTLE_SCRAPES; i++) {
          await sleep(SETTLE_INTERVAL_MS);
          await scrape(procpush, timeoutMs);
        }
        const parts = rssParts(procpush.proc.pid);
        rss[target] = { burst, settled: statusBytes(procpush.proc.pid, 'VmRSS'), anon: parts.anonBytes, file: parts.fileBytes };
      }
      const at100 = rss[100]?.settled ?? NaN;
      const atEnd = rss[args.memoryCycles]?.settled ?? NaN;
      memory = {
        cycles: args.memoryCycles,
        rssAt100Bytes: at100,
        rssAtEndBytes: atEnd,
        growthBytes: atEnd - at100,
        anonAt100Bytes: rss[100]?.anon ?? NaN,
        fileAt100Bytes: rss[100]?.file ?? NaN,
        anonAtEndBytes: rss[args.memoryCycles]?.anon ?? NaN,
        fileAtEndBytes: rss[args.memoryCycles]?.file ?? NaN,
        burstRssAt100Bytes: rss[100]?.burst ?? NaN,
        burstRssAtEndBytes: rss[args.memoryCycles]?.burst ?? NaN,
        hwmBytes: statusBytes(procpush.proc.pid, 'VmHWM'),
      };
    }

    let steady: SteadyResult | undefined;
    if (args.steady) {
      process.stderr.write(`steady cycles: ${args.steadyCycles} in a separate process (memory techniques)…\n`);
      steady = runSteady(args.steadyCycles);
    }
    // The serve processes are done; the lifetime run has the machine (and the fleet) to itself.
    for (const sv of servers.splice(0)) await children.stop(sv.proc);
    const lifetime = await runLifetime();

    const pp = measured.find((m) => m.name === 'procpush');
    const ref = measured.find((m) => m.name === 'process-exporter');
    const fl = measured.find((m) => m.name.startsWith('floor'));
    const ratioRef = pp !== undefined && ref !== undefined ? pp.cpuPerCycle / ref.cpuPerCycle : NaN;
    const ratioFloor = pp !== undefined && fl !== undefined ? pp.cpuPerCycle / fl.cpuPerCycle : NaN;
    const run: Record<string, unknown> = {
      procs: args.procs,
      liveProcesses,
      fleetProcesses: fleet.processes,
      multiThreaded: fleet.multiThreaded,
      churnLoops: args.churn,
      rounds: args.scrapes,
      referenceVersion: haveReference ? referenceVersion() : null,
      procpushYaml: args.procpushYaml,
      nodeFlags: args.nodeFlags,
      floorReads: floorInfo ?? null,
      measured,
      ratios: { procpushVsReference: ratioRef, procpushVsFloor: ratioFloor },
      memory: memory ?? null,
      steady: steady ?? null,
      lifetime: lifetime ?? null,
      targets: {
        ...lifetimeTargets(lifetime),
        ...(steady === undefined
          ? {}
          : { steadyPromoted: { targetBytes: TARGETS.steadyPromotedBytes, value: steady.promotedBytesPerCycle, met: steady.promotedBytesPerCycle <= TARGETS.steadyPromotedBytes } }),
        cpuVsReference: { target: TARGETS.cpuVsReference, value: ratioRef, met: ratioRef <= TARGETS.cpuVsReference },
        cpuVsFloor: { target: TARGETS.cpuVsFloor, value: ratioFloor, met: ratioFloor <= TARGETS.cpuVsFloor },
        ...(memory === undefined
          ? {}
          : {
              rssAfter100: { targetBytes: TARGETS.rssAfter100Bytes, value: memory.rssAt100Bytes, met: (memory.rssAt100Bytes ?? NaN) <= TARGETS.rssAfter100Bytes },
              rssGrowth: { targetBytes: TARGETS.rssGrowthBytes, value: memory.growthBytes, met: (memory.growthBytes ?? NaN) <= TARGETS.rssGrowthBytes },
            }),
      },
    };
    results.run = run;
    report(args, results, run, encode);
  } finally {
    for (const s of servers) await children.stop(s.proc);
    if (floor !== undefined) await children.stop(floor.proc, 500);
    children.killAllSync();
    rmSync(work, { recursive: true, force: true });
  }
}

interface SteadyResult {
  readonly procs: number;
  readonly cycles: number;
  readonly samplesPerCycle: number;
  readonly promotedBytesPerCycle: number;
  readonly retainedBytesPerCycle: number;
  readonly majorGcs: number;
}

/** bench/steady.ts in its own node process (nothing else allocates there). */
function runSteady(cycles: number): SteadyResult {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL('./steady.js', import.meta.url)), '--cycles', String(cycles)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  return JSON.parse(out) as SteadyResult;
}

function lifetimeTargets(l: LifetimeResult | undefined): Record<string, { target: number; value: number; met: boolean }> {
  if (l === undefined) return {};
  const t = (target: number, value: number): { target: number; value: number; met: boolean } => ({ target, value, met: value <= target });
  return {
    diskBytesPerSecond: t(TARGETS.diskBytesPerSecond, l.writeBytesPerSecond),
    stateBytesPerProcess: t(TARGETS.stateBytesPerProcess, l.stateBytesPerProcess),
    restartMs: t(TARGETS.restartMs, l.restartMs),
    stopReceiverDownMs: t(TARGETS.stopReceiverDownMs, l.stopReceiverDownMs),
  };
}

function lifetimeLines(l: LifetimeResult, t: Record<string, { value: number; met: boolean }>): string[] {
  const mark = (k: string): string => (t[k] === undefined || !Number.isFinite(t[k].value) ? '' : t[k].met ? '  ✓' : '  ✗');
  return [
    '',
    `procpush run (${l.intervalSeconds} s interval, state checkpoint every ${l.checkpointSeconds} s, remote write with queue.dir, healthy receiver):`,
    `  disk writes (state + queue):   ${fmt(l.writeBytesPerSecond, 0)} B/s over ${fmt(l.measuredSeconds, 0)} s, ${l.checkpointsMeasured} checkpoint periods (target ≤ ${TARGETS.diskBytesPerSecond})${mark('diskBytesPerSecond')}` +
      (l.writesUnaccounted ? '  (write_bytes stayed 0: this filesystem does not account writes; figure void)' : ''),
    `  queue files written:           ${l.queueFilesWritten}`,
    `  state file:                    ${l.stateBytes} B for ${l.trackedProcesses} tracked processes = ${fmt(l.stateBytesPerProcess, 1)} B/process (target ≤ ${TARGETS.stateBytesPerProcess})${mark('stateBytesPerProcess')}`,
    `  restart, SIGTERM to the first new push: ${fmt(l.restartMs / 1000, 2)} s (target ≤ one interval, ${TARGETS.restartMs / 1000} s)${mark('restartMs')}`,
    `  SIGTERM to exit, receiver down: ${fmt(l.stopReceiverDownMs, 0)} ms (target < ${TARGETS.stopReceiverDownMs})${mark('stopReceiverDownMs')}`,
  ];
}

/** Prints the table and merges the results into the JSON file. */
function report(args: Args, results: Record<string, unknown>, run: Record<string, unknown> | undefined, encode: EncodeResult | undefined): void {
  const lines: string[] = [];
  if (run !== undefined && run.measured === undefined) {
    lines.push(`procpush bench @ ${String(results.commit)}: ${String(run.liveProcesses)} live processes (${args.procs} sleeps, ${String(run.multiThreaded)} multi-threaded), lifetime only`);
  }
  if (run !== undefined && run.measured !== undefined) {
    const measured = run.measured as Measured[];
    const live = run.liveProcesses as number;
    lines.push(
      `procpush bench @ ${String(results.commit)}: ${live} live processes (${args.procs} sleeps, ${String(run.multiThreaded)} multi-threaded, churn ${args.churn}), ` +
        `${args.scrapes} rounds, ${String(results.cpus)} CPUs, catch-all {{.Comm}}, threads + smaps on`,
      '',
      `${'subject'.padEnd(28)}${'CPU s/cycle'.padStart(12)}${'µs/proc'.padStart(9)}${'wall ms p50'.padStart(13)}${'wall ms max'.padStart(13)}${'RSS MB'.padStart(9)}${'HWM MB'.padStart(9)}`,
    );
    for (const m of measured) {
      const name = m.name === 'process-exporter' ? `process-exporter ${String(run.referenceVersion)}` : m.name;
      lines.push(
        `${name.padEnd(28)}${fmt(m.cpuPerCycle, 3).padStart(12)}${fmt((m.cpuPerCycle / live) * 1e6, 0).padStart(9)}${fmt(m.wallMsP50, 0).padStart(13)}${fmt(m.wallMsMax, 0).padStart(13)}${fmt(m.rssBytes / MB, 1).padStart(9)}${fmt(m.hwmBytes / MB, 1).padStart(9)}`,
      );
    }
    const t = run.targets as Record<string, { value: number; met: boolean }>;
    const mark = (k: string): string => (t[k] === undefined || !Number.isFinite(t[k].value) ? '' : t[k].met ? '  ✓' : '  ✗');
    const ratios = run.ratios as { procpushVsReference: number; procpushVsFloor: number };
    lines.push(
      '',
      `procpush / process-exporter CPU: ${fmt(ratios.procpushVsReference, 2)} (target ≤ ${TARGETS.cpuVsReference})${mark('cpuVsReference')}`,
      `procpush / floor CPU:            ${fmt(ratios.procpushVsFloor, 2)} (target ≤ ${TARGETS.cpuVsFloor})${mark('cpuVsFloor')}`,
    );
    const memory = run.memory as Record<string, number> | null;
    if (memory !== null) {
      lines.push(
        `procpush RSS after 100 cycles:   ${fmt((memory.rssAt100Bytes ?? NaN) / MB, 1)} MB (target ≤ 60)${mark('rssAfter100')}`,
        `procpush RSS growth 100→${memory.cycles}:     ${fmt((memory.growthBytes ?? NaN) / MB, 2)} MB (target ≤ 2)${mark('rssGrowth')}  (RSS at ${memory.cycles}: ${fmt((memory.rssAtEndBytes ?? NaN) / MB, 1)} MB, HWM ${fmt((memory.hwmBytes ?? NaN) / MB, 1)} MB)`,
        `  (anonymous + file-backed (the node binary's pages): ${fmt((memory.anonAt100Bytes ?? NaN) / MB, 1)} + ${fmt((memory.fileAt100Bytes ?? NaN) / MB, 1)} MB at 100, ${fmt((memory.anonAtEndBytes ?? NaN) / MB, 1)} + ${fmt((memory.fileAtEndBytes ?? NaN) / MB, 1)} MB at ${memory.cycles})`,
        `  (RSS right after the back-to-back cycles, before settling: ${fmt((memory.burstRssAt100Bytes ?? NaN) / MB, 1)} MB at 100, ${fmt((memory.burstRssAtEndBytes ?? NaN) / MB, 1)} MB at ${memory.cycles})`,
      );
    }
  }
  const steady = run?.steady as SteadyResult | null | undefined;
  if (steady !== undefined && steady !== null) {
    const t = run?.targets as Record<string, { met: boolean }> | undefined;
    lines.push(
      `steady cycle (${steady.procs} processes, ${steady.cycles} cycles, own process): ${fmt(steady.promotedBytesPerCycle / 1024, 1)} KiB/cycle to the old generation ` +
        `(target ≤ ${TARGETS.steadyPromotedBytes / 1024})${t?.['steadyPromoted']?.met === true ? '  ✓' : '  ✗'}, ${fmt(steady.retainedBytesPerCycle / 1024, 1)} KiB/cycle kept after a full GC` +
        (steady.majorGcs > 0 ? ` (${steady.majorGcs} major GC during the cycles: a lower bound)` : ''),
    );
  }
  const lifetime = run?.lifetime as LifetimeResult | null | undefined;
  if (lifetime !== undefined && lifetime !== null) lines.push(...lifetimeLines(lifetime, run?.targets as Record<string, { value: number; met: boolean }>));
  if (encode !== undefined) {
    lines.push(
      `remote write, ${encode.series} series: ${fmt(encode.totalMs, 2)} ms median (p90 ${fmt(encode.p90TotalMs, 2)}) = families ${fmt(encode.familiesMs, 2)} + labels/encode ${fmt(encode.encodeMs, 2)} + snappy ${fmt(encode.compressMs, 2)} ms; ` +
        `${fmt(encode.requestBytes / 1024, 0)} KiB → ${fmt(encode.compressedBytes / 1024, 0)} KiB (target < ${TARGETS.encodeMs} ms)${encode.totalMs < TARGETS.encodeMs ? '  ✓' : '  ✗'}`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);

  let file: Record<string, unknown> = {};
  try {
    file = JSON.parse(readFileSync(args.out, 'utf8')) as Record<string, unknown>;
  } catch {
    // a new file
  }
  const runs = (typeof file.runs === 'object' && file.runs !== null ? file.runs : {}) as Record<string, unknown>;
  if (run !== undefined) runs[String(args.procs)] = { ...run, commit: results.commit, startedAt: results.startedAt, node: results.node, cpus: results.cpus };
  const merged = { ...file, runs, ...(encode === undefined ? {} : { encode: results.encode }), updatedAt: new Date().toISOString() };
  writeFileSync(args.out, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(`results: ${resolve(args.out)}\n`);
}

main().then(
  () => {
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
