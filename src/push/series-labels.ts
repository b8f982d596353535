/**
 * Label-set rules shared by both sinks: name validation, empty values dropped, byte-order sorting,
 * unique names, and what happens when a data label and a static (extra) label share a name. Pure.
 *
 * Collisions: the config refuses a static label named like any label of procpush's series (the names
 * come from the metric catalogue: agent/labels.ts, SERIES_LABEL_NAMES), so the agent's own series never
 * collide. For a family outside the catalogue (a caller of the sinks other than the agent), a data label
 * is still never overwritten: it keeps its name and the static label is renamed with the prefix
 * `static_` (repeated until the name is free), so both values survive and the result is deterministic.
 */

import { err, ok, type Result } from '../base/result.js';
import type { Label } from '../series/types.js';

/** Metric names, remote write 1.0 spec and Prometheus data model. */
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Label names, remote write 1.0 spec and Prometheus data model. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** The prefix a renamed static label gets when a data label has its name. */
export const STATIC_RENAME_PREFIX = 'static_';

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}

/** A label name a user or collector may set: valid and not in the reserved `__` namespace. */
export function isValidUserLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name) && !name.startsWith('__');
}

/**
 * Config-time check of static labels: valid names, no `__` prefix, no duplicates, none named like a
 * data label (`reservedNames`, e.g. `groupname`). Returns every problem found.
 */
export function checkStaticLabels(
  labels: readonly Label[],
  options: { readonly reservedNames?: readonly string[] } = {},
): Result<void, readonly string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  const reserved = new Set(options.reservedNames ?? []);
  for (const { name } of labels) {
    if (!isValidUserLabelName(name)) {
      problems.push(`label name "${name}" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"`);
    } else if (seen.has(name)) {
      problems.push(`label "${name}" is set twice`);
    } else if (reserved.has(name)) {
      problems.push(`label "${name}" is also a label of the exported series; a static label may not replace it`);
    }
    seen.add(name);
  }
  return problems.length === 0 ? ok(undefined) : err(problems);
}

/** Static labels checked once per payload: valid, unique, empty values dropped, sorted. */
export interface StaticLabels {
  readonly labels: readonly Label[];
}

/** Validates the payload's extra labels. `exclude`: names left out (e.g. the Pushgateway grouping key). */
export function prepareStaticLabels(
  labels: readonly Label[],
  options: { readonly exclude?: ReadonlySet<string> } = {},
): Result<StaticLabels, string> {
  const checked = checkStaticLabels(labels);
  if (!checked.ok) return err(`invalid extra labels: ${checked.error.join('; ')}`);
  const kept = labels.filter((l) => l.value !== '' && options.exclude?.has(l.name) !== true);
  return ok({ labels: [...kept].sort(compareLabelNames) });
}

/** Byte-order comparison of label names (names are ASCII, so UTF-16 order is byte order). */
export function compareLabelNames(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface SeriesLabels {
  /** Sorted by name, unique names, no empty values; starts with `__name__` when requested. */
  readonly labels: readonly Label[];
  /** Static label names that were renamed because a data label had the same name. */
  readonly renamed: readonly string[];
}

export interface BuildSeriesLabelsInput {
  readonly metricName: string;
  readonly dataLabels: readonly Label[];
  readonly statics: StaticLabels;
  /** Whether `__name__` is part of the result (remote write) or not (Pushgateway text body). */
  readonly includeMetricName: boolean;
  /** Data label names that are an error (Pushgateway: grouping-key names, which the gateway would overwrite). */
  readonly forbiddenDataNames?: ReadonlySet<string>;
  /** Names already known to be valid user label names; filled as names are checked (speed only). */
  readonly validNameCache?: Set<string>;
}

/** Builds one series' label set, or says why the series must not be sent. */
export function buildSeriesLabels(input: BuildSeriesLabelsInput): Result<SeriesLabels, string> {
  if (!isValidMetricName(input.metricName)) return err(`invalid metric name "${input.metricName}"`);
  const data = input.dataLabels;
  // Fast path (the normal case, one call per series per cycle, so it avoids sets, sorting and copies):
  // data labels already sorted and unique, valid names, no name shared with a static label.
  let sortedUnique = true;
  for (let i = 0; i < data.length; i++) {
    const label = data[i];
    if (label === undefined) continue;
    if (input.validNameCache?.has(label.name) !== true) {
      if (!isValidUserLabelName(label.name)) return err(`${input.metricName}: invalid label name "${label.name}"`);
      input.validNameCache?.add(label.name);
    }
    if (input.forbiddenDataNames?.has(label.name) === true) {
      return err(`${input.metricName}: label "${label.name}" is part of the grouping key and would be overwritten`);
    }
    const prev = i > 0 ? data[i - 1] : undefined;
    if (prev !== undefined && prev.name >= label.name) sortedUnique = false;
  }
  if (!sortedUnique) return buildSlow(input);
  const statics = input.statics.labels;
  const out: Label[] = [];
  let i = 0;
  let j = 0;
  let nameDone = !input.includeMetricName;
  for (;;) {
    const d = data[i];
    const st = statics[j];
    if (d === undefined && st === undefined) break;
    const next = d === undefined ? st : st === undefined ? d : d.name < st.name ? d : st;
    if (next === undefined) break;
    if (d !== undefined && st !== undefined && d.name === st.name) return buildSlow(input); // collision: rename
    if (!nameDone && next.name > '__name__') {
      out.push({ name: '__name__', value: input.metricName });
      nameDone = true;
    }
    if (next === d) {
      if (d.value !== '') out.push(d);
      i++;
    } else {
      out.push(next);
      j++;
    }
  }
  if (!nameDone) out.push({ name: '__name__', value: input.metricName });
  return ok({ labels: out, renamed: [] });
}

/** The general path: unsorted data labels, duplicates (an error), or static labels to rename. */
function buildSlow(input: BuildSeriesLabelsInput): Result<SeriesLabels, string> {
  const { metricName, dataLabels, statics } = input;
  const out: Label[] = [];
  const names = new Set<string>();
  for (const label of dataLabels) {
    if (names.has(label.name)) return err(`${metricName}: label "${label.name}" appears twice`);
    names.add(label.name);
    if (label.value !== '') out.push(label);
  }
  let renamed: string[] | undefined;
  for (const label of statics.labels) {
    let name = label.name;
    if (names.has(name)) {
      (renamed ??= []).push(name);
      while (names.has(name)) name = STATIC_RENAME_PREFIX + name;
      out.push({ name, value: label.value });
    } else {
      out.push(label);
    }
    names.add(name);
  }
  if (input.includeMetricName) out.push({ name: '__name__', value: metricName });
  out.sort(compareLabelNames);
  return ok({ labels: out, renamed: renamed ?? [] });
}

/** An unambiguous string key of a sorted label set (length-prefixed, so no separator can collide). */
export function labelSetKey(labels: readonly Label[]): string {
  let key = '';
  for (const { name, value } of labels) key += `${name.length}:${name}${value.length}:${value}`;
  return key;
}
