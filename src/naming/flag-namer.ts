/**
 * The namer behind process-exporter's `-procnames` and `-namemapping` flags (cmd/process-exporter
 * main.go, nameMapperRegex): processes are looked up by comm.
 * - A `-procnames` entry tracks the process under its comm.
 * - A `-namemapping` entry `name,regex` runs the regex on the space-joined argv and names the
 *   process `name:<first non-empty capture group>`; no match or no non-empty group → not tracked.
 *   Mapping entries are tracked even when their name is absent from `-procnames` (contrary to
 *   process-exporter's docs), and they win over a `-procnames` entry of the same name.
 */
import { err, ok, type Result } from '../base/result.js';
import { goQuote } from '../gotemplate/go-value.js';
import type { ProcAttributes } from '../base/process.js';
import { compileGoRegex, type CompiledRegex, type MatchNamer, type MatchResult, type RuleSummary } from './matcher.js';

interface MappingEntry {
  readonly prefix: string;
  readonly regex: CompiledRegex;
}

/** Parses `-namemapping` as process-exporter's parseNameMapper; errors use its wording. */
function parseNameMapper(s: string): Result<Map<string, MappingEntry>, string> {
  const mapping = new Map<string, MappingEntry>();
  if (s === '') return ok(mapping);
  const toks = s.split(',');
  if (toks.length % 2 === 1) return err('bad namemapper: odd number of tokens');
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] ?? '';
    if (tok === '') return err(`bad namemapper: token ${i} is empty`);
    if (i % 2 === 1) {
      const name = toks[i - 1] ?? '';
      const re = compileGoRegex(tok);
      if (!re.ok) return err(`error compiling regexp '${tok}': ${re.error}`);
      mapping.set(name, { prefix: `${name}:`, regex: re.value });
    }
  }
  return ok(mapping);
}

/**
 * `compileFlagNamer(procnames, namemapping)`: both are the raw flag values (comma-separated).
 * The error is process-exporter's parseNameMapper message, e.g. `bad namemapper: odd number of tokens`.
 */
export function compileFlagNamer(procnames: string, namemapping: string): Result<MatchNamer, string> {
  const parsed = parseNameMapper(namemapping);
  if (!parsed.ok) return parsed;
  const mapping = parsed.value;
  /** comm → mapping entry, or null for a plain -procnames entry. */
  const lookup = new Map<string, MappingEntry | null>(mapping);
  if (procnames !== '') {
    for (const name of procnames.split(',')) if (!lookup.has(name)) lookup.set(name, null);
  }

  const rules: RuleSummary[] = [];
  for (const [comm, entry] of lookup) {
    const index = rules.length;
    const description =
      entry === null
        ? `comm ${goQuote(comm)} → group ${goQuote(comm)}`
        : `comm ${goQuote(comm)} with cmdline regex ${goQuote(entry.regex.source)} → group "${entry.prefix}<first non-empty capture>"`;
    rules.push({
      index,
      name: entry === null ? comm : `${entry.prefix}<capture>`,
      comm: [comm],
      exe: undefined,
      cmdline: entry === null ? undefined : [entry.regex.source],
      description: `rule ${index + 1}: ${description}`,
    });
  }
  const ruleIndex = new Map<string, number>();
  rules.forEach((r) => ruleIndex.set(r.comm?.[0] ?? '', r.index));

  const captureName = (entry: MappingEntry, a: ProcAttributes): string | undefined => {
    const m = entry.regex.re.matcher(a.cmdline.join(' '));
    if (!m.find()) return undefined;
    for (let i = 1; i < entry.regex.subexpNames.length; i++) {
      const g = m.group(i);
      if (g !== null && g !== '') return entry.prefix + g;
    }
    return undefined;
  };

  const matchAndName = (a: ProcAttributes): MatchResult => {
    const entry = lookup.get(a.comm);
    if (entry === undefined) return { matched: false };
    const rule = ruleIndex.get(a.comm) ?? 0;
    if (entry === null) return { matched: true, name: a.comm, rule };
    const name = captureName(entry, a);
    return name === undefined ? { matched: false } : { matched: true, name, rule };
  };

  const explain = (a: ProcAttributes): string => {
    const entry = lookup.get(a.comm);
    if (entry === undefined) {
      const names = [...lookup.keys()];
      return names.length === 0 ? 'no -procnames or -namemapping given' : `comm ${goQuote(a.comm)} not in [${names.join(' ')}]`;
    }
    const label = `rule ${(ruleIndex.get(a.comm) ?? 0) + 1}`;
    if (entry === null || captureName(entry, a) !== undefined) return `${label} matches`;
    return `${label}: namemapping regex ${goQuote(entry.regex.source)} has no non-empty capture group on ${goQuote(a.cmdline.join(' '))}`;
  };

  return ok({ rules, matchAndName, explain });
}
