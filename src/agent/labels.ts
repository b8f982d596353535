import type { NetworkInterfaceInfo } from 'node:os';
import type { Result } from '../base/result.js';
import { err, ok } from '../base/result.js';
import { isValidUserLabelName } from '../push/series-labels.js';
import { BUDGET_FAMILIES, FAMILIES } from '../series/namedprocess.js';
import type { Label } from '../series/types.js';
import { SELF_FAMILIES } from './self-metrics.js';

/**
 * The label names of the series procpush pushes, derived from the metric catalogue (the namedprocess
 * families, the cycle-budget families and the procpush_* self-metrics), plus `job`, which the
 * Pushgateway's grouping key sets. A static label may never have one of these names: it would replace
 * or be replaced by a label of the series themselves.
 */
export const SERIES_LABEL_NAMES: ReadonlySet<string> = new Set([
  ...[...Object.values(FAMILIES), ...Object.values(BUDGET_FAMILIES), ...Object.values(SELF_FAMILIES)].flatMap((f) => f.labels),
  'job',
]);

/**
 * The one rule for a static label's name, used by the config check (`labels:`, located) and when the
 * labels are resolved at run time: undefined when the name may be used.
 */
export function staticLabelNameProblem(name: string): string | undefined {
  if (!isValidUserLabelName(name)) return 'invalid label name (must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __)';
  if (SERIES_LABEL_NAMES.has(name)) return `"${name}" is a label of the series themselves and cannot be set statically`;
  return undefined;
}

export interface HostFacts {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  readonly interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;
}

/** Expands `${NAME}` and `${NAME:-default}`; an unset variable without a default is an error. `$$` is a literal `$`. */
export function expandEnv(text: string, env: HostFacts['env']): Result<string, string> {
  let missing: string | undefined;
  const out = text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string | undefined, def: string | undefined) => {
    if (whole === '$$') return '$';
    const v = name === undefined ? undefined : env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    missing ??= name;
    return '';
  });
  if (missing !== undefined) return err(`environment variable ${missing} is not set (write \${${missing}:-default} for a fallback)`);
  return ok(out);
}

/** The first non-loopback address: IPv4 first, then a global IPv6; undefined when the host has none. */
export function firstHostAddress(interfaces: HostFacts['interfaces']): string | undefined {
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const v4 = all.find((i) => i.family === 'IPv4' && !i.internal);
  if (v4 !== undefined) return v4.address;
  return all.find((i) => i.family === 'IPv6' && !i.internal && !i.address.toLowerCase().startsWith('fe80'))?.address;
}

/** What is wrong with the static label `name` (of the config's `labels:`). */
export interface LabelProblem {
  readonly name: string;
  readonly message: string;
}

/**
 * Resolves the static labels attached to every pushed series: `node` (default `$NODE_NAME`, else the
 * hostname), `ip` (default `$NODE_IP`, else the first non-loopback address), `instance` (default the
 * node name) and any extra ones, after `${ENV}` expansion. Sorted by name; empty values are dropped.
 */
export function resolveStaticLabels(configured: Readonly<Record<string, string>>, host: HostFacts): Result<Label[], LabelProblem[]> {
  const problems: LabelProblem[] = [];
  const values = new Map<string, string>();
  for (const [name, raw] of Object.entries(configured)) {
    const problem = staticLabelNameProblem(name);
    if (problem !== undefined) {
      problems.push({ name, message: problem });
      continue;
    }
    const expanded = expandEnv(raw, host.env);
    if (!expanded.ok) problems.push({ name, message: expanded.error });
    else values.set(name, expanded.value);
  }
  const node = values.get('node') ?? nonEmpty(host.env['NODE_NAME']) ?? host.hostname;
  values.set('node', node);
  if (!values.has('ip')) {
    const ip = nonEmpty(host.env['NODE_IP']) ?? firstHostAddress(host.interfaces);
    if (ip !== undefined) values.set('ip', ip);
  }
  if (!values.has('instance')) values.set('instance', node);
  if (problems.length > 0) return err(problems);
  const labels = [...values].filter(([, v]) => v !== '').map(([name, value]) => ({ name, value }));
  labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return ok(labels);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
