import type { Result } from '../base/result.js';
import { err, ok } from '../base/result.js';

export type FlagKind = 'bool' | 'string' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** Shown in --help; the value used when the flag is absent is decided by the caller. */
  readonly help: string;
  readonly defaultText?: string;
}

export interface ParsedFlags {
  /** Flags given on the command line, by name: booleans as booleans, durations in ms, the rest as strings. */
  readonly values: ReadonlyMap<string, string | boolean | number>;
  readonly positional: readonly string[];
  readonly help: boolean;
}

/**
 * Parses arguments with Go's `flag` package rules, so process-exporter command lines work unchanged:
 * `-name` and `--name` are the same; values as `-name=value` or `-name value`; booleans as `-name`,
 * `-name=true` or `-name=false` (never `-name false`); parsing stops at the first non-flag argument or `--`.
 */
export function parseGoFlags(argv: readonly string[], specs: readonly FlagSpec[]): Result<ParsedFlags, string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | boolean | number>();
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) return err(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (spec === undefined) return err(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      if (inline === undefined) {
        values.set(name, true);
        continue;
      }
      const b = parseGoBool(inline);
      if (b === undefined) return err(`invalid boolean value "${inline}" for -${name}: parse error`);
      values.set(name, b);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined) return err(`flag needs an argument: -${name}`);
      raw = next;
      i++;
    }
    if (spec.kind === 'duration') {
      const ms = parseDurationMs(raw);
      if (ms === undefined) return err(`invalid value "${raw}" for flag -${name}: parse error (expected a duration such as 30s, 5m, 1h30m)`);
      values.set(name, ms);
    } else {
      values.set(name, raw);
    }
  }
  return ok({ values, positional: argv.slice(i), help });
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return false;
  return undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration (`300ms`, `1.5h`, `2h45m`, `0`), in milliseconds; undefined when malformed. */
export function parseDurationMs(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (m === null) return undefined;
    const unit = UNIT_MS[m[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Help text: one line per flag, as `  -name value\n    \thelp (default …)`. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const arg = s.kind === 'bool' ? '' : s.kind === 'duration' ? ' duration' : ' string';
      const def = s.defaultText === undefined ? '' : ` (default ${s.defaultText})`;
      return `  --${s.name}${arg}\n        ${s.help}${def}`;
    })
    .join('\n');
}
