/**
 * procpush's memory techniques, named and explained once, here. An agent runs for months on thousands
 * of nodes: a steady cycle must keep nothing it allocates (so V8 never needs a major collection), and
 * what stays resident must be small. `npm run bench` measures what these techniques are for: the heap
 * a steady cycle leaves behind, and the RSS of `serve` at cycles 100 and 300 (docs/architecture.md
 * gives the figures). Removing one shows there.
 *
 * 1. Unboxed number fields (`doubleCounts`, `doubleMemory`, `DOUBLE_SEED`). The counters of every
 *    tracked process and thread are overwritten every cycle with fractions (CPU seconds) and numbers
 *    beyond the small-integer range (bytes). V8 keeps a field as an unboxed double, updated in place,
 *    only when the object's shape says the field holds doubles; a field that starts as a small integer
 *    (or comes from a copy) may stay tagged, and then every store allocates a new number box that lives
 *    until the next cycle and is promoted: garbage proportional to the process count. Objects created
 *    with fractional values get the double representation from the start. Use these factories (or
 *    DOUBLE_SEED in a literal) for every object whose numbers the hot path overwrites.
 * 2. Reused results. The procfs reader returns the same objects from every call (the ProcSource
 *    contract: use at once, copy what must be kept), the tracker refills one array of tracked
 *    processes, the series label cache keeps every series' label array across cycles: a steady cycle
 *    allocates only what dies young.
 * 3. In-place updates. Counters are updated field by field into objects the tracker and grouper own
 *    (tracker/counts.ts), never replaced by new ones.
 * 4. Interned strings (procfs/intern.ts): comm, thread names and wchan symbols are decoded once.
 * 5. A small state, rarely written (collector/state-format.ts): a binary checkpoint of a few bytes per
 *    process, once a minute, instead of a megabyte of JSON every cycle.
 * 6. One full collection once the agent has settled (`collectStartupGarbage`).
 * 7. V8 heap flags (`tuneV8Heap`), set by src/cli.ts before anything else loads.
 * 8. Lazy loading: the push stack (sinks, protobufjs, the durable queue) only for the commands that
 *    push, node-cron only for a cron schedule, and no perf_hooks (base/monotonic.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Counts, Memory } from './process.js';

/** A fraction: a number field first written with it is stored as an unboxed double (technique 1). */
export const DOUBLE_SEED = 0.5;

/**
 * Counts whose fields V8 stores as unboxed doubles (technique 1). Every field holds DOUBLE_SEED: the
 * caller overwrites them all before use (tracker/counts.ts: ownedCounts).
 */
export function doubleCounts(): Counts {
  return {
    cpuUser: 0.5,
    cpuSystem: 0.5,
    readBytes: 0.5,
    writeBytes: 0.5,
    majorPageFaults: 0.5,
    minorPageFaults: 0.5,
    ctxSwitchVoluntary: 0.5,
    ctxSwitchNonvoluntary: 0.5,
  };
}

/** Memory figures whose fields V8 stores as unboxed doubles (technique 1); the caller overwrites them all before use. */
export function doubleMemory(): Memory {
  return { residentBytes: 0.5, virtualBytes: 0.5, vmSwapBytes: 0.5, proportionalBytes: 0.5, proportionalSwapBytes: 0.5 };
}

/**
 * Process-wide V8 heap tuning (technique 7), applied first by src/cli.ts, before any other module's
 * code runs: a static import graph is parsed and instantiated before any of its code runs, so flags set
 * by a module of that graph would come too late for the allocations of loading it. V8 reads each flag
 * when it makes the decision, so setting them at run time works however node is started.
 *
 * - `--semi-space-growth-factor=1`: the young generation stops growing. A steady cycle keeps almost
 *   nothing (techniques 1–3), so a small young generation suffices; V8 would otherwise grow it to
 *   16 MiB per semi-space.
 * - `--no-allocation-site-pretenuring`: a cycle's families and samples live through the cycle's
 *   reporting, long enough for V8 to decide to allocate them directly in the old generation, where they
 *   would pile up as garbage until a major collection. Without pretenuring they die young.
 * - `--max-inlined-bytecode-size-cumulative=300` (V8's default is 920): TurboFan inlines less into each
 *   optimised function, so its compilations on V8's worker threads need smaller zones; glibc keeps what
 *   a compilation freed in that thread's malloc arena, so the peak of concurrent compilations would stay
 *   resident. CPU per cycle is the same.
 *
 * Each is left alone when the user sets it (or --max-semi-space-size) in the flags or NODE_OPTIONS.
 */
export function tuneV8Heap(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env['NODE_OPTIONS'] ?? ''): void {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  const userSet = (pattern: RegExp): boolean => given.some((flag) => pattern.test(flag));
  if (!userSet(/^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/)) setFlagsFromString('--semi-space-growth-factor=1');
  if (!userSet(/^--(no-)?allocation[-_]site[-_]pretenuring\b/)) setFlagsFromString('--no-allocation-site-pretenuring');
  if (!userSet(/^--max[-_]inlined[-_]bytecode[-_]size[-_]cumulative\b/)) setFlagsFromString('--max-inlined-bytecode-size-cumulative=300');
}

let collect: (() => void) | undefined;

function gcFunction(): (() => void) | undefined {
  const own: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void;
  setFlagsFromString('--expose-gc');
  try {
    const fn: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * One full garbage collection once the agent has settled (technique 6): modules loaded, config parsed,
 * templates compiled, the startup cycle run (`serve`: after it listens; `run`: after the first cycle
 * and after each reload).
 *
 * Why: a steady cycle keeps almost nothing it allocates, so V8 never reaches its first old-generation
 * limit and never runs a major collection; and its memory reducer, which gives idle pages back to the
 * OS, only starts after one. Without this, the garbage of startup stays resident for the life of the
 * agent. One collection frees it and lets the memory reducer work from then on.
 *
 * Node has no API for a collection. The gc function of V8's gc extension is installed in contexts
 * created while `--expose-gc` is set; the flag is set for one fresh context and unset again, so the
 * agent's own global object never gets a `gc`. When node already runs with `--expose-gc`, that
 * function is used. Returns false when this V8 offers no way to collect (the agent works the same,
 * with more memory).
 */
export function collectStartupGarbage(): boolean {
  try {
    collect ??= gcFunction();
    if (collect === undefined) return false;
    collect();
    return true;
  } catch {
    return false;
  }
}
