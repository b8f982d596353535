/**
 * The collection options of the config file's top level: process-exporter's flags as config keys, plus
 * the kernel-cost guardrails. The values are kept as written (durations and sizes as strings); load.ts
 * converts them when it merges them with the flags.
 */
import { parseByteSize, parseDurationMs } from '../base/units.js';
import { fromPlain, type DocNode } from './document.js';
import { boolean, integer, INVALID, leaf, object, optional, Reader, string, type Path, type Schema } from './schema.js';

export interface EngineFileOptions {
  readonly procfs?: string;
  readonly children?: boolean;
  readonly threads?: boolean;
  readonly gather_smaps?: boolean;
  readonly recheck?: boolean;
  readonly recheck_with_time_limit?: string;
  readonly remove_empty_groups?: boolean;
  // Kernel-cost guardrails (procpush only; the defaults keep process-exporter's behaviour).
  readonly smaps_max_rss?: number | string;
  readonly smaps_every?: number;
  readonly cycle_time_budget?: string;
}

/** One problem with one key. */
export interface EngineOptionIssue {
  readonly key: string;
  readonly message: string;
}

const SMAPS_EVERY_MAX = 1_000_000;

/** Durations use Prometheus' syntax (`15s`, `1m30s`, `500ms`), like the sink options. */
const duration = string({ check: (s) => (parseDurationMs(s).ok ? undefined : 'expected a duration such as 15s, 500ms, 1m') });

/** Bytes as an integer or with a unit (`512MiB`, `1GiB`), like the sink options. */
const byteSize: Schema<number | string> = leaf('number', (node, path, r) => {
  const v = node.kind === 'scalar' ? node.value : undefined;
  const fits = (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string';
  return fits && parseByteSize(v).ok ? v : r.report(path, 'expected bytes: an integer, or a number with B, KB, MB, GB, KiB, MiB or GiB (e.g. 1GiB)');
});

/** Every collection key with its schema, in the order the issues are reported. */
const FIELDS = {
  procfs: optional(string({ min: 1 })),
  children: optional(boolean),
  threads: optional(boolean),
  gather_smaps: optional(boolean),
  recheck: optional(boolean),
  recheck_with_time_limit: optional(duration),
  remove_empty_groups: optional(boolean),
  smaps_max_rss: optional(byteSize),
  smaps_every: optional(integer({ min: 1, max: SMAPS_EVERY_MAX })),
  cycle_time_budget: optional(duration),
};

/** The collection keys, for the reference test that requires config/example.yaml to document each. */
export const ENGINE_OPTION_KEYS = Object.keys(FIELDS) as readonly (keyof EngineFileOptions)[];

/** The keys of a mapping with only these keys (`strict`) or among others (the top level of the file). */
const strict = object(FIELDS);
const amongOthers = object(FIELDS, { unknownKeys: 'ignore' });

/**
 * The collection keys of the top-level mapping `node` (other keys are left to their owners). A null
 * (`threads:` with nothing after it) is reported, as the other sections report it: it is more likely a
 * mistake than a wish for the default.
 */
export function readEngineOptions(node: DocNode, path: Path, r: Reader): EngineFileOptions | typeof INVALID {
  const v = amongOthers.read(node, path, r);
  return v === INVALID ? INVALID : defined(v);
}

/** The same check on plain values: an undefined value is an absent key, any other key is unknown. */
export function validateEngineOptions(raw: Readonly<Record<string, unknown>>): { options: EngineFileOptions; issues: EngineOptionIssue[] } {
  const r = new Reader();
  const v = strict.read(fromPlain(Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined))), [], r);
  const issues = r.problems.map((p) => ({ key: String(p.path[0] ?? ''), message: p.message }));
  return { options: v === INVALID ? {} : defined(v), issues };
}

/** `o` without its undefined values (every value of `o` passed its key's schema). */
function defined(o: object): EngineFileOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
