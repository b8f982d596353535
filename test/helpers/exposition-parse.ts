/**
 * Parser for the Prometheus text exposition format (0.0.4), strict enough to catch malformed
 * output: label values with `\\`, `\"` and `\n` escapes, `NaN`, `+Inf`/`-Inf`, exponents, optional
 * timestamps, HELP/TYPE per family. Samples are keyed by a canonical series key (labels sorted by
 * name, values re-escaped) so two expositions can be compared regardless of ordering and formatting.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** The series key: `name{a="x",b="y"}` with labels sorted by name (or just `name`). */
  readonly key: string;
}

export interface FamilyMeta {
  help?: string;
  type?: string;
}

export interface Exposition {
  /** Series key → value. */
  readonly series: ReadonlyMap<string, number>;
  readonly samples: readonly Sample[];
  /** Family name → HELP and TYPE. */
  readonly families: ReadonlyMap<string, FamilyMeta>;
}

export class ExpositionParseError extends Error {
  constructor(message: string, line: number, text: string) {
    super(`line ${line}: ${message}: ${JSON.stringify(text)}`);
    this.name = 'ExpositionParseError';
  }
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Escapes a label value the way the text format requires. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Canonical key of a series. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  return `${name}{${names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? '')}"`).join(',')}}`;
}

/** Parses a sample value: Go/Prometheus floats, `NaN`, `+Inf`, `-Inf`, `Inf`. */
export function parseValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return FLOAT_RE.test(text) ? Number(text) : undefined;
  }
}

/** Undoes HELP escaping (`\\` and `\n`). */
function unescapeHelp(s: string): string {
  return s.replace(/\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Family name of a sample (strips the histogram/summary suffixes when such a family exists). */
function familyOf(name: string, families: ReadonlyMap<string, FamilyMeta>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = families.get(base)?.type;
      if (t === 'histogram' || t === 'summary') return base;
    }
  }
  return name;
}

export function parseExposition(text: string): Exposition {
  const series = new Map<string, number>();
  const samples: Sample[] = [];
  const families = new Map<string, FamilyMeta>();
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (m === null) return; // plain comment
      const [, kind, fam, rest] = m;
      if (kind === undefined || fam === undefined) return;
      const meta = families.get(fam) ?? {};
      if (kind === 'HELP') {
        if (meta.help !== undefined) throw new ExpositionParseError('second HELP for family', lineNo, line);
        meta.help = unescapeHelp(rest ?? '');
      } else {
        if (meta.type !== undefined) throw new ExpositionParseError('second TYPE for family', lineNo, line);
        const t = (rest ?? '').trim();
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(t)) {
          throw new ExpositionParseError('unknown TYPE', lineNo, line);
        }
        meta.type = t;
      }
      families.set(fam, meta);
      return;
    }
    const sample = parseSampleLine(line, lineNo);
    if (series.has(sample.key)) throw new ExpositionParseError('duplicate series', lineNo, line);
    series.set(sample.key, sample.value);
    samples.push(sample);
    const fam = familyOf(sample.name, families);
    if (!families.has(fam)) families.set(fam, {});
  });
  return { series, samples, families };
}

function parseSampleLine(line: string, lineNo: number): Sample {
  const nameMatch = NAME_RE.exec(line);
  if (nameMatch === null) throw new ExpositionParseError('bad metric name', lineNo, line);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    let closed = false;
    // every pass consumes at least one character, so line.length passes are enough
    for (let pass = 0; pass <= line.length; pass++) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        closed = true;
        break;
      }
      const ln = LABEL_NAME_RE.exec(line.slice(pos));
      if (ln === null) throw new ExpositionParseError('bad label name', lineNo, line);
      const labelName = ln[0];
      pos += labelName.length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') throw new ExpositionParseError('expected ="', lineNo, line);
      pos += 2;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new ExpositionParseError('unterminated label value', lineNo, line);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos];
          pos++;
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ExpositionParseError('bad escape in label value', lineNo, line);
        } else {
          value += c;
        }
      }
      if (Object.hasOwn(labels, labelName)) throw new ExpositionParseError('duplicate label', lineNo, line);
      labels[labelName] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') {
        pos++;
        closed = true;
        break;
      }
      throw new ExpositionParseError('expected , or }', lineNo, line);
    }
    if (!closed) throw new ExpositionParseError('unterminated label set', lineNo, line);
  }
  const rest = line.slice(pos);
  if (!/^[ \t]/.test(rest)) throw new ExpositionParseError('expected whitespace before value', lineNo, line);
  const parts = rest.trim().split(/[ \t]+/);
  if (parts.length < 1 || parts.length > 2) throw new ExpositionParseError('expected value [timestamp]', lineNo, line);
  const value = parseValue(parts[0] ?? '');
  if (value === undefined) throw new ExpositionParseError('bad value', lineNo, line);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new ExpositionParseError('bad timestamp', lineNo, line);
  return { name, labels, value, key: seriesKey(name, labels) };
}

/** Keeps only the series whose metric name starts with `prefix`. */
export function filterSeries(series: ReadonlyMap<string, number>, prefix: string): Map<string, number> {
  return new Map([...series].filter(([k]) => k.startsWith(prefix)));
}
