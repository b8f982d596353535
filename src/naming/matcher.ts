/**
 * process-exporter's matchers (config/config.go): rules of comm / exe / cmdline selectors, first
 * matching rule wins, and the group name is the rule's Go template executed on the process.
 *
 * Semantics reproduced exactly:
 * - selectors are ANDed in the order comm → exe → cmdline and short-circuit;
 * - `comm`: exact string, OR over the list;
 * - `exe`: OR over the list against argv[0]; an entry without `/` compares `filepath.Base(argv[0])`,
 *   an entry with `/` compares argv[0] exactly; entries live in a map keyed by basename, so a later
 *   entry with the same basename replaces an earlier one; an empty argv never matches;
 * - `cmdline`: every regex (Go RE2 syntax, unanchored) must match `argv.join(' ')`;
 * - an absent (or null) list creates no selector; `comm: []` and `exe: []` never match, while
 *   `cmdline: []` matches every process (Go's loop over zero regexes succeeds);
 * - `Matches`: for every regex in order and every sub-expression i (0 = whole match),
 *   `matches[SubexpNames()[i]] = group(i)` — unnamed groups and the whole match share the key "",
 *   groups that did not participate are "", and the last writer wins.
 */
import type { Namer, ProcAttributes } from '../base/process.js';
import { RE2JS } from 're2js';
import { err, ok, describeError, type Result } from '../base/result.js';
import { goFilepathBase, parseNameTemplate, type NameTemplate, type TemplateData } from '../gotemplate/go-template.js';
import { goQuote } from '../gotemplate/go-value.js';

export type { ProcAttributes } from '../base/process.js';

export type MatchResult = { readonly matched: true; readonly name: string; /** 0-based rule index. */ readonly rule: number } | { readonly matched: false };

/** One rule as `procpush check` shows it. */
export interface RuleSummary {
  /** 0-based position in the config. */
  readonly index: number;
  /** The name template (`{{.ExeBase}}` when the config left it out). */
  readonly name: string;
  readonly comm: readonly string[] | undefined;
  readonly exe: readonly string[] | undefined;
  readonly cmdline: readonly string[] | undefined;
  /** One line: `rule 1 "{{.Comm}}": comm [bash sh], cmdline ["-c"]`. */
  readonly description: string;
}

export interface MatchNamer extends Namer {
  /** Hot path: called once per new process. */
  matchAndName(a: ProcAttributes): MatchResult;
  /** Human text: which rule matched, or for every rule the first selector that failed. */
  explain(a: ProcAttributes): string;
  readonly rules: readonly RuleSummary[];
}

/** A rule as written in the config; `undefined` means the key was absent (or null). */
export interface RuleSpec {
  readonly name?: string | undefined;
  readonly comm?: readonly string[] | undefined;
  readonly exe?: readonly string[] | undefined;
  readonly cmdline?: readonly string[] | undefined;
}

/** A problem with one rule; `entry` is the list index for cmdline regexes. */
export interface RuleIssue {
  readonly rule: number;
  readonly field: 'name' | 'cmdline' | undefined;
  readonly entry: number | undefined;
  readonly message: string;
}

export const DEFAULT_NAME_TEMPLATE = '{{.ExeBase}}';

/** A compiled Go regexp and its SubexpNames() (index 0 and unnamed groups are ""). */
export interface CompiledRegex {
  readonly source: string;
  readonly re: RE2JS;
  readonly subexpNames: readonly string[];
}

/** Compiles a Go RE2 regexp; the error reads like Go's `error parsing regexp: …`. */
export function compileGoRegex(source: string): Result<CompiledRegex, string> {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    return err(describeError(e));
  }
  const names: string[] = new Array<string>(re.groupCount() + 1).fill('');
  for (const [name, idx] of Object.entries(re.namedGroups())) names[idx] = name;
  return ok({ source, re, subexpNames: names });
}

interface CompiledRule {
  readonly index: number;
  readonly template: NameTemplate;
  readonly comm: ReadonlySet<string> | undefined;
  /** basename → "" (match by basename) or the full path argv[0] must equal. */
  readonly exe: ReadonlyMap<string, string> | undefined;
  readonly cmdline: readonly CompiledRegex[] | undefined;
  readonly summary: RuleSummary;
}

function listText(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

function describeRule(index: number, name: string, spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.comm !== undefined) parts.push(`comm ${listText(spec.comm)}`);
  if (spec.exe !== undefined) parts.push(`exe ${listText(spec.exe)}`);
  if (spec.cmdline !== undefined) parts.push(`cmdline [${spec.cmdline.map(goQuote).join(' ')}]`);
  return `rule ${index + 1} ${goQuote(name)}: ${parts.join(', ')}`;
}

/** Compiles config rules. All problems are reported, not just the first. */
export function compileRules(specs: readonly RuleSpec[]): Result<MatchNamer, RuleIssue[]> {
  const issues: RuleIssue[] = [];
  const rules: CompiledRule[] = [];
  specs.forEach((spec, index) => {
    let comm: Set<string> | undefined;
    let exe: Map<string, string> | undefined;
    let cmdline: CompiledRegex[] | undefined;
    let ruleOk = true;
    if (spec.comm !== undefined) comm = new Set(spec.comm);
    if (spec.exe !== undefined) {
      exe = new Map();
      for (const e of spec.exe) {
        if (e.includes('/')) exe.set(goFilepathBase(e), e);
        else exe.set(e, '');
      }
    }
    if (spec.cmdline !== undefined) {
      cmdline = [];
      spec.cmdline.forEach((src, entry) => {
        const c = compileGoRegex(src);
        if (c.ok) cmdline?.push(c.value);
        else {
          ruleOk = false;
          issues.push({ rule: index, field: 'cmdline', entry, message: `bad cmdline regex ${goQuote(src)}: ${c.error}` });
        }
      });
    }
    if (comm === undefined && exe === undefined && cmdline === undefined) {
      ruleOk = false;
      issues.push({ rule: index, field: undefined, entry: undefined, message: 'no matchers provided' });
    }
    const name = spec.name === undefined || spec.name === '' ? DEFAULT_NAME_TEMPLATE : spec.name;
    const template = parseNameTemplate(name);
    if (!template.ok) {
      issues.push({ rule: index, field: 'name', entry: undefined, message: `bad name template ${goQuote(name)}: ${template.error}` });
      return;
    }
    if (!ruleOk) return;
    rules.push({
      index,
      template: template.value,
      comm,
      exe,
      cmdline,
      summary: { index, name, comm: spec.comm, exe: spec.exe, cmdline: spec.cmdline, description: describeRule(index, name, spec) },
    });
  });
  if (issues.length > 0) return err(issues);
  return ok(new RuleMatchNamer(rules));
}

const EMPTY_MATCHES: ReadonlyMap<string, string> = new Map();

function templateData(a: ProcAttributes, matches: ReadonlyMap<string, string>): TemplateData {
  const argv0 = a.cmdline[0];
  return {
    comm: a.comm,
    exeFull: argv0 ?? a.comm,
    exeBase: argv0 === undefined ? a.comm : goFilepathBase(argv0),
    username: a.username,
    pid: a.pid,
    startTimeMs: a.startTimeMs,
    cgroups: a.cgroups,
    matches,
  };
}

function shorten(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

class RuleMatchNamer implements MatchNamer {
  readonly rules: readonly RuleSummary[];

  constructor(private readonly compiled: readonly CompiledRule[]) {
    this.rules = compiled.map((r) => r.summary);
  }

  matchAndName(a: ProcAttributes): MatchResult {
    let joined: string | undefined;
    for (const r of this.compiled) {
      if (r.comm !== undefined && !r.comm.has(a.comm)) continue;
      if (r.exe !== undefined && !exeMatches(r.exe, a.cmdline)) continue;
      let matches = EMPTY_MATCHES;
      if (r.cmdline !== undefined) {
        joined ??= a.cmdline.join(' ');
        const m = cmdlineMatches(r.cmdline, joined);
        if (m === undefined) continue;
        matches = m;
      }
      return { matched: true, name: r.template.execute(templateData(a, matches)), rule: r.index };
    }
    return { matched: false };
  }

  explain(a: ProcAttributes): string {
    if (this.compiled.length === 0) return 'no rules configured';
    const joined = a.cmdline.join(' ');
    const reasons: string[] = [];
    for (const r of this.compiled) {
      const label = `rule ${r.index + 1} (${r.summary.name})`;
      const why = whyNot(r, a, joined);
      if (why === undefined) {
        return `${label} matches`;
      }
      reasons.push(`${label}: ${why}`);
    }
    return reasons.join('; ');
  }
}

function exeMatches(exes: ReadonlyMap<string, string>, argv: readonly string[]): boolean {
  const argv0 = argv[0];
  if (argv0 === undefined) return false;
  const fq = exes.get(goFilepathBase(argv0));
  if (fq === undefined) return false;
  return fq === '' || fq === argv0;
}

/** The Matches map when every regex matches, else undefined. */
function cmdlineMatches(regexes: readonly CompiledRegex[], joined: string): Map<string, string> | undefined {
  const captures = new Map<string, string>();
  for (const rx of regexes) {
    const m = rx.re.matcher(joined);
    if (!m.find()) return undefined;
    const names = rx.subexpNames;
    for (let i = 0; i < names.length; i++) captures.set(names[i] ?? '', m.group(i) ?? '');
  }
  return captures;
}

function whyNot(r: CompiledRule, a: ProcAttributes, joined: string): string | undefined {
  const s = r.summary;
  if (r.comm !== undefined && s.comm !== undefined && !r.comm.has(a.comm)) {
    return s.comm.length === 0 ? 'comm: [] never matches' : `comm ${goQuote(a.comm)} not in ${listText(s.comm)}`;
  }
  if (r.exe !== undefined && s.exe !== undefined && !exeMatches(r.exe, a.cmdline)) {
    if (s.exe.length === 0) return 'exe: [] never matches';
    const argv0 = a.cmdline[0];
    if (argv0 === undefined) return 'exe: empty argv (kernel thread or zombie) never matches';
    const fq = r.exe.get(goFilepathBase(argv0));
    if (fq !== undefined && fq !== '') return `exe: argv[0] ${goQuote(argv0)} is not ${goQuote(fq)}`;
    return `exe: argv[0] ${goQuote(argv0)} (base ${goQuote(goFilepathBase(argv0))}) not in ${listText(s.exe)}`;
  }
  if (r.cmdline !== undefined) {
    for (const rx of r.cmdline) {
      if (!rx.re.matcher(joined).find()) return `cmdline regex ${goQuote(rx.source)} does not match ${goQuote(shorten(joined))}`;
    }
  }
  return undefined;
}
