import { formatGoFloat } from './go-float.js';
import type { Label, MetricFamily, Sample } from './types.js';

/**
 * Renders families as Prometheus text exposition format 0.0.4, byte for byte as client_golang does:
 * families sorted by name, samples sorted by their label values (labels sorted by name), every family
 * with HELP and TYPE, label values escaped (`\\`, `\"`, `\n`), HELP escaped (`\\`, `\n`), values as Go floats.
 * Families without samples are left out, as client_golang does.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const sorted = families.filter((f) => f.samples.length > 0).sort((a, b) => compareGoStrings(a.name, b.name));
  const parts: string[] = [];
  for (const family of sorted) {
    parts.push(familyHeader(family));
    const samples = family.samples.length === 1 ? family.samples : [...family.samples].sort(compareSamples);
    for (const sample of samples) {
      parts.push(family.name, renderLabels(sample.labels), ' ', formatGoFloat(sample.value), '\n');
    }
  }
  return parts.join('');
}

/** `# HELP` and `# TYPE` lines, by family name (help and type checked, as they never change in practice). */
const headers = new Map<string, { readonly help: string; readonly type: string; readonly text: string }>();

function familyHeader(family: MetricFamily): string {
  const cached = headers.get(family.name);
  if (cached !== undefined && cached.help === family.help && cached.type === family.type) return cached.text;
  const text = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  if (headers.size > 10_000) headers.clear();
  headers.set(family.name, { help: family.help, type: family.type, text });
  return text;
}

/**
 * `{name="value",…}` by label array: the namedprocess families reuse each series' label array from
 * cycle to cycle (SeriesLabelCache), so a steady cycle renders no label text. Entries go away with
 * their arrays. Label arrays are never mutated once built (they are readonly everywhere).
 */
const labelText = new WeakMap<readonly Label[], string>();

function renderLabels(labels: readonly Label[]): string {
  if (labels.length === 0) return '';
  const cached = labelText.get(labels);
  if (cached !== undefined) return cached;
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === undefined) continue;
    if (i > 0) out += ',';
    out += `${label.name}="${escapeLabelValue(label.value)}"`;
  }
  out += '}';
  labelText.set(labels, out);
  return out;
}

export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(v: string): string {
  if (!/[\\\n]/.test(v)) return v;
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function compareSamples(a: Sample, b: Sample): number {
  const n = Math.min(a.labels.length, b.labels.length);
  for (let i = 0; i < n; i++) {
    const c = compareGoStrings(a.labels[i]?.value ?? '', b.labels[i]?.value ?? '');
    if (c !== 0) return c;
  }
  return a.labels.length - b.labels.length;
}

/**
 * Orders strings as Go does (bytewise on UTF-8), which is code point order. JS `<` compares UTF-16
 * code units, which differs only when a surrogate pair meets a character in U+E000..U+FFFF.
 */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 && cb >= 0xd800) {
      const pa = a.codePointAt(i) ?? ca;
      const pb = b.codePointAt(i) ?? cb;
      return pa < pb ? -1 : 1;
    }
    return ca < cb ? -1 : 1;
  }
  return a.length - b.length;
}
