import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatGoFloat } from '../../../src/series/go-float.js';

describe('formatGoFloat', () => {
  it('prints the values verified against Go strconv.FormatFloat(v, g, -1, 64)', () => {
    const cases: [number, string][] = [
      [675840, '675840'],
      [999999, '999999'],
      [1e6, '1e+06'],
      [14241792, '1.4241792e+07'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [-62135596800, '-6.21355968e+10'],
      [2 ** 64, '1.8446744073709552e+19'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1.230000000000004, '1.230000000000004'],
      [0.00025, '0.00025'],
      [1795266358, '1.795266358e+09'],
      [123456.5, '123456.5'],
      [1234567.5, '1.2345675e+06'],
      [-0.5, '-0.5'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
    ];
    for (const [v, want] of cases) assert.equal(formatGoFloat(v), want, `value ${v}`);
  });

  it('writes the special values as the Prometheus text format does', () => {
    assert.equal(formatGoFloat(NaN), 'NaN');
    assert.equal(formatGoFloat(Infinity), '+Inf');
    assert.equal(formatGoFloat(-Infinity), '-Inf');
    assert.equal(formatGoFloat(-0), '0');
  });

  it('always round-trips through parseFloat', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatGoFloat(v);
        assert.equal(Number.parseFloat(s), v === 0 ? 0 : v);
      }),
      { numRuns: 5000 },
    );
  });

  it('uses exponent form exactly when the decimal exponent is below -4 or at least 6', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (v) => {
        const exp = Math.floor(Math.log10(v));
        const s = formatGoFloat(v);
        // log10 can be off by one right at powers of ten; only check values clearly inside a decade.
        if (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) return;
        assert.equal(s.includes('e'), exp < -4 || exp >= 6, s);
      }),
      { numRuns: 5000 },
    );
  });
});
