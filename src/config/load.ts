/**
 * The one config pipeline: the file is parsed once into a located document (document.ts), every
 * section's validator reads it (process_names, collection options, schedule, labels, sinks, listen,
 * state_file, state_checkpoint, shutdown) and returns typed options or located issues, and the command-line flags are
 * merged with the file here (flags first, then the file, then the defaults). `check`, `run`, `once`,
 * `serve`, `explain` and a reload (SIGHUP) all call `loadConfig`.
 *
 * What depends on the world at startup rather than on the file (a secret file that must be readable, a
 * `${ENV}` in a label) is checked when the agent is set up; `Config.issueAt` places those problems in
 * the file too.
 */
import { readFileSync } from 'node:fs';
import { describeError, err, ok, type Result } from '../base/result.js';
import { parseByteSize, parseDurationMs } from '../base/units.js';
import type { CollectionOptions } from '../collector/open.js';
import { compileFlagNamer } from '../naming/flag-namer.js';
import type { MatchNamer } from '../naming/matcher.js';
import { AGENT_KEYS, agentSectionsSchema, type AgentSectionDeps, type AgentSections } from './agent-sections.js';
import { entryOf, locate, nodeAt, parseConfigDocument, toPlain, type ConfigDocument } from './document.js';
import { ENGINE_OPTION_KEYS, readEngineOptions, type EngineFileOptions } from './engine-options.js';
import { flagBool, flagNumber, flagString, type FlagValues } from './flags.js';
import { commandLineIssue, formatPath, sortIssues, type ConfigIssue } from './issues.js';
import { compileProcessNames } from './process-names.js';
import { INVALID, Reader } from './schema.js';

/** Every option of every stage, from the flags and the file. */
export interface Config {
  /** The config file; undefined when the processes are named by --procnames / --namemapping. */
  readonly file: string | undefined;
  /** What names the processes, for logs: the config path or the flags. */
  readonly namingSource: string;
  readonly namer: MatchNamer;
  readonly collection: CollectionOptions;
  readonly agent: AgentSections;
  /**
   * What the counters are computed with (rules and collection options): a saved state is continued
   * only under the same fingerprint.
   */
  readonly fingerprint: string;
  /** Located warnings (duplicate keys, ignored documents): the config is used as it is. */
  readonly warnings: readonly ConfigIssue[];
  /** An issue about the value at `path` of the file, placed at its line and column. */
  issueAt(path: readonly (string | number)[], message: string): ConfigIssue;
}

/** The file's sections, validated, before the flags are merged. */
export interface FileConfig {
  readonly document: ConfigDocument;
  readonly namer: MatchNamer;
  /** The collection keys as written (validated). */
  readonly engine: EngineFileOptions;
  readonly agent: AgentSections;
}

/** Top-level keys: process_names, the collection options, the agent sections. */
export const TOP_LEVEL_KEYS: readonly string[] = ['process_names', ...ENGINE_OPTION_KEYS, ...AGENT_KEYS];

const DEFAULT_AGENT: AgentSections = {
  schedule: { kind: 'interval', intervalMs: 15_000 },
  labels: {},
  sinks: [],
  listen: undefined,
  stateFile: undefined,
  stateCheckpointMs: 60_000,
  shutdown: { timeoutMs: 10_000, staleMarkers: 'auto', staleMarkersBoolean: false },
};

export interface LoadOptions {
  readonly flags: FlagValues;
  /** Reads the config file (default: node:fs); throws when it cannot. */
  readonly readFile?: (path: string) => string;
}

/** Reads the flags and the config file they name into every stage's options, or every problem found. */
export async function loadConfig(o: LoadOptions): Promise<Result<Config, ConfigIssue[]>> {
  const flags = o.flags;
  const configPath = flagString(flags, 'config.path') ?? '';
  const procnames = flagString(flags, 'procnames') ?? '';
  const namemapping = flagString(flags, 'namemapping') ?? '';
  if (configPath !== '' && (procnames !== '' || namemapping !== '')) {
    return err([commandLineIssue('--config.path cannot be used with --namemapping or --procnames')]);
  }
  if (configPath === '') {
    const compiled = compileFlagNamer(procnames, namemapping);
    if (!compiled.ok) return err([commandLineIssue(`error parsing --namemapping argument '${namemapping}': ${compiled.error}`)]);
    const namingSource = `procnames: [${procnames.split(',').filter((s) => s !== '').join(' ')}]`;
    return ok(assemble(flags, undefined, compiled.value, namingSource, {}, DEFAULT_AGENT, undefined));
  }
  let text: string;
  try {
    text = (o.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(configPath);
  } catch (e) {
    return err([{ file: configPath, line: 0, column: 0, field: '', message: `cannot read config file: ${describeError(e)}` }]);
  }
  const doc = parseConfigDocument(text, configPath);
  if (!doc.ok) return doc;
  // node-cron is loaded only to check a cron schedule (serve and explain never need it otherwise).
  const cron = nodeAt(doc.value.root, ['schedule', 'cron']);
  const deps: AgentSectionDeps = { validateCron: cron === undefined ? () => undefined : (await import('../agent/schedule.js')).validateCron };
  const file = readConfigDocument(doc.value, deps);
  if (!file.ok) return file;
  const f = file.value;
  return ok(assemble(flags, configPath, f.namer, configPath, f.engine, f.agent, f.document));
}

/** Validates config text (pure); without `deps.validateCron` a cron expression is not checked. */
export function parseConfigText(text: string, file: string, deps?: AgentSectionDeps): Result<FileConfig, ConfigIssue[]> {
  const doc = parseConfigDocument(text, file);
  return doc.ok ? readConfigDocument(doc.value, deps ?? { validateCron: () => undefined }) : doc;
}

/** Every section of a located document, with all their issues in file order. */
export function readConfigDocument(document: ConfigDocument, deps: AgentSectionDeps): Result<FileConfig, ConfigIssue[]> {
  const { file, root } = document;
  const namer = compileProcessNames(root, file);
  if (root !== undefined && root.kind !== 'map' && !(root.kind === 'scalar' && root.value === null)) {
    return namer.ok ? err([]) : namer; // not a mapping: process-names.ts says so
  }
  const issues: ConfigIssue[] = namer.ok ? [] : [...namer.error];
  const r = new Reader();

  let engine: EngineFileOptions = {};
  let agent = DEFAULT_AGENT;
  if (root?.kind === 'map') {
    const options = readEngineOptions(root, [], r);
    if (options !== INVALID) engine = options;
    const sections = agentSectionsSchema(deps).read(root, [], r);
    if (sections !== INVALID) agent = sections;
    for (const e of root.entries) {
      if (TOP_LEVEL_KEYS.includes(e.key) || document.anchorHolders.has(e.key)) continue;
      const hint = TOP_LEVEL_KEYS.find((k) => isNear(e.key, k));
      r.report([e.key], `unknown key "${e.key}"${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
    }
  }
  issues.push(...r.issues(file, root));
  if (issues.length > 0 || !namer.ok) return err(sortIssues(issues));
  return ok({ document, namer: namer.value, engine, agent });
}

/** A likely typo of `known`: the same but for case, `-` for `_`, or one or two letters. */
function isNear(key: string, known: string): boolean {
  const a = key.toLowerCase().replace(/-/g, '_');
  if (a === known) return true;
  return known.length >= 5 && editDistance(a, known) <= 2;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Flags first, then the file's keys, then process-exporter's defaults. */
function assemble(
  flags: FlagValues,
  file: string | undefined,
  namer: MatchNamer,
  namingSource: string,
  engine: EngineFileOptions,
  agent: AgentSections,
  document: ConfigDocument | undefined,
): Config {
  const limitFromFile = engine.recheck_with_time_limit === undefined ? undefined : okValue(parseDurationMs(engine.recheck_with_time_limit));
  const recheckTimeLimitMs = flagNumber(flags, 'recheck-with-time-limit') ?? limitFromFile ?? 0;
  const rss = engine.smaps_max_rss === undefined ? undefined : okValue(parseByteSize(engine.smaps_max_rss));
  const budget = engine.cycle_time_budget === undefined ? undefined : okValue(parseDurationMs(engine.cycle_time_budget));
  const collection: CollectionOptions = {
    procfs: flagString(flags, 'procfs') ?? engine.procfs ?? '/proc',
    children: flagBool(flags, 'children') ?? engine.children ?? true,
    threads: flagBool(flags, 'threads') ?? engine.threads ?? true,
    gatherSmaps: flagBool(flags, 'gather-smaps') ?? engine.gather_smaps ?? true,
    recheck: (flagBool(flags, 'recheck') ?? engine.recheck ?? false) || recheckTimeLimitMs > 0,
    recheckTimeLimitMs,
    removeEmptyGroups: flagBool(flags, 'remove-empty-groups') ?? engine.remove_empty_groups ?? false,
    smapsMaxRssBytes: rss ?? Infinity,
    smapsEvery: engine.smaps_every ?? 1,
    cycleTimeBudgetMs: budget ?? 0,
  };
  const root = document?.root;
  const rules = toPlain(entryOf(root, 'process_names')?.value) ?? namingSource;
  return {
    file,
    namingSource,
    namer,
    collection,
    agent,
    fingerprint: fingerprint(collection, rules),
    warnings: document?.warnings ?? [],
    issueAt: (path, message) => {
      const pos = locate(root, path);
      return { file: file ?? '', line: root === undefined ? 0 : pos.line, column: root === undefined ? 0 : pos.column, field: formatPath(path), message };
    },
  };
}

function okValue<T>(r: Result<T, string>): T | undefined {
  return r.ok ? r.value : undefined;
}

/** The same text the state files of earlier versions hold, so an upgrade continues their counters. */
function fingerprint(c: CollectionOptions, rules: unknown): string {
  return JSON.stringify({
    procfs: c.procfs,
    children: c.children,
    threads: c.threads,
    gatherSmaps: c.gatherSmaps,
    recheck: c.recheck,
    recheckTimeLimitMs: c.recheckTimeLimitMs,
    removeEmptyGroups: c.removeEmptyGroups,
    rules,
  });
}
