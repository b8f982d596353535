/**
 * The Go values a process-exporter name template can see, and how Go's `fmt` prints them with `%v`.
 *
 * Only the types reachable from process-exporter's `templateParams` (and what the builtins make of
 * them) exist here: string, int (Go `int`/`int64`, kept as bigint so 64-bit values stay exact),
 * uint8 (what `index` returns for a string), float64, bool, `[]string`, `map[string]string`,
 * `time.Time` (always UTC), `time.Month`/`time.Weekday`, the `*templateParams` struct itself, and
 * Go's "no value" (the invalid reflect.Value that a missing map key yields).
 */

/** What a template sees as `.`: process-exporter's `templateParams`. */
export interface TemplateData {
  readonly comm: string;
  readonly exeBase: string;
  readonly exeFull: string;
  readonly username: string;
  readonly pid: number;
  /** Milliseconds since the epoch; rendered as a UTC `time.Time`. */
  readonly startTimeMs: number;
  readonly cgroups: readonly string[];
  readonly matches: ReadonlyMap<string, string>;
}

export type IntType = 'int' | 'int64' | 'uint8' | 'int32';

export type GoValue =
  | { readonly kind: 'string'; readonly v: string }
  | { readonly kind: 'int'; readonly v: bigint; readonly type: IntType }
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'bool'; readonly v: boolean }
  | { readonly kind: 'strings'; readonly v: readonly string[] }
  | { readonly kind: 'map'; readonly v: ReadonlyMap<string, string> }
  | { readonly kind: 'time'; readonly ms: number }
  | { readonly kind: 'enum'; readonly type: 'time.Month' | 'time.Weekday'; readonly n: number; readonly name: string }
  | { readonly kind: 'params'; readonly d: TemplateData }
  /** Go's invalid reflect.Value / untyped nil: printed as `<no value>` by an action, `<nil>` by fmt. */
  | { readonly kind: 'nil' };

export const NIL: GoValue = { kind: 'nil' };

export function str(v: string): GoValue {
  return { kind: 'string', v };
}

export function int(v: bigint | number, type: IntType = 'int'): GoValue {
  return { kind: 'int', v: typeof v === 'bigint' ? v : BigInt(v), type };
}

export function bool(v: boolean): GoValue {
  return { kind: 'bool', v };
}

/** Go's `%T`. */
export function goTypeName(v: GoValue): string {
  switch (v.kind) {
    case 'string':
      return 'string';
    case 'int':
      return v.type;
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'strings':
      return '[]string';
    case 'map':
      return 'map[string]string';
    case 'time':
      return 'time.Time';
    case 'enum':
      return v.type;
    case 'params':
      return '*config.templateParams';
    case 'nil':
      return '<nil>';
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers: Go strings are bytes, JS strings are UTF-16. Lengths, slicing and ordering follow Go.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

/** `len(s)` in Go: the UTF-8 byte length. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Number of runes (code points), as utf8.RuneCountInString. */
export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Go's string comparison: bytewise on UTF-8, which is code point order. Returns <0, 0, >0. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800-DFFF) encode code points above FFFF, which sort after E000-FFFF in UTF-8.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Keys of a map in Go's fmt / text/template order. */
export function sortedKeys(m: ReadonlyMap<string, string>): string[] {
  return [...m.keys()].sort(compareGoStrings);
}

// ---------------------------------------------------------------------------------------------
// strconv.Quote and friends.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** unicode.IsPrint (approximated with the JS engine's Unicode tables). */
export function isGoPrint(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function quoteRuneInto(cp: number, quote: string, out: string[]): void {
  if (cp === quote.codePointAt(0) || cp === 0x5c) {
    out.push('\\', String.fromCodePoint(cp));
    return;
  }
  if (isGoPrint(cp)) {
    out.push(String.fromCodePoint(cp));
    return;
  }
  switch (cp) {
    case 0x07:
      out.push('\\a');
      return;
    case 0x08:
      out.push('\\b');
      return;
    case 0x0c:
      out.push('\\f');
      return;
    case 0x0a:
      out.push('\\n');
      return;
    case 0x0d:
      out.push('\\r');
      return;
    case 0x09:
      out.push('\\t');
      return;
    case 0x0b:
      out.push('\\v');
      return;
  }
  if (cp < 0x20 || cp === 0x7f) out.push('\\x', hex(cp, 2));
  else if (cp >= 0xd800 && cp <= 0xdfff) out.push('\\ufffd');
  else if (cp < 0x10000) out.push('\\u', hex(cp, 4));
  else out.push('\\U', hex(cp, 8));
}

/** strconv.Quote. */
export function goQuote(s: string): string {
  const out: string[] = ['"'];
  for (const ch of s) quoteRuneInto(ch.codePointAt(0) ?? 0, '"', out);
  out.push('"');
  return out.join('');
}

/** strconv.QuoteRune (what `%q` does with an integer). */
export function goQuoteRune(cp: number): string {
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  const out: string[] = ["'"];
  quoteRuneInto(valid ? cp : 0xfffd, "'", out);
  out.push("'");
  return out.join('');
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x60 || cp === 0xfeff) return false;
    if (cp < 0x20 && cp !== 0x09) return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

/** `%.Nq` / `%.Ns`: the first n runes. */
export function truncateRunes(s: string, n: number): string {
  let out = '';
  let i = 0;
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Floats: strconv.FormatFloat(f, 'g', -1, 64), the form %v uses.

/** Shortest round-trip digits and decimal point position of |f| (f finite, non-zero). */
function shortestDigits(f: number): { digits: string; dp: number } {
  const e = Math.abs(f).toExponential(); // shortest digits that round-trip, e.g. "1.2345e+6"
  const [mant = '0', exp = '0'] = e.split('e');
  const digits = mant.replace('.', '');
  return { digits, dp: Number(exp) + 1 };
}

function formatExp(neg: boolean, digits: string, dp: number, upper: boolean): string {
  const exp = dp - 1;
  const m = digits.length > 1 ? `${digits[0] ?? '0'}.${digits.slice(1)}` : digits;
  const sign = exp < 0 ? '-' : '+';
  const ae = Math.abs(exp);
  return `${neg ? '-' : ''}${m}${upper ? 'E' : 'e'}${sign}${ae < 10 ? '0' : ''}${ae}`;
}

function formatFixed(neg: boolean, digits: string, dp: number): string {
  let s: string;
  if (dp <= 0) s = `0.${'0'.repeat(-dp)}${digits}`;
  else if (dp >= digits.length) s = digits + '0'.repeat(dp - digits.length);
  else s = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  return (neg ? '-' : '') + s;
}

/** strconv.FormatFloat(f, 'g', -1, 64). */
export function goFormatFloatG(f: number, upper = false): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const neg = f < 0;
  const { digits, dp } = shortestDigits(f);
  const exp = dp - 1;
  if (exp < -4 || exp >= 6) return formatExp(neg, digits, dp, upper);
  return formatFixed(neg, digits, dp);
}

// ---------------------------------------------------------------------------------------------
// time.Time

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

export function monthName(m: number): string {
  return MONTHS[m - 1] ?? `%!Month(${m})`;
}

export function weekdayName(d: number): string {
  return WEEKDAYS[d] ?? `%!Weekday(${d})`;
}

/** Whole seconds and nanoseconds of a millisecond timestamp (floor semantics, like time.UnixMilli). */
export function splitTime(ms: number): { sec: number; nsec: number } {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.round((ms - sec * 1000) * 1e6);
  return nsec >= 1e9 ? { sec: sec + 1, nsec: nsec - 1e9 } : { sec, nsec };
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

/**
 * Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`, the fraction
 * with trailing zeros trimmed and left out for a whole second.
 */
export function goTimeString(ms: number): string {
  const { sec, nsec } = splitTime(ms);
  const d = new Date(sec * 1000);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const clock = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const frac = nsec === 0 ? '' : `.${String(nsec).padStart(9, '0').replace(/0+$/, '')}`;
  return `${date} ${clock}${frac} +0000 UTC`;
}

// ---------------------------------------------------------------------------------------------
// path/filepath.Base (Unix)

/** Go's `filepath.Base` on Unix: `""`→`.`, trailing slashes stripped, all-slashes→`/`. */
export function goFilepathBase(p: string): string {
  if (p === '') return '.';
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0x2f) end--;
  if (end === 0) return '/';
  const trimmed = p.slice(0, end);
  const i = trimmed.lastIndexOf('/');
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

// ---------------------------------------------------------------------------------------------
// fmt's %v

/** Go's `fmt.Sprint(v)` for a single operand (`%v`), with nil as `<nil>`. */
export function formatV(v: GoValue): string {
  switch (v.kind) {
    case 'string':
      return v.v;
    case 'int':
      return v.v.toString();
    case 'float':
      return goFormatFloatG(v.v);
    case 'bool':
      return v.v ? 'true' : 'false';
    case 'strings':
      return `[${v.v.join(' ')}]`;
    case 'map': {
      const parts: string[] = [];
      for (const k of sortedKeys(v.v)) parts.push(`${k}:${v.v.get(k) ?? ''}`);
      return `map[${parts.join(' ')}]`;
    }
    case 'time':
      return goTimeString(v.ms);
    case 'enum':
      return v.name;
    case 'params':
      return formatParamsStruct(v.d);
    case 'nil':
      return '<nil>';
  }
}

/** `%v` of process-exporter's templateParams struct, fields in declaration order. */
function formatParamsStruct(d: TemplateData): string {
  const fields = [
    formatV({ kind: 'strings', v: d.cgroups }),
    d.comm,
    d.exeBase,
    d.exeFull,
    d.username,
    String(d.pid),
    goTimeString(d.startTimeMs),
    formatV({ kind: 'map', v: d.matches }),
  ];
  return `{${fields.join(' ')}}`;
}

/** Go truth (text/template's isTrue). Every value we model has a meaningful truth. */
export function isTrue(v: GoValue): boolean {
  switch (v.kind) {
    case 'string':
      return v.v.length > 0;
    case 'int':
      return v.v !== 0n;
    case 'float':
      return v.v !== 0;
    case 'bool':
      return v.v;
    case 'strings':
      return v.v.length > 0;
    case 'map':
      return v.v.size > 0;
    case 'time':
    case 'params':
      return true;
    case 'enum':
      return v.n !== 0;
    case 'nil':
      return false;
  }
}
