/**
 * Builds the collection stage from its options: the procfs source and a collector over it (a saved
 * state is continued by daemon/state-session.ts).
 */
import { err, ok, type Result } from '../base/result.js';
import type { Namer } from '../base/process.js';
import { ProcfsReader } from '../procfs/reader.js';
import type { ProcSource } from '../procfs/types.js';
import { createUsernameLookup } from '../procfs/users.js';
import { Collector } from './collector.js';

/** How processes are read, tracked and reported: process-exporter's flags and the kernel-cost guardrails. */
export interface CollectionOptions {
  /** The procfs root, e.g. /proc or /host/proc. */
  readonly procfs: string;
  readonly children: boolean;
  readonly threads: boolean;
  readonly gatherSmaps: boolean;
  readonly recheck: boolean;
  /** With recheck: only while a process is younger than this; 0: no limit. */
  readonly recheckTimeLimitMs: number;
  readonly removeEmptyGroups: boolean;
  /** No smaps_rollup for a process with more resident memory (Infinity: no limit). */
  readonly smapsMaxRssBytes: number;
  /** smaps_rollup of a tracked process every Nth cycle. */
  readonly smapsEvery: number;
  /** 0: no budget. */
  readonly cycleTimeBudgetMs: number;
}

/** The procfs root as a ProcSource; the error is process-exporter's startup message. */
export function openSource(options: CollectionOptions): Result<ProcSource, string> {
  const reader = ProcfsReader.open({ root: options.procfs, gatherSmaps: options.gatherSmaps, smapsMaxRssBytes: options.smapsMaxRssBytes });
  return reader.ok ? ok(reader.value) : err(`error initializing: ${reader.error}`);
}

export function createCollector(options: CollectionOptions, namer: Namer, source: ProcSource): Collector {
  return new Collector(source, {
    namer,
    children: options.children,
    recheck: options.recheck,
    recheckTimeLimitMs: options.recheckTimeLimitMs,
    removeEmptyGroups: options.removeEmptyGroups,
    threads: options.threads,
    gatherSmaps: options.gatherSmaps,
    smapsEvery: options.smapsEvery,
    cycleTimeBudgetMs: options.cycleTimeBudgetMs,
    lookupUsername: createUsernameLookup(),
  });
}
