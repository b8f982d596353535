/**
 * The guard of the memory techniques (src/base/memory.ts): a steady collection cycle should keep
 * nothing it allocates. Run as its own process (so nothing else allocates in it), with the CLI's V8
 * flags, over the real /proc (the bench's fleet): a catch-all config, children, threads and smaps on,
 * as the bench's `serve`. After warm-up cycles and a full collection, N cycles run; then:
 *   - promoted: growth of the old generation per cycle before the next full collection, i.e. what a
 *     cycle leaves for a major GC to clean (the techniques keep it near 0);
 *   - retained: growth per cycle that survives a full collection (a leak; should be 0 on a stable
 *     fleet).
 * Major collections V8 ran by itself during the N cycles are counted: with any, "promoted" is a lower bound.
 *
 *   node build/bench/steady.js [--cycles 40] [--warmup 5] [--procfs /proc]
 * Prints one JSON line.
 */
import { collectStartupGarbage, tuneV8Heap } from '../src/base/memory.js';

tuneV8Heap();

const { getHeapSpaceStatistics } = await import('node:v8');
const { PerformanceObserver, constants } = await import('node:perf_hooks');
const { createCollector, openSource } = await import('../src/collector/open.js');
const { loadProcessNamesFromText } = await import('../src/config/process-names.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const cycles = Number(arg('cycles', '40'));
const warmup = Number(arg('warmup', '5'));
const procfs = arg('procfs', '/proc');

const namer = loadProcessNamesFromText('process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".+"]\n', 'catch-all');
if (!namer.ok) throw new Error('catch-all config refused');
const options = {
  procfs,
  children: true,
  threads: true,
  gatherSmaps: true,
  recheck: false,
  recheckTimeLimitMs: 0,
  removeEmptyGroups: false,
  smapsMaxRssBytes: Infinity,
  smapsEvery: 1,
  cycleTimeBudgetMs: 0,
};
const source = openSource(options);
if (!source.ok) throw new Error(source.error);
const collector = createCollector(options, namer.value, source.value);

const oldSpaceUsed = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? NaN;
/** One cycle, its result used as a reporter would (so nothing is optimised away). */
let samples = 0;
const cycle = (): void => {
  const r = collector.cycle(Date.now());
  for (const f of r.families) samples += f.samples.length;
};

collector.prime(Date.now());
for (let i = 0; i < warmup; i++) cycle();
if (!collectStartupGarbage()) throw new Error('no way to run a full collection');
const before = oldSpaceUsed();
let majorGcs = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
});
observer.observe({ entryTypes: ['gc'] });
for (let i = 0; i < cycles; i++) cycle();
const grown = oldSpaceUsed();
observer.disconnect();
collectStartupGarbage();
const after = oldSpaceUsed();
const listing = source.value.listPids();
const procs = listing.ok ? listing.pids.length : 0;

process.stdout.write(
  `${JSON.stringify({
    procs,
    cycles,
    samplesPerCycle: Math.round(samples / (cycles + warmup)),
    promotedBytesPerCycle: Math.max(0, (grown - before) / cycles),
    retainedBytesPerCycle: (after - before) / cycles,
    majorGcs,
  })}\n`,
);
