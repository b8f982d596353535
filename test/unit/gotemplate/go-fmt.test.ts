import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goSprint, goSprintf, goSprintln } from '../../../src/gotemplate/go-fmt.js';
import { NIL, goFormatFloatG, goQuote, int, str, type GoValue } from '../../../src/gotemplate/go-value.js';

const strings = (v: string[]): GoValue => ({ kind: 'strings', v });
const float = (v: number): GoValue => ({ kind: 'float', v });

void describe('goSprintf', () => {
  void it('formats strings with width, precision and alignment', () => {
    assert.equal(goSprintf('[%s|%5s|%-5s|%.2s|%q|%x|%X]', [str('a'), str('ab'), str('ab'), str('abc'), str('a"b'), str('hi'), str('hi')]), '[a|   ab|ab   |ab|"a\\"b"|6869|6869]');
  });

  void it('ignores the 0 flag for strings, as current Go does', () => {
    assert.equal(goSprintf('[%05s]', [str('ab')]), '[   ab]');
  });

  void it('formats integers with flags, width and precision', () => {
    assert.equal(goSprintf('%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%#x|%.3d|%c|%q|%U', [int(42), int(42), int(42), int(-42), int(7), int(255), int(255), int(8), int(5), int(255), int(7), int(65), int(97), int(0x1f600)]), '42|   42|42   |-0042|+7|ff|FF|10|101|0xff|007|A|\'a\'|U+1F600');
  });

  void it('formats floats', () => {
    assert.equal(goSprintf('%v|%f|%.2f|%e|%g|%8.3f', [float(1.5), float(1.5), float(3.14159), float(1234.5678), float(1e21), float(2.5)]), '1.5|1.500000|3.14|1.234568e+03|1e+21|   2.500');
  });

  void it('formats slices element by element', () => {
    assert.equal(goSprintf('%v %s %q', [strings(['a', 'b']), strings([]), strings(['x y'])]), '[a b] [] ["x y"]');
  });

  void it('uses Go error notations for bad verbs, missing and extra arguments', () => {
    assert.equal(goSprintf('%d', [str('x')]), '%!d(string=x)');
    assert.equal(goSprintf('%s', [int(5)]), '%!s(int=5)');
    assert.equal(goSprintf('%d %s', []), '%!d(MISSING) %!s(MISSING)');
    assert.equal(goSprintf('x', [int(1), str('a')]), 'x%!(EXTRA int=1, string=a)');
    assert.equal(goSprintf('%', []), '%!(NOVERB)');
    assert.equal(goSprintf('%s', [NIL]), '%!s(<nil>)');
    assert.equal(goSprintf('%v', [NIL]), '<nil>');
    assert.equal(goSprintf('%z', [str('a')]), '%!z(string=a)');
  });

  void it('supports %%, %T, * width and explicit argument indexes', () => {
    assert.equal(goSprintf('100%% %T %T %T', [str('a'), int(1), strings([])]), '100% string int []string');
    assert.equal(goSprintf('[%*d]', [int(4), int(7)]), '[   7]');
    assert.equal(goSprintf('%[2]s %[1]s', [str('a'), str('b')]), 'b a');
    assert.equal(goSprintf('%[3]s', [str('a')]), '%!s(BADINDEX)');
  });
});

void describe('goSprint and goSprintln', () => {
  void it('adds spaces only between two non-string operands', () => {
    assert.equal(goSprint([int(1), int(2), str('a'), str('b'), int(3), NIL]), '1 2ab3 <nil>');
  });

  void it('always separates operands and ends with a newline', () => {
    assert.equal(goSprintln([str('a'), str('b'), int(1)]), 'a b 1\n');
  });
});

void describe('goFormatFloatG (strconv.FormatFloat(f, g, -1, 64))', () => {
  void it('switches to exponent form below 1e-4 and from 1e6, like Go', () => {
    const cases: [number, string][] = [
      [999999, '999999'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [0.30000000000000004, '0.30000000000000004'],
      [-62135596800, '-6.21355968e+10'],
      [0, '0'],
      [Infinity, '+Inf'],
      [NaN, 'NaN'],
    ];
    for (const [f, want] of cases) assert.equal(goFormatFloatG(f), want, String(f));
  });
});

void describe('goQuote (strconv.Quote)', () => {
  void it('escapes control characters and keeps printable Unicode', () => {
    assert.equal(goQuote('a\tb\n\u0001\u007f"\\é😀\u00a0'), '"a\\tb\\n\\x01\\x7f\\"\\\\é😀\\u00a0"');
  });
});
