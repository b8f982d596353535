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
import { err, ok, type Result } from '../base/result.js';
import { compileRules, type MatchNamer, type RuleSpec } from '../naming/matcher.js';
import { parseConfigDocument, type DocNode, type Pos } from './document.js';
import { sortIssues, type ConfigIssue } from './issues.js';

const RULE_KEYS = ['name', 'comm', 'exe', 'cmdline'] as const;
type RuleKey = (typeof RULE_KEYS)[number];

function isRuleKey(k: string): k is RuleKey {
  return (RULE_KEYS as readonly string[]).includes(k);
}

/** "a string", "a list", … for type errors. */
function describeNode(n: DocNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  const v = n.value;
  if (v === null) return 'null';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  return 'a boolean';
}

/** A null value: absent in process-exporter's eyes (yaml.v2 leaves the field nil). */
function isNull(n: DocNode | undefined): boolean {
  return n === undefined || (n.kind === 'scalar' && n.value === null);
}

class Collector {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly file: string) {}

  /** An issue at `pos` (a node's or a key's position). */
  at(pos: Pos, field: string, message: string): void {
    this.issues.push({ file: this.file, line: pos.line, column: pos.column, field, message });
  }
}

interface LocatedRule {
  readonly spec: RuleSpec;
  /** A selector key was present but unreadable (already reported): "no matchers provided" would mislead. */
  readonly malformedSelector: boolean;
  readonly item: DocNode;
  readonly name: DocNode | undefined;
  readonly cmdline: readonly DocNode[];
}

/** A list of strings; a scalar entry reads as yaml.v2 reads it into a string (`text`). */
function readStringList(c: Collector, value: DocNode, field: string): string[] | undefined {
  if (value.kind !== 'seq') {
    c.at(value.pos, field, `expected a list of strings, got ${describeNode(value)}`);
    return undefined;
  }
  const out: string[] = [];
  let bad = 0;
  value.items.forEach((entry, i) => {
    if (entry.kind !== 'scalar') {
      bad++;
      c.at(entry.pos, `${field}[${i}]`, `expected a string, got ${describeNode(entry)}`);
    } else out.push(entry.text);
  });
  return bad === 0 ? out : undefined;
}

function readRule(c: Collector, item: DocNode, index: number): LocatedRule | undefined {
  const field = `process_names[${index}]`;
  if (item.kind !== 'map') {
    c.at(item.pos, field, `expected a mapping with name, comm, exe or cmdline, got ${describeNode(item)}`);
    return undefined;
  }
  const spec: { name?: string; comm?: string[]; exe?: string[]; cmdline?: string[] } = {};
  let nameNode: DocNode | undefined;
  let cmdlineNodes: readonly DocNode[] = [];
  let malformedSelector = false;
  for (const { key, keyPos, value } of item.entries) {
    if (!isRuleKey(key)) {
      const hint = RULE_KEYS.find((k) => k === key.toLowerCase());
      c.at(keyPos, `${field}.${key}`, `unknown key ${JSON.stringify(key)}; ${hint === undefined ? 'expected name, comm, exe or cmdline' : `did you mean ${hint}?`}`);
      continue;
    }
    if (isNull(value)) continue;
    if (key === 'name') {
      if (value.kind !== 'scalar') {
        c.at(value.pos, `${field}.name`, `expected a string, got ${describeNode(value)}`);
      } else {
        spec.name = value.text;
        nameNode = value;
      }
      continue;
    }
    const list = readStringList(c, value, `${field}.${key}`);
    if (list === undefined) {
      malformedSelector = true;
      continue;
    }
    spec[key] = list;
    if (key === 'cmdline' && value.kind === 'seq') cmdlineNodes = value.items;
  }
  return { spec, malformedSelector, item, name: nameNode, cmdline: cmdlineNodes };
}

/**
 * Compiles the `process_names` key of a located document's root (other top-level keys are left to
 * their owners). Issues are placed at the offending value.
 */
export function compileProcessNames(root: DocNode | undefined, file: string): Result<MatchNamer, ConfigIssue[]> {
  const c = new Collector(file);
  let rulesNode: DocNode | undefined;
  if (root?.kind === 'map') rulesNode = root.entries.find((e) => e.key === 'process_names')?.value;
  else if (root !== undefined && !isNull(root)) {
    c.at(root.pos, '', `expected a mapping with a process_names key, got ${describeNode(root)}`);
    return err(c.issues);
  }
  if (rulesNode === undefined || isNull(rulesNode)) return compileLocated(c, []);
  if (rulesNode.kind !== 'seq') {
    c.at(rulesNode.pos, 'process_names', `expected a list of rules, got ${describeNode(rulesNode)}`);
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
        c.at((rule.cmdline[issue.entry] ?? rule.item).pos, `${base}.cmdline[${issue.entry}]`, issue.message);
      } else if (issue.field === 'name') {
        c.at((rule.name ?? rule.item).pos, `${base}.name`, issue.message);
      } else if (!rule.malformedSelector) {
        c.at(rule.item.pos, base, issue.message);
      }
    }
  }
  if (c.issues.length > 0 || !compiled.ok) return err(sortIssues(c.issues));
  return ok(compiled.value);
}

/** Parses YAML text and compiles its `process_names` (for tests and tools that only need naming). */
export function loadProcessNamesFromText(text: string, file: string): Result<MatchNamer, ConfigIssue[]> {
  const doc = parseConfigDocument(text, file);
  return doc.ok ? compileProcessNames(doc.value.root, file) : doc;
}
