import type { LoadedConfig } from './agent-config.js';
import { loadConfigFile } from './agent-config.js';
import { compileFlagNamer } from '../naming/flag-namer.js';
import type { MatchNamer } from './process-names.js';
import { formatConfigIssue } from './process-names.js';
import { parseByteSize, parseDurationMs } from '../base/units.js';

/** A command-line flag as the CLI's parser (cli/flags.ts) declares it. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'bool' | 'string' | 'duration';
  readonly help: string;
  readonly defaultText?: string;
}

/** The flags given on the command line, by name (what cli/flags.ts parses). */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | boolean | number>;
}

/** Flags shared by every command that collects: process-exporter's spellings. */
export const ENGINE_FLAGS: readonly FlagSpec[] = [
  { name: 'config.path', kind: 'string', help: 'path to the YAML config file (process_names and procpush options)' },
  { name: 'procnames', kind: 'string', help: 'comma-separated list of process names (comm) to monitor, instead of a config file' },
  { name: 'namemapping', kind: 'string', help: 'comma-separated name,regex pairs: processes with comm NAME are grouped as NAME:<first capture of REGEX on the cmdline>' },
  { name: 'procfs', kind: 'string', help: 'path to the procfs root (a DaemonSet mounts the host\'s at /host/proc)', defaultText: '/proc' },
  { name: 'children', kind: 'bool', help: 'unmatched processes join the group of their nearest tracked ancestor', defaultText: 'true' },
  { name: 'threads', kind: 'bool', help: 'report per-thread-name metrics', defaultText: 'true' },
  { name: 'gather-smaps', kind: 'bool', help: 'read smaps_rollup for proportional memory (PSS); costly for huge processes', defaultText: 'true' },
  { name: 'recheck', kind: 'bool', help: 're-offer unmatched processes to the matchers every cycle', defaultText: 'false' },
  { name: 'recheck-with-time-limit', kind: 'duration', help: 'like --recheck, but only while a process is younger than this; 0 = off', defaultText: '0' },
  { name: 'remove-empty-groups', kind: 'bool', help: 'forget a group (and its counters) once it has no process', defaultText: 'false' },
];

export interface EngineSettings {
  readonly procfs: string;
  readonly children: boolean;
  readonly threads: boolean;
  readonly gatherSmaps: boolean;
  readonly recheck: boolean;
  readonly recheckTimeLimitMs: number;
  readonly removeEmptyGroups: boolean;
  /** Kernel-cost guardrails (config keys smaps_max_rss, smaps_every, cycle_time_budget). */
  readonly smapsMaxRssBytes: number;
  readonly smapsEvery: number;
  /** 0: no budget. */
  readonly cycleTimeBudgetMs: number;
  readonly namer: MatchNamer;
  /** What names the processes, for logs: the config path or the flags. */
  readonly namingSource: string;
  readonly config: LoadedConfig | undefined;
}

/** A usage or config problem: the CLI prints it and exits with code 2. */
export class UsageError extends Error {}

function flagBool(f: ParsedFlags, name: string): boolean | undefined {
  const v = f.values.get(name);
  return typeof v === 'boolean' ? v : undefined;
}

function flagString(f: ParsedFlags, name: string): string | undefined {
  const v = f.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

function flagNumber(f: ParsedFlags, name: string): number | undefined {
  const v = f.values.get(name);
  return typeof v === 'number' ? v : undefined;
}

/** Combines flags (first), the config file's options (second) and the defaults (last). */
export function resolveEngine(flags: ParsedFlags): EngineSettings {
  const configPath = flagString(flags, 'config.path');
  const procnames = flagString(flags, 'procnames') ?? '';
  const namemapping = flagString(flags, 'namemapping') ?? '';
  if (configPath !== undefined && configPath !== '' && (procnames !== '' || namemapping !== '')) {
    throw new UsageError('--config.path cannot be used with --namemapping or --procnames');
  }
  let config: LoadedConfig | undefined;
  let namer: MatchNamer;
  let namingSource: string;
  if (configPath !== undefined && configPath !== '') {
    const loaded = loadConfigFile(configPath);
    if (!loaded.ok) throw new UsageError(loaded.error.map(formatConfigIssue).join('\n'));
    config = loaded.value;
    namer = loaded.value.namer;
    namingSource = configPath;
  } else {
    const compiled = compileFlagNamer(procnames, namemapping);
    if (!compiled.ok) throw new UsageError(`error parsing --namemapping argument '${namemapping}': ${compiled.error}`);
    namer = compiled.value;
    namingSource = `procnames: [${procnames.split(',').filter((s) => s !== '').join(' ')}]`;
  }
  const file = config?.engine;
  const limitParsed = file?.recheck_with_time_limit === undefined ? undefined : parseDurationMs(file.recheck_with_time_limit);
  const limitFromFile = limitParsed?.ok === true ? limitParsed.value : undefined;
  const recheckTimeLimitMs = flagNumber(flags, 'recheck-with-time-limit') ?? limitFromFile ?? 0;
  return {
    procfs: flagString(flags, 'procfs') ?? file?.procfs ?? '/proc',
    children: flagBool(flags, 'children') ?? file?.children ?? true,
    threads: flagBool(flags, 'threads') ?? file?.threads ?? true,
    gatherSmaps: flagBool(flags, 'gather-smaps') ?? file?.gather_smaps ?? true,
    recheck: (flagBool(flags, 'recheck') ?? file?.recheck ?? false) || recheckTimeLimitMs > 0,
    recheckTimeLimitMs,
    removeEmptyGroups: flagBool(flags, 'remove-empty-groups') ?? file?.remove_empty_groups ?? false,
    ...guardrails(file),
    namer,
    namingSource,
    config,
  };
}

/** The guardrail keys of the config file (validated there), with process-exporter's behaviour as the default. */
function guardrails(file: LoadedConfig['engine'] | undefined): Pick<EngineSettings, 'smapsMaxRssBytes' | 'smapsEvery' | 'cycleTimeBudgetMs'> {
  const rss = file?.smaps_max_rss === undefined ? undefined : parseByteSize(file.smaps_max_rss);
  const budget = file?.cycle_time_budget === undefined ? undefined : parseDurationMs(file.cycle_time_budget);
  return {
    smapsMaxRssBytes: rss?.ok === true ? rss.value : Infinity,
    smapsEvery: file?.smaps_every ?? 1,
    cycleTimeBudgetMs: budget?.ok === true ? budget.value : 0,
  };
}

/** Identifies what counters are computed with: a saved state is continued only under the same rules and options. */
export function engineFingerprint(e: EngineSettings): string {
  return JSON.stringify({
    procfs: e.procfs,
    children: e.children,
    threads: e.threads,
    gatherSmaps: e.gatherSmaps,
    recheck: e.recheck,
    recheckTimeLimitMs: e.recheckTimeLimitMs,
    removeEmptyGroups: e.removeEmptyGroups,
    rules: e.config?.raw['process_names'] ?? e.namingSource,
  });
}
