/**
 * A subset of Go's `fmt` over {@link GoValue}: `Sprint`, `Sprintln` and `Sprintf` with the verbs
 * `%v %s %d %q %x %X %o %O %b %c %U %t %f %F %e %E %g %G %T %%`, flags `+ - # 0 space`, width and
 * precision (also `*`), explicit argument indexes `%[n]d`, and Go's error notations
 * (`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA …)`, `%!(NOVERB)`, `%!(BADWIDTH)`, …).
 */
import {
  canBackquote,
  formatV,
  goFormatFloatG,
  goQuote,
  goQuoteRune,
  goTypeName,
  runeCount,
  sortedKeys,
  truncateRunes,
  utf8Bytes,
  type GoValue,
} from './go-value.js';

/** fmt.Sprint: operands formatted with %v, a space between two operands when neither is a string. */
export function goSprint(args: readonly GoValue[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = a.kind === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatV(a);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands formatted with %v, always separated by a space, then a newline. */
export function goSprintln(args: readonly GoValue[]): string {
  return `${args.map(formatV).join(' ')}\n`;
}

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined) return s;
  const n = runeCount(s);
  if (n >= spec.width) return s;
  const fill = spec.width - n;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero) {
    if (numeric && (s.startsWith('-') || s.startsWith('+') || s.startsWith(' '))) {
      return s.slice(0, 1) + '0'.repeat(fill) + s.slice(1);
    }
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, a: GoValue): string {
  if (a.kind === 'nil') return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(a)}=${formatV(a)})`;
}

function hexOfString(s: string, upper: boolean, spec: Spec): string {
  const bytes = utf8Bytes(spec.prec === undefined ? s : truncateBytes(s, spec.prec));
  const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  const parts: string[] = [];
  for (const b of bytes) {
    let h = (digits[b >> 4] ?? '') + (digits[b & 15] ?? '');
    if (spec.sharp && (spec.space || parts.length === 0)) h = (upper ? '0X' : '0x') + h;
    parts.push(h);
  }
  return parts.join(spec.space ? ' ' : '');
}

function truncateBytes(s: string, n: number): string {
  // %.Nx truncates the input to N bytes; keep whole characters (approximation for multi-byte text).
  let out = '';
  let used = 0;
  for (const ch of s) {
    const w = utf8Bytes(ch).length;
    if (used + w > n) break;
    out += ch;
    used += w;
  }
  return out;
}

function fmtString(s: string, verb: string, specIn: Spec): string {
  // Newer Go (the one process-exporter 0.8.x is built with) ignores the 0 flag for strings.
  const spec = specIn.zero ? { ...specIn, zero: false } : specIn;
  switch (verb) {
    case 'v':
    case 's':
      return pad(spec.prec === undefined ? s : truncateRunes(s, spec.prec), spec, false);
    case 'q': {
      const t = spec.prec === undefined ? s : truncateRunes(s, spec.prec);
      return pad(spec.sharp && canBackquote(t) ? `\`${t}\`` : goQuote(t), spec, false);
    }
    case 'x':
    case 'X':
      return pad(hexOfString(s, verb === 'X', spec), spec, false);
    default:
      return badVerb(verb, { kind: 'string', v: s });
  }
}

function fmtInteger(v: bigint, verb: string, spec: Spec, type: string): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (spec.sharp) prefix = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      if (spec.sharp && digits !== '0') prefix = '0';
      break;
    case 'O':
      digits = abs.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(validRune(v)), spec, false);
    case 'q':
      return pad(goQuoteRune(Number(v)), spec, false);
    case 'U': {
      const h = abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(`${neg ? '-' : ''}U+${h}`, spec, false);
    }
    default:
      return badVerb(verb, { kind: 'int', v, type: type === 'uint8' ? 'uint8' : 'int' });
  }
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && abs === 0n) digits = '';
    else digits = digits.padStart(spec.prec, '0');
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  const body = prefix + digits;
  if (spec.zero && !spec.minus && spec.width !== undefined && spec.prec === undefined) {
    const fill = spec.width - sign.length - body.length;
    if (fill > 0) return sign + prefix + '0'.repeat(fill) + digits;
  }
  return pad(sign + body, { ...spec, zero: false }, true);
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn) return 0xfffd;
  const n = Number(v);
  return n >= 0xd800 && n <= 0xdfff ? 0xfffd : n;
}

function fixExponent(s: string): string {
  // JS writes e+6; Go writes at least two exponent digits: e+06.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function fmtFloat(f: number, verb: string, spec: Spec): string {
  let s: string;
  const upper = verb === 'E' || verb === 'G' || verb === 'F';
  if (!Number.isFinite(f)) {
    s = Number.isNaN(f) ? 'NaN' : f > 0 ? (spec.plus ? '+Inf' : 'Inf') : '-Inf';
    return pad(s, { ...spec, zero: false }, true);
  }
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      if (spec.prec === undefined) s = goFormatFloatG(f, upper);
      else s = formatGWithPrecision(f, spec.prec === 0 ? 1 : spec.prec, upper, spec.sharp);
      break;
    case 'f':
    case 'F':
      s = f.toFixed(spec.prec ?? 6);
      break;
    case 'e':
    case 'E':
      s = fixExponent(f.toExponential(spec.prec ?? 6));
      if (upper) s = s.toUpperCase();
      break;
    default:
      return badVerb(verb, { kind: 'float', v: f });
  }
  if (s.startsWith('+')) s = s.slice(1);
  if (!s.startsWith('-')) {
    if (spec.plus) s = `+${s}`;
    else if (spec.space) s = ` ${s}`;
  }
  return pad(s, spec, true);
}

function formatGWithPrecision(f: number, prec: number, upper: boolean, sharp: boolean): string {
  if (f === 0) return '0';
  const e = Math.abs(f).toExponential(prec - 1);
  const [mant = '0', expText = '0'] = e.split('e');
  let digits = mant.replace('.', '');
  if (!sharp) digits = digits.replace(/0+$/, '') || '0';
  const dp = Number(expText) + 1;
  let eprec = prec;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  const exp = dp - 1;
  const neg = f < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const m = digits.length > 1 ? `${digits[0] ?? '0'}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${neg}${m}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  let s: string;
  if (dp <= 0) s = `0.${'0'.repeat(-dp)}${digits}`;
  else if (dp >= digits.length) s = digits + '0'.repeat(dp - digits.length);
  else s = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  return neg + s;
}

/** One operand with one verb, as fmt's printArg. */
function formatArg(a: GoValue, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(goTypeName(a), spec, false);
  switch (a.kind) {
    case 'nil':
      return verb === 'v' ? pad('<nil>', spec, false) : badVerb(verb, a);
    case 'bool':
      return verb === 'v' || verb === 't' ? pad(a.v ? 'true' : 'false', spec, false) : badVerb(verb, a);
    case 'int':
      return fmtInteger(a.v, verb, spec, a.type);
    case 'float':
      return fmtFloat(a.v, verb, spec);
    case 'string':
      return fmtString(a.v, verb, spec);
    case 'strings': {
      if (verb === 'x' || verb === 'X' || verb === 'q' || verb === 's' || verb === 'v') {
        const items = a.v.map((s) => fmtString(s, verb, { ...spec, width: undefined }));
        return pad(`[${items.join(' ')}]`, spec, false);
      }
      return `[${a.v.map((s) => badVerb(verb, { kind: 'string', v: s })).join(' ')}]`;
    }
    case 'map': {
      const parts = sortedKeys(a.v).map(
        (k) => `${formatArg({ kind: 'string', v: k }, verb, spec)}:${formatArg({ kind: 'string', v: a.v.get(k) ?? '' }, verb, spec)}`,
      );
      return `map[${parts.join(' ')}]`;
    }
    case 'time':
      // time.Time is a fmt.Stringer: String() is used for %v %s %q %x %X.
      if (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
        return fmtString(formatV(a), verb, spec);
      }
      return badVerb(verb, a);
    case 'enum':
      if (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
        return fmtString(a.name, verb, spec);
      }
      return fmtInteger(BigInt(a.n), verb, spec, 'int');
    case 'params':
      return pad(formatV(a), spec, false);
  }
}

/** fmt.Sprintf. */
export function goSprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argNum = 0;
  const state: { reordered: boolean } = { reordered: false };
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { plus: false, minus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    // Flags.
    for (; i < n; i++) {
      const c = format[i];
      if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = !spec.minus;
      else if (c === '+') spec.plus = true;
      else if (c === '-') {
        spec.minus = true;
        spec.zero = false;
      } else if (c === ' ') spec.space = true;
      else break;
    }
    let goodArgNum = true;
    /** Reads an optional `[n]`; false when it is malformed or out of range. */
    const readIndex = (): boolean => {
      if (format[i] !== '[') return true;
      state.reordered = true;
      const close = format.indexOf(']', i);
      const text = close < 0 ? '' : format.slice(i + 1, close);
      if (close < 0 || !/^\d+$/.test(text) || Number(text) < 1 || Number(text) > args.length) {
        i = close < 0 ? n : close + 1;
        return false;
      }
      argNum = Number(text) - 1;
      i = close + 1;
      return true;
    };
    if (!readIndex()) goodArgNum = false;
    // Width.
    if (format[i] === '*') {
      i++;
      const a = args[argNum];
      argNum++;
      if (a?.kind === 'int' && Math.abs(Number(a.v)) <= 1e6) {
        spec.width = Number(a.v);
        if (spec.width < 0) {
          spec.minus = true;
          spec.zero = false;
          spec.width = -spec.width;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    // Precision.
    if (format[i] === '.') {
      i++;
      if (!readIndex()) goodArgNum = false;
      if (format[i] === '*') {
        i++;
        const a = args[argNum];
        argNum++;
        if (a?.kind === 'int' && Number(a.v) >= 0 && Number(a.v) <= 1e6) spec.prec = Number(a.v);
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (!readIndex()) goodArgNum = false;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    const arg = args[argNum];
    if (arg === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    argNum++;
    out += formatArg(arg, verb, spec);
  }
  if (!state.reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a.kind === 'nil' ? '<nil>' : `${goTypeName(a)}=${formatV(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
