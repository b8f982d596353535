/**
 * The `process_names` section of a config file, in process-exporter's format:
 *
 * ```yaml
 * process_names:
 *   - name: "{{.Comm}}"      # optional Go template, default {{.ExeBase}}
 *     comm: [bash]            # optional list of strings
 *     exe: [/usr/bin/python3] # optional list of strings
 *     cmdline: ['-m (\S+)']   # optional list of Go RE2 regexps
 * ```
 *
 * Differences from process-exporter, all about reporting: every problem is collected (not just the
 * first), each with file, line, column and field; and unknown keys inside a rule are reported
 * instead of silently ignored, so typos do not pass.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { err, ok, type Result } from '../base/result.js';
import { compileRules, type MatchNamer, type RuleSpec } from '../naming/matcher.js';

export type { MatchNamer, ProcAttributes, RuleSummary, MatchResult } from '../naming/matcher.js';

export interface ConfigIssue {
  readonly file: string;
  /** 1-based; 0 when the problem has no position (e.g. the file could not be read). */
  readonly line: number;
  readonly column: number;
  /** Path of the offending value, e.g. `process_names[2].cmdline[0]`; "" for the whole file. */
  readonly field: string;
  readonly message: string;
}

/** `config.yaml:7:9: process_names[2].cmdline[0]: bad cmdline regex …`. */
export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return i.field === '' ? `${where}: ${i.message}` : `${where}: ${i.field}: ${i.message}`;
}

const RULE_KEYS = ['name', 'comm', 'exe', 'cmdline'] as const;
type RuleKey = (typeof RULE_KEYS)[number];

function isRuleKey(k: string): k is RuleKey {
  return (RULE_KEYS as readonly string[]).includes(k);
}

/** "a string", "a list", … for type errors. */
function describeNode(n: unknown): string {
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'an unsupported value';
}

/** A null value: absent in process-exporter's eyes (yaml.v2 leaves the field nil). */
function isNull(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && (n.value === null || n.value === undefined));
}

/**
 * The string yaml.v2 stores for a scalar: its text as written (so `0x10` stays "0x10" and `true`
 * stays "true"), the decoded value for quoted scalars, "" for null.
 */
function scalarString(n: Node): string | undefined {
  if (!isScalar(n)) return undefined;
  if (n.value === null || n.value === undefined) return '';
  if (typeof n.value === 'string') return n.value;
  return n.source;
}

class Collector {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  at(node: unknown, field: string, message: string): void {
    let line = 1;
    let column = 1;
    if (typeof node === 'object' && node !== null && 'range' in node) {
      const range = (node as { range?: readonly number[] | null }).range;
      const start = range?.[0];
      if (typeof start === 'number') {
        const pos = this.lineCounter.linePos(start);
        line = pos.line;
        column = pos.col;
      }
    }
    this.issues.push({ file: this.file, line, column, field, message });
  }
}

interface LocatedRule {
  readonly spec: RuleSpec;
  /** A selector key was present but unreadable (already reported): "no matchers provided" would mislead. */
  readonly malformedSelector: boolean;
  readonly item: Node;
  readonly name: Node | undefined;
  readonly cmdline: readonly Node[];
}

function readStringList(c: Collector, value: Node, field: string): string[] | undefined {
  if (!isSeq(value)) {
    c.at(value, field, `expected a list of strings, got ${describeNode(value)}`);
    return undefined;
  }
  const out: string[] = [];
  let bad = 0;
  value.items.forEach((entry, i) => {
    const s = isScalar(entry) ? scalarString(entry) : undefined;
    if (s === undefined) {
      bad++;
      c.at(entry, `${field}[${i}]`, `expected a string, got ${describeNode(entry)}`);
    } else out.push(s);
  });
  return bad === 0 ? out : undefined;
}

function readRule(c: Collector, item: unknown, index: number): LocatedRule | undefined {
  const field = `process_names[${index}]`;
  if (!isMap(item)) {
    c.at(item, field, `expected a mapping with name, comm, exe or cmdline, got ${describeNode(item)}`);
    return undefined;
  }
  const spec: { name?: string; comm?: string[]; exe?: string[]; cmdline?: string[] } = {};
  let nameNode: Node | undefined;
  let cmdlineNodes: Node[] = [];
  let malformedSelector = false;
  for (const pair of item.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    if (key === undefined || !isRuleKey(key)) {
      c.at(keyNode, `${field}${key === undefined ? '' : `.${key}`}`, `unknown key ${JSON.stringify(key ?? describeNode(keyNode))}; expected name, comm, exe or cmdline`);
      continue;
    }
    const value = pair.value;
    if (isNull(value)) continue;
    const vnode = value as Node;
    if (key === 'name') {
      const s = isScalar(vnode) ? scalarString(vnode) : undefined;
      if (s === undefined) {
        c.at(vnode, `${field}.name`, `expected a string, got ${describeNode(vnode)}`);
      } else {
        spec.name = s;
        nameNode = vnode;
      }
      continue;
    }
    const list = readStringList(c, vnode, `${field}.${key}`);
    if (list === undefined) {
      malformedSelector = true;
      continue;
    }
    spec[key] = list;
    if (key === 'cmdline' && isSeq(vnode)) cmdlineNodes = vnode.items as Node[];
  }
  return { spec, malformedSelector, item, name: nameNode, cmdline: cmdlineNodes };
}

/**
 * Compiles the `process_names` key of an already parsed document (the caller reports
 * `doc.errors`; other top-level keys are left to their owners).
 */
export function compileProcessNames(doc: Document.Parsed, lineCounter: LineCounter, file: string): Result<MatchNamer, ConfigIssue[]> {
  const c = new Collector(file, lineCounter);
  const contents: unknown = doc.contents;
  let rulesNode: unknown;
  if (isMap(contents)) rulesNode = contents.get('process_names', true);
  else if (!isNull(contents)) {
    c.at(contents, '', `expected a mapping with a process_names key, got ${describeNode(contents)}`);
    return err(c.issues);
  }
  if (isNull(rulesNode)) return compileLocated(c, []);
  if (!isSeq(rulesNode)) {
    c.at(rulesNode, 'process_names', `expected a list of rules, got ${describeNode(rulesNode)}`);
    return err(c.issues);
  }
  const located: (LocatedRule | undefined)[] = rulesNode.items.map((item, i) => readRule(c, item, i));
  return compileLocated(c, located);
}

function compileLocated(c: Collector, located: readonly (LocatedRule | undefined)[]): Result<MatchNamer, ConfigIssue[]> {
  // A rule that is not a mapping is compiled as a placeholder so that indexes stay aligned and the
  // remaining rules are still checked; its issue is already recorded.
  const specs: RuleSpec[] = located.map((r) => r?.spec ?? { comm: [] });
  const compiled = compileRules(specs);
  if (!compiled.ok) {
    for (const issue of compiled.error) {
      const rule = located[issue.rule];
      if (rule === undefined) continue;
      const base = `process_names[${issue.rule}]`;
      if (issue.field === 'cmdline' && issue.entry !== undefined) {
        c.at(rule.cmdline[issue.entry] ?? rule.item, `${base}.cmdline[${issue.entry}]`, issue.message);
      } else if (issue.field === 'name') {
        c.at(rule.name ?? rule.item, `${base}.name`, issue.message);
      } else if (!rule.malformedSelector) {
        c.at(rule.item, base, issue.message);
      }
    }
  }
  if (c.issues.length > 0 || !compiled.ok) return err(sortIssues(c.issues));
  return ok(compiled.value);
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Parses YAML text and compiles its `process_names` (for tests and tools that only need naming). */
export function loadProcessNamesFromText(text: string, file: string): Result<MatchNamer, ConfigIssue[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${e.message.split('\n')[0] ?? ''}` };
      }),
    );
  }
  return compileProcessNames(doc, lineCounter, file);
}
