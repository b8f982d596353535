/**
 * Formats a float64 the way Prometheus' Go client writes sample values in the text format:
 * `strconv.FormatFloat(v, 'g', -1, 64)` (shortest round-trip digits, exponent form iff the decimal
 * exponent is < -4 or >= 6, unlike JS which switches at 1e21; at least two exponent digits), with the
 * special cases of expfmt's writeFloat: `NaN`, `+Inf`, `-Inf`, and `0` for negative zero.
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  // toExponential() without an argument yields the shortest digits that round-trip, as Go's -1 precision does.
  const e = v.toExponential();
  const eIdx = e.indexOf('e');
  const mantissa = e.slice(0, eIdx);
  const exp = Number(e.slice(eIdx + 1));
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = (negative ? mantissa.slice(1) : mantissa).replace('.', '');
  let out: string;
  if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${out}` : out;
}
