/**
 * The collection engine's top-level config keys (process-exporter's flags as config keys, plus the
 * kernel-cost guardrails), validated by hand rather than with zod.
 *
 * Why not zod here, when the push sections use it: this is the only validation `serve` (the
 * process-exporter drop-in) and `explain` need, and loading zod costs those commands about 4.5 MB of
 * RSS (measured: `serve` at 1,580 processes, 65.9 → 61.3 MB). Nine keys of four kinds do not need a
 * schema library. The messages are worded as zod words them in the other sections, so a config's
 * errors read alike wherever they are.
 */
import { parseByteSize, parseDurationMs } from '../base/units.js';

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

/** One problem with one key; `key` is undefined for a problem with the mapping as a whole. */
export interface EngineOptionIssue {
  readonly key: string;
  readonly message: string;
}

type Check = (value: unknown) => string | undefined;

const SMAPS_EVERY_MAX = 1_000_000;

/** How zod names a value's type in "received …", so every section's messages read the same. */
export function receivedType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

const expected = (type: string, value: unknown): string => `Invalid input: expected ${type}, received ${receivedType(value)}`;

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : expected('boolean', v));

const nonEmptyString: Check = (v) => {
  if (typeof v !== 'string') return expected('string', v);
  return v.length === 0 ? 'Too small: expected string to have >=1 characters' : undefined;
};

/** Durations use Prometheus' syntax (`15s`, `1m30s`, `500ms`), like the sink options. */
const duration: Check = (v) => {
  if (typeof v !== 'string') return expected('string', v);
  return parseDurationMs(v).ok ? undefined : 'expected a duration such as 15s, 500ms, 1m';
};

/** Bytes as an integer or with a unit (`512MiB`, `1GiB`), like the sink options. */
const byteSize: Check = (v) =>
  (isFiniteNumber(v) || typeof v === 'string') && parseByteSize(v).ok
    ? undefined
    : 'expected bytes: an integer, or a number with B, KB, MB, GB, KiB, MiB or GiB (e.g. 1GiB)';

const smapsEvery: Check = (v) => {
  if (!isFiniteNumber(v)) return expected('number', v);
  if (!Number.isInteger(v)) return expected('int', v);
  if (v < 1) return 'Too small: expected number to be >=1';
  return v > SMAPS_EVERY_MAX ? `Too big: expected number to be <=${SMAPS_EVERY_MAX}` : undefined;
};

/** Every engine key with its check, in the order the issues are reported. */
const CHECKS: Readonly<Record<keyof EngineFileOptions, Check>> = {
  procfs: nonEmptyString,
  children: boolean,
  threads: boolean,
  gather_smaps: boolean,
  recheck: boolean,
  recheck_with_time_limit: duration,
  remove_empty_groups: boolean,
  smaps_max_rss: byteSize,
  smaps_every: smapsEvery,
  cycle_time_budget: duration,
};

/** The engine's config keys, for the reference test that requires config/example.yaml to document each. */
export const ENGINE_OPTION_KEYS = Object.keys(CHECKS) as readonly (keyof EngineFileOptions)[];

const isEngineKey = (key: string): key is keyof EngineFileOptions => Object.hasOwn(CHECKS, key);

/**
 * Validates the engine's keys of a config mapping (the caller leaves out the keys other modules own).
 * An undefined value is an absent key; a null (`threads:` with nothing after it) is reported, as zod
 * reports it in the other sections: it is more likely a mistake than a wish for the default.
 */
export function validateEngineOptions(raw: Readonly<Record<string, unknown>>): { options: EngineFileOptions; issues: EngineOptionIssue[] } {
  const issues: EngineOptionIssue[] = [];
  // Only values that passed their key's check are copied, so this holds an EngineFileOptions.
  const options: Record<string, unknown> = {};
  for (const key of ENGINE_OPTION_KEYS) {
    if (!Object.hasOwn(raw, key)) continue;
    const value = raw[key];
    if (value === undefined) continue;
    const problem = CHECKS[key](value);
    if (problem === undefined) options[key] = value;
    else issues.push({ key, message: problem });
  }
  for (const key of Object.keys(raw)) if (!isEngineKey(key)) issues.push({ key, message: `unknown key "${key}"` });
  return { options, issues };
}
