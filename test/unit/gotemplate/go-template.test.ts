import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goFilepathBase, goTimeString, parseNameTemplate, type TemplateData } from '../../../src/gotemplate/go-template.js';

/** 2023-11-14 22:15:23.45 UTC, the start time of the reference's differential run. */
const START_MS = Date.UTC(2023, 10, 14, 22, 15, 23, 450);

const DATA: TemplateData = {
  comm: 'myapp',
  exeBase: 'myapp',
  exeFull: '/usr/bin/myapp',
  username: 'cloudsdk',
  pid: 42,
  startTimeMs: START_MS,
  cgroups: ['/system.slice/myapp.service'],
  matches: new Map([
    ['', '-f'],
    ['dev', '/dev/null'],
  ]),
};

function data(over: Partial<TemplateData> = {}): TemplateData {
  return { ...DATA, ...over };
}

function render(text: string, d: TemplateData = DATA): string {
  const t = parseNameTemplate(text);
  if (!t.ok) assert.fail(`parse error for ${text}: ${t.error}`);
  return t.value.execute(d);
}

function parseError(text: string): string {
  const t = parseNameTemplate(text);
  if (t.ok) assert.fail(`expected a parse error for ${text}`);
  return t.error;
}

function execError(text: string, d: TemplateData = DATA): string | undefined {
  const t = parseNameTemplate(text);
  if (!t.ok) assert.fail(`parse error for ${text}: ${t.error}`);
  return t.value.executeDetailed(d).error;
}

void describe('goTimeString (Go time.Time.String in UTC)', () => {
  void it('trims trailing zero fraction digits, as the Go binary printed', () => {
    assert.equal(goTimeString(Date.UTC(2026, 10, 21, 13, 5, 58, 850)), '2026-11-21 13:05:58.85 +0000 UTC');
  });

  void it('prints no fraction for a whole second', () => {
    assert.equal(goTimeString(Date.UTC(2023, 10, 14, 22, 15, 23)), '2023-11-14 22:15:23 +0000 UTC');
  });

  void it('keeps leading zeros of the fraction and pads the year to four digits', () => {
    assert.equal(goTimeString(Date.UTC(2023, 0, 2, 3, 4, 5, 7)), '2023-01-02 03:04:05.007 +0000 UTC');
    assert.equal(goTimeString(Date.UTC(999, 0, 1)), '0999-01-01 00:00:00 +0000 UTC');
  });

  void it('handles times before the epoch', () => {
    assert.equal(goTimeString(-1), '1969-12-31 23:59:59.999 +0000 UTC');
  });
});

void describe('goFilepathBase (Go filepath.Base)', () => {
  void it('follows Go for the edge cases', () => {
    const cases: [string, string][] = [
      ['', '.'],
      ['/', '/'],
      ['///', '/'],
      ['/usr/bin/', 'bin'],
      ['/usr/bin//', 'bin'],
      ['sleep', 'sleep'],
      ['/usr/bin/sleep', 'sleep'],
      ['nginx: master process /usr/sbin/nginx', 'nginx'],
      ['postgres: checkpointer', 'postgres: checkpointer'],
      ['./a', 'a'],
    ];
    for (const [input, want] of cases) assert.equal(goFilepathBase(input), want, input);
  });
});

void describe('name template rendering: strings verified against the Go binary', () => {
  void it('renders the differential run group name', () => {
    assert.equal(
      render('{{.Comm}}|{{.ExeBase}}|{{.Username}}|{{.Cgroups}}|{{.StartTime}}'),
      'myapp|myapp|cloudsdk|[/system.slice/myapp.service]|2023-11-14 22:15:23.45 +0000 UTC',
    );
  });

  void it('renders a map with the empty key first', () => {
    assert.equal(render('{{.Matches}}'), 'map[:-f dev:/dev/null]');
  });

  void it('sorts map keys by UTF-8 bytes, so U+E000 comes before an astral character', () => {
    const matches = new Map([
      ['\u{1F600}', 'b'],
      ['\uE000', 'a'],
      ['z', 'c'],
    ]);
    assert.equal(render('{{.Matches}}', data({ matches })), 'map[z:c \uE000:a \u{1F600}:b]');
  });

  void it('renders map keys bytewise sorted: empty key, uppercase, then lowercase', () => {
    const matches = new Map([
      ['', 'a'],
      ['Z', 'z'],
      ['b', '2'],
      ['A', '1'],
    ]);
    assert.equal(render('{{.Matches}}', data({ matches })), 'map[:a A:1 Z:z b:2]');
  });

  void it('renders a missing map key as <no value>', () => {
    assert.equal(render('{{.Matches.nope}}'), '<no value>');
  });

  void it('truncates at an execution error: an unknown field leaves what was written before', () => {
    assert.equal(render('a{{.Nope}}x'), 'a');
  });

  void it('renders an out-of-range index as the empty string', () => {
    assert.equal(render('{{index .Cgroups 99}}'), '');
  });
});

void describe('name template rendering: Go fmt %v of values', () => {
  void it('renders an empty slice and an empty map', () => {
    assert.equal(render('{{.Cgroups}}', data({ cgroups: [] })), '[]');
    assert.equal(render('{{.Matches}}', data({ matches: new Map() })), 'map[]');
  });

  void it('renders slices space-separated without quotes', () => {
    assert.equal(render('{{.Cgroups}}', data({ cgroups: ['/', '/a b', ''] })), '[/ /a b ]');
  });

  void it('renders the PID in decimal and numbers like Go', () => {
    assert.equal(render('{{.PID}} {{1.5}} {{1e6}} {{0x10}} {{0o17}} {{1_000}} {{\'a\'}} {{-3}}'), '42 1.5 1e+06 16 15 1000 97 -3');
  });

  void it('renders the params struct like %v of process-exporter templateParams', () => {
    assert.equal(
      render('{{.}}'),
      '{[/system.slice/myapp.service] myapp myapp /usr/bin/myapp cloudsdk 42 2023-11-14 22:15:23.45 +0000 UTC map[:-f dev:/dev/null]}',
    );
  });

  void it('renders booleans and the results of comparisons', () => {
    assert.equal(render('{{true}} {{eq .PID 42}} {{lt .Comm "n"}}'), 'true true true');
  });
});

void describe('name template syntax', () => {
  void it('keeps text outside actions verbatim', () => {
    assert.equal(render('plain } { text'), 'plain } { text');
  });

  void it('trims spaces around actions with trim markers', () => {
    assert.equal(render('a  {{- .Comm -}}  b'), 'amyappb');
    assert.equal(render('a \n\t{{- " x " -}}\n  b'), 'a x b');
    assert.equal(render('{{- .Comm}} x'), 'myapp x');
  });

  void it('drops comments, with and without trim markers', () => {
    assert.equal(render('a{{/* note */}}b'), 'ab');
    assert.equal(render('a {{- /* note */ -}} b'), 'ab');
  });

  void it('evaluates pipelines, parenthesized arguments and variables', () => {
    assert.equal(render('{{.PID | printf "%05d"}}'), '00042');
    assert.equal(render('{{printf "%s-%s" (index .Cgroups 0) .Comm}}'), '/system.slice/myapp.service-myapp');
    assert.equal(render('{{$c := .Comm}}{{$c}}:{{$.PID}}'), 'myapp:42');
    assert.equal(render('{{$c := 1}}{{$c = 2}}{{$c}}'), '2');
  });

  void it('accepts actions that span lines', () => {
    assert.equal(render('{{printf\n"%s"\n.Comm}}'), 'myapp');
  });

  void it('chooses branches with if / else if / else', () => {
    const t = '{{if eq .Comm "a"}}A{{else if eq .Comm "myapp"}}M{{else}}?{{end}}';
    assert.equal(render(t), 'M');
    assert.equal(render(t, data({ comm: 'a' })), 'A');
    assert.equal(render(t, data({ comm: 'z' })), '?');
  });

  void it('sets dot with with, and takes else for an empty value', () => {
    assert.equal(render('{{with .Matches.dev}}<{{.}}>{{end}}'), '</dev/null>');
    assert.equal(render('{{with .Matches.nope}}x{{else}}none{{end}}'), 'none');
    assert.equal(render('{{with .Username}}{{.}}{{else with .Comm}}{{.}}{{end}}', data({ username: '' })), 'myapp');
  });

  void it('ranges over maps in sorted key order and over slices with index', () => {
    const matches = new Map([
      ['b', '2'],
      ['', '0'],
      ['A', '1'],
    ]);
    assert.equal(render('{{range $k, $v := .Matches}}{{$k}}={{$v}};{{end}}', data({ matches })), '=0;A=1;b=2;');
    assert.equal(render('{{range $i, $c := .Cgroups}}{{$i}}:{{$c}} {{end}}', data({ cgroups: ['x', 'y'] })), '0:x 1:y ');
    assert.equal(render('{{range .Cgroups}}[{{.}}]{{end}}', data({ cgroups: ['x', 'y'] })), '[x][y]');
  });

  void it('takes range else for an empty collection and supports break and continue', () => {
    assert.equal(render('{{range .Cgroups}}x{{else}}empty{{end}}', data({ cgroups: [] })), 'empty');
    const cgroups = ['a', 'skip', 'b', 'stop', 'c'];
    assert.equal(render('{{range .Cgroups}}{{if eq . "skip"}}{{continue}}{{end}}{{if eq . "stop"}}{{break}}{{end}}{{.}}{{end}}', data({ cgroups })), 'ab');
  });

  void it('supports define and template', () => {
    assert.equal(render('{{define "x"}}<{{.}}>{{end}}{{template "x" .PID}}-{{template "x"}}'), '<42>-<<no value>>');
    assert.equal(render('{{block "b" .Comm}}[{{.}}]{{end}}'), '[myapp]');
  });
});

void describe('name template builtins', () => {
  void it('index works on slices, maps (zero value for a missing key) and strings (a byte)', () => {
    assert.equal(render('{{index .Cgroups 0}}'), '/system.slice/myapp.service');
    assert.equal(render('{{index .Matches "dev"}}|{{index .Matches "nope"}}|'), '/dev/null||');
    assert.equal(render('{{index .Comm 0}}'), '109');
  });

  void it('slice and len count bytes of strings, like Go', () => {
    assert.equal(render('{{slice .Comm 1 3}}|{{slice .Comm 2}}|{{len .Comm}}|{{len .Cgroups}}|{{len .Matches}}'), 'ya|app|5|1|2');
    assert.equal(render('{{len .Comm}}', data({ comm: 'héllo' })), '6');
    assert.equal(render('{{slice .Cgroups 0 1}}', data({ cgroups: ['a', 'b'] })), '[a]');
  });

  void it('and/or return the deciding operand, not a bool', () => {
    assert.equal(render('{{and .Comm .PID}}|{{or "" .Username}}|{{or "" 0}}|{{and "" .Comm}}|{{not .Comm}}'), '42|cloudsdk|0||false');
  });

  void it('compares with eq (several operands) ne lt le gt ge', () => {
    assert.equal(render('{{eq .Comm "x" "myapp"}} {{ne .PID 1}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}'), 'true true true true false');
    assert.equal(render('{{eq (index .Comm 0) 109}}'), 'true');
  });

  void it('print and println space operands like fmt.Sprint and fmt.Sprintln', () => {
    assert.equal(render('{{print 1 2 "a" "b" 3}}|{{println .PID .Comm}}'), '1 2ab3|42 myapp\n');
  });

  void it('escapes with html, js and urlquery', () => {
    assert.equal(render('{{html "<a href=\'x\'>&\\"</a>"}}'), '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;');
    assert.equal(render('{{js "it\'s <b>=&"}}'), "it\\'s \\u003Cb\\u003E\\u003D\\u0026");
    assert.equal(render('{{urlquery "a b/c?d=é"}}'), 'a+b%2Fc%3Fd%3D%C3%A9');
  });

  void it('calls methods of StartTime', () => {
    assert.equal(render('{{.StartTime.Unix}} {{.StartTime.UnixMilli}} {{.StartTime.Year}} {{.StartTime.Month}} {{.StartTime.Day}}'), '1700000123 1700000123450 2023 November 14');
    assert.equal(render('{{.StartTime.Format "2006-01-02T15:04:05.000Z07:00 Mon Jan _2 3PM .999 -0700 MST"}}'), '2023-11-14T22:15:23.450Z Tue Nov 14 10PM .45 +0000 UTC');
    assert.equal(render('{{.StartTime.UnixNano}}'), '1700000123450000000');
    assert.equal(render('{{printf "%d" .StartTime.Month}} {{.StartTime.Weekday}}'), '11 Tuesday');
  });
});

void describe('name template execution errors (process-exporter keeps the partial output)', () => {
  void it('stops at the failing action and reports a Go-style error', () => {
    assert.equal(execError('a{{.Nope}}x'), 'template: cmdname:1:3: executing "cmdname" at <.Nope>: can\'t evaluate field Nope in type *config.templateParams');
    assert.equal(execError('{{.Comm}}'), undefined);
  });

  void it('treats wrong argument counts and types as execution errors', () => {
    assert.equal(render('x{{len}}y'), 'x');
    assert.equal(render('x{{index .PID 0}}y'), 'x');
    assert.equal(render('x{{eq 1 "a"}}y'), 'x');
    assert.equal(render('x{{.Comm 1}}y'), 'x');
    assert.equal(render('x{{"a" | .Comm}}y'), 'x');
    assert.equal(render('x{{range .PID}}{{end}}y'), 'x');
    assert.equal(render('x{{template "nope"}}y'), 'x');
    assert.equal(render('x{{1 2}}y'), 'x');
    assert.equal(render('x{{nil}}y'), 'x');
    assert.equal(render('x{{.Cgroups.x}}y'), 'x');
  });

  void it('keeps the output written by earlier range iterations', () => {
    assert.equal(render('{{range .Cgroups}}{{.}},{{index $.Cgroups 5}}{{end}}', data({ cgroups: ['a', 'b'] })), 'a,');
  });

  void it('walks through a missing key without error', () => {
    assert.equal(render('{{.Matches.nope.deeper}}'), '<no value>');
    assert.equal(execError('{{.Matches.nope.deeper}}'), undefined);
  });
});

void describe('name template parse errors read like Go', () => {
  const cases: [string, string][] = [
    ['{{.Comm', 'template: cmdname:1: unclosed action'],
    ['{{foo}}', 'template: cmdname:1: function "foo" not defined'],
    ['{{end}}', 'template: cmdname:1: unexpected {{end}}'],
    ['{{else}}', 'template: cmdname:1: unexpected {{else}}'],
    ['{{if .Comm}}x', 'template: cmdname:1: unexpected EOF'],
    ['{{range .Cgroups}}{{else}}{{else}}{{end}}', 'template: cmdname:1: expected end; found {{else}}'],
    ['{{}}', 'template: cmdname:1: missing value for command'],
    ['{{if}}{{end}}', 'template: cmdname:1: missing value for if'],
    ['{{.Comm | "x"}}', 'template: cmdname:1: non executable command in pipeline stage 2'],
    ['{{$x}}', 'template: cmdname:1: undefined variable "$x"'],
    ['{{(.Comm}}', 'template: cmdname:1: unclosed left paren'],
    ['{{.Comm)}}', 'template: cmdname:1: unexpected right paren'],
    ['{{.Comm ~}}', 'template: cmdname:1: unexpected "~" in operand'],
    ['{{.Comm$}}', "template: cmdname:1: bad character U+0024 '$'"],
    ['{{"abc}}', 'template: cmdname:1: unterminated quoted string'],
    ['{{`abc}}', 'template: cmdname:1: unterminated raw quoted string'],
    ["{{'a}}", 'template: cmdname:1: unterminated character constant'],
    ['{{1x}}', 'template: cmdname:1: bad number syntax: "1x"'],
    ['{{/* x }}', 'template: cmdname:1: unclosed comment'],
    ['{{/* x */ .Comm}}', 'template: cmdname:1: comment ends before closing delimiter'],
    ['{{break}}', 'template: cmdname:1: {{break}} outside {{range}}'],
    ['{{"a".x}}', 'template: cmdname:1: unexpected . after term "\\"a\\""'],
    ['{{.Comm end}}', 'template: cmdname:1: unexpected <end> in operand'],
    ['{{.Comm :}}', 'template: cmdname:1: expected :='],
    ['{{range $a, $b, $c := .Cgroups}}{{end}}', 'template: cmdname:1: too many declarations in range'],
    ['{{with $a, $b := .Cgroups}}{{end}}', 'template: cmdname:1: too many declarations in with'],
    ['{{"\\q"}}', 'template: cmdname:1: invalid syntax'],
    ['{{index .Cgroups 1 |  | }}', 'template: cmdname:1: unexpected "|" in command'],
    ['{{template .Comm}}', 'template: cmdname:1: unexpected ".Comm" in template clause'],
    ['{{printf "%s" "a very long string" \u0001}}', 'template: cmdname:1: unrecognized character in action: U+0001'],
    ['{{define "a"}}x{{end}}{{define "a"}}y{{end}}', 'template: cmdname:1: template: multiple definition of template "a"'],
  ];
  for (const [text, want] of cases) {
    void it(`reports ${JSON.stringify(text)}`, () => {
      assert.equal(parseError(text), want);
    });
  }

  void it('quotes long unexpected tokens like Go (%.10q...)', () => {
    assert.equal(parseError('{{.Comm ("a very long string")}}x{{end}}'), 'template: cmdname:1: unexpected {{end}}');
    assert.equal(parseError('{{if "a very long string" "b"}}{{end}}{{else "a very long string"}}'), 'template: cmdname:1: unexpected "\\"a very lo"... in else');
  });

  void it('accepts a trailing pipe, as Go does', () => {
    assert.equal(render('{{.Comm |}}'), 'myapp');
  });

  void it('reports the line of the offending token, and where a multi-line action started', () => {
    assert.equal(parseError('a\nb\n{{.Comm\n'), 'template: cmdname:4: unclosed action started at cmdname:3');
    assert.equal(parseError('x\n{{foo}}'), 'template: cmdname:2: function "foo" not defined');
  });
});

void describe('name template properties', () => {
  void it('renders any text without an action delimiter to itself', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('{{')),
        (s) => render(s) === s,
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  void it('never throws while parsing arbitrary input, and executes whatever parses', () => {
    const alphabet = fc.constantFrom('{{', '}}', '{{-', ' -}}', '.', 'Comm', 'Matches', '$', 'x', ':=', '=', '|', '(', ')', '"', '`', "'", ' ', '\n', 'if', 'else', 'end', 'range', 'with', 'index', 'printf', '1', '/*', '*/', ',', 'break');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(''))), (s) => {
        const t = parseNameTemplate(s);
        if (t.ok) {
          const out = t.value.executeDetailed(DATA);
          assert.equal(typeof out.output, 'string');
        } else {
          assert.match(t.error, /^template: cmdname:\d+: /);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  void it('renders field-only templates the same on the fast path and in the interpreter', () => {
    const piece = fc.constantFrom('{{.Comm}}', '{{.ExeBase}}', '{{.ExeFull}}', '{{.Username}}', '{{.PID}}', '{{.StartTime}}', '{{.Cgroups}}', '{{.Matches}}', '{{.Matches.dev}}', '{{.Matches.nope}}', '{{.toString}}', '{{.constructor}}', ':', 'x', ' ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const t = parseNameTemplate(pieces.join(''));
        if (!t.ok) return false;
        return t.value.execute(DATA) === t.value.executeDetailed(DATA).output;
      }),
      { seed: 13, numRuns: 300 },
    );
    assert.equal(render('a{{.toString}}b'), 'a');
  });

  void it('renders {{.Comm}} to the comm for any comm', () => {
    fc.assert(
      fc.property(fc.string(), (comm) => render('{{.Comm}}', data({ comm })) === comm),
      { seed: 3, numRuns: 200 },
    );
  });

  void it('renders any map with keys in code point order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4, unit: 'binary' }), fc.string({ maxLength: 4 })), (obj) => {
        const matches = new Map(Object.entries(obj));
        const keys = [...matches.keys()].sort((a, b) => {
          const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
          const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
          for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
          return x.length - y.length;
        });
        const want = `map[${keys.map((k) => `${k}:${matches.get(k) ?? ''}`).join(' ')}]`;
        return render('{{.Matches}}', data({ matches })) === want;
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
