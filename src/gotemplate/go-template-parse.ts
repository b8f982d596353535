/**
 * Lexer and parser for Go `text/template` (the grammar of Go 1.23's `text/template/parse`), written
 * for process-exporter name templates. Error messages follow Go's wording, e.g.
 * `template: cmdname:1: unclosed action`, because users see them.
 *
 * Parsing is recursive descent; a parse error unwinds with a private exception that
 * {@link parseTemplateTree} turns into a value, so nothing escapes this module.
 */
import { goQuote, isGoPrint, truncateRunes, utf8Length } from './go-value.js';

// ---------------------------------------------------------------------------------------------
// Lexer

type Keyword = 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with';

type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | Keyword;

interface Item {
  readonly typ: ItemType;
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map<string, Keyword>([
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['nil', 'nil'],
  ['range', 'range'],
  ['template', 'template'],
  ['with', 'with'],
]);

const KEYWORD_TYPES: ReadonlySet<ItemType> = new Set<ItemType>([...KEYWORDS.values(), 'dot']);

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const ALNUM = /^[\p{L}\p{Nd}_]$/u;

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && ALNUM.test(c);
}

function isDigitChar(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

/** Go's `%#U`: `U+0024 '$'` (the character only when printable). */
function formatSharpU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const h = cp.toString(16).toUpperCase().padStart(4, '0');
  return isGoPrint(cp) ? `U+${h} '${ch}'` : `U+${h}`;
}

/** Tokenizes the whole input; the last item is EOF or an error. */
function lex(input: string): Item[] {
  const items: Item[] = [];
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (pos: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((newlines[mid] ?? 0) < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };

  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: lineAt(start) });
    start = pos;
  };
  const fail = (msg: string): false => {
    items.push({ typ: 'error', pos: start, val: msg, line: lineAt(start) });
    return false;
  };
  /** The character (code point) at pos, or undefined at EOF. */
  const peekChar = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos) ?? 0;
    return String.fromCodePoint(cp);
  };
  const nextChar = (): string | undefined => {
    const c = peekChar();
    if (c !== undefined) pos += c.length;
    return c;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT_DELIM, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT_DELIM, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const c = peekChar();
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT_DELIM, pos);
  };
  const leftTrimLength = (at: number): number => {
    let i = at;
    while (isSpace(input[i])) i++;
    return i - at;
  };

  const accept = (valid: string): boolean => {
    const c = peekChar();
    if (c !== undefined && valid.includes(c)) {
      pos += c.length;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid));
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peekChar())) {
      nextChar();
      return false;
    }
    return true;
  };

  /** Scans inside an action; returns false after an error or at the end of the action. */
  const insideAction = (): boolean => {
    for (;;) {
      const rd = atRightDelim();
      if (rd.delim) {
        if (parenDepth !== 0) return fail('unclosed left paren');
        // Right delimiter, possibly with a trim marker.
        if (rd.trim) {
          pos += 2;
          start = pos;
        }
        pos += RIGHT_DELIM.length;
        emit('rightDelim');
        if (rd.trim) {
          pos += leftTrimLength(pos);
          start = pos;
        }
        return true;
      }
      const c = nextChar();
      if (c === undefined) return fail('unclosed action');
      if (isSpace(c)) {
        pos -= 1;
        let numSpaces = 0;
        while (isSpace(input[pos])) {
          pos++;
          numSpaces++;
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT_DELIM, pos + 1)) {
          pos -= 1; // Leave the space that belongs to " -}}".
          if (numSpaces === 1) continue;
        }
        emit('space');
        continue;
      }
      switch (c) {
        case '=':
          emit('assign');
          continue;
        case ':':
          if (nextChar() !== '=') return fail('expected :=');
          emit('declare');
          continue;
        case '|':
          emit('pipe');
          continue;
        case '"':
          for (;;) {
            const q = nextChar();
            if (q === '\\') {
              const r = nextChar();
              if (r !== undefined && r !== '\n') continue;
              return fail('unterminated quoted string');
            }
            if (q === undefined || q === '\n') return fail('unterminated quoted string');
            if (q === '"') break;
          }
          emit('string');
          continue;
        case '`':
          for (;;) {
            const q = nextChar();
            if (q === undefined) return fail('unterminated raw quoted string');
            if (q === '`') break;
          }
          emit('rawString');
          continue;
        case "'":
          for (;;) {
            const q = nextChar();
            if (q === '\\') {
              const r = nextChar();
              if (r !== undefined && r !== '\n') continue;
              return fail('unterminated character constant');
            }
            if (q === undefined || q === '\n') return fail('unterminated character constant');
            if (q === "'") break;
          }
          emit('charConstant');
          continue;
        case '$':
        case '.': {
          if (c === '.' && (pos >= input.length || isDigitChar(input[pos]))) {
            pos -= 1;
            if (!lexNumber()) return false;
            continue;
          }
          if (atTerminator()) {
            emit(c === '$' ? 'variable' : 'dot');
            continue;
          }
          let r: string | undefined;
          for (;;) {
            r = peekChar();
            if (!isAlphaNumeric(r)) break;
            nextChar();
          }
          if (!atTerminator()) return fail(`bad character ${formatSharpU(r ?? '')}`);
          emit(c === '$' ? 'variable' : 'field');
          continue;
        }
        case '(':
          parenDepth++;
          emit('leftParen');
          continue;
        case ')':
          parenDepth--;
          if (parenDepth < 0) return fail('unexpected right paren');
          emit('rightParen');
          continue;
      }
      if (c === '+' || c === '-' || isDigitChar(c)) {
        pos -= 1;
        if (!lexNumber()) return false;
        continue;
      }
      if (isAlphaNumeric(c)) {
        let r: string | undefined;
        for (;;) {
          r = peekChar();
          if (!isAlphaNumeric(r)) break;
          nextChar();
        }
        if (!atTerminator()) return fail(`bad character ${formatSharpU(r ?? '')}`);
        const word = input.slice(start, pos);
        const kw = KEYWORDS.get(word);
        if (kw !== undefined) emit(kw);
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
        continue;
      }
      const cp = c.codePointAt(0) ?? 0;
      if (cp < 0x7f && cp >= 0x20) {
        emit('char');
        continue;
      }
      return fail(`unrecognized character in action: ${formatSharpU(c)}`);
    }
  };

  const lexNumber = (): boolean => {
    if (!scanNumber()) return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
    const sign = input[pos];
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
      emit('complex');
      return true;
    }
    emit('number');
    return true;
  };

  for (;;) {
    // Text up to the next left delimiter.
    const x = input.indexOf(LEFT_DELIM, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      items.push({ typ: 'eof', pos, val: 'EOF', line: lineAt(pos) });
      return items;
    }
    if (x > pos) {
      pos = x;
      let trimLength = 0;
      if (hasLeftTrimMarker(input, x + LEFT_DELIM.length)) {
        let j = x;
        while (j > start && isSpace(input[j - 1])) j--;
        trimLength = x - j;
      }
      pos -= trimLength;
      if (pos > start) emit('text');
      pos += trimLength;
      start = pos;
    }
    // Left delimiter.
    pos += LEFT_DELIM.length;
    const trim = hasLeftTrimMarker(input, pos);
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      pos += 2;
      const end = input.indexOf('*/', pos);
      if (end < 0) {
        fail('unclosed comment');
        return items;
      }
      pos = end + 2;
      const rd = atRightDelim();
      if (!rd.delim) {
        fail('comment ends before closing delimiter');
        return items;
      }
      if (rd.trim) pos += 2;
      pos += RIGHT_DELIM.length;
      if (rd.trim) pos += leftTrimLength(pos);
      start = pos;
      continue;
    }
    emit('leftDelim');
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    if (!insideAction()) return items;
  }
}

function itemString(i: Item): string {
  if (i.typ === 'eof') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (KEYWORD_TYPES.has(i.typ)) return `<${i.val}>`;
  if (utf8Length(i.val) > 10) return `${goQuote(truncateRunes(i.val, 10))}...`;
  return goQuote(i.val);
}

// ---------------------------------------------------------------------------------------------
// Parse tree

export interface NodeBase {
  /** UTF-16 offset of the node in the template text. */
  readonly pos: number;
}

export type ArgNode =
  | (NodeBase & { readonly type: 'field'; readonly idents: readonly string[] })
  | (NodeBase & { readonly type: 'variable'; readonly idents: readonly string[] })
  | (NodeBase & { readonly type: 'identifier'; readonly name: string })
  | (NodeBase & { readonly type: 'chain'; readonly node: ArgNode; readonly fields: readonly string[] })
  | (NodeBase & { readonly type: 'dot' })
  | (NodeBase & { readonly type: 'nil' })
  | (NodeBase & { readonly type: 'bool'; readonly value: boolean })
  | (NodeBase & { readonly type: 'string'; readonly quoted: string; readonly text: string })
  | NumberNode
  | PipeNode;

export interface NumberNode extends NodeBase {
  readonly type: 'number';
  readonly text: string;
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int: bigint;
  readonly float: number;
}

export interface CommandNode extends NodeBase {
  readonly type: 'command';
  readonly args: readonly ArgNode[];
}

export interface PipeNode extends NodeBase {
  readonly type: 'pipe';
  readonly isAssign: boolean;
  readonly decl: readonly string[];
  readonly cmds: readonly CommandNode[];
}

export type Node =
  | (NodeBase & { readonly type: 'text'; readonly text: string })
  | (NodeBase & { readonly type: 'action'; readonly pipe: PipeNode })
  | BranchNode<'if'>
  | BranchNode<'range'>
  | BranchNode<'with'>
  | (NodeBase & { readonly type: 'break' })
  | (NodeBase & { readonly type: 'continue' })
  | (NodeBase & { readonly type: 'template'; readonly name: string; readonly pipe: PipeNode | undefined })
  | ListNode;

export type BranchNode<T extends 'if' | 'range' | 'with'> = NodeBase & {
  readonly type: T;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
};

export interface ListNode extends NodeBase {
  readonly type: 'list';
  readonly nodes: readonly Node[];
}

type Terminator = (NodeBase & { readonly type: 'end'; readonly line: number }) | (NodeBase & { readonly type: 'else'; readonly line: number });

export interface TemplateTree {
  readonly root: ListNode;
  /** Templates defined with `{{define}}` / `{{block}}`, and the main one under its own name. */
  readonly defined: ReadonlyMap<string, ListNode>;
  readonly text: string;
}

/** Go's Node.String(), used in error messages. */
export function nodeString(n: ArgNode | CommandNode | Node | Terminator): string {
  switch (n.type) {
    case 'field':
      return `.${n.idents.join('.')}`;
    case 'variable':
      return n.idents.join('.');
    case 'identifier':
      return n.name;
    case 'chain': {
      const inner = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return `${inner}.${n.fields.join('.')}`;
    }
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'text':
      return goQuote(n.text);
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break':
    case 'continue':
      return `{{${n.type}}}`;
    case 'template':
      return n.pipe ? `{{template ${goQuote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${goQuote(n.name)}}}`;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

// ---------------------------------------------------------------------------------------------
// Go literal syntax

/** strconv.UnquoteChar on s at i; returns the code point and the next index, or undefined. */
function unquoteChar(s: string, i: number, quote: string): { cp: number; next: number } | undefined {
  const c = s.codePointAt(i);
  if (c === undefined) return undefined;
  const ch = String.fromCodePoint(c);
  if (ch === quote && (quote === "'" || quote === '"')) return undefined;
  if (ch !== '\\') return { cp: c, next: i + ch.length };
  const e = s[i + 1];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  if (e === undefined) return undefined;
  const sv = simple[e];
  if (sv !== undefined) return { cp: sv, next: i + 2 };
  if (e === "'" || e === '"') return e === quote ? { cp: e.charCodeAt(0), next: i + 2 } : undefined;
  const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (hexLen > 0) {
    const h = s.slice(i + 2, i + 2 + hexLen);
    if (h.length !== hexLen || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
    const v = parseInt(h, 16);
    if (e !== 'x' && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))) return undefined;
    return { cp: v, next: i + 2 + hexLen };
  }
  if (e >= '0' && e <= '7') {
    const o = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(o)) return undefined;
    const v = parseInt(o, 8);
    if (v > 255) return undefined;
    return { cp: v, next: i + 4 };
  }
  return undefined;
}

/** strconv.Unquote for "…" and `…` literals. */
function unquote(q: string): string | undefined {
  if (q.length < 2) return undefined;
  const first = q[0];
  if (first !== q[q.length - 1]) return undefined;
  const body = q.slice(1, -1);
  if (first === '`') return body.includes('`') ? undefined : body.replace(/\r/g, '');
  if (first !== '"') return undefined;
  if (body.includes('\n')) return undefined;
  let out = '';
  let i = 0;
  while (i < body.length) {
    const r = unquoteChar(body, i, '"');
    if (r === undefined) return undefined;
    out += String.fromCodePoint(r.cp);
    i = r.next;
  }
  return out;
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function underscoreOK(s: string): boolean {
  // Go's rule: underscores only between digits or after a base prefix (and only with base prefix 0).
  let t = s.replace(/^[+-]/, '');
  let hasPrefix = false;
  if (/^0[xXbBoO]/.test(t)) {
    t = t.slice(2);
    hasPrefix = true;
  }
  if (!t.includes('_')) return true;
  if (t.startsWith('_') && !hasPrefix) return false;
  if (t.endsWith('_') || t.includes('__')) return false;
  return true;
}

/** strconv.ParseInt/ParseUint(s, 0, 64) as a bigint without range check; undefined if invalid. */
function parseGoInteger(s: string): bigint | undefined {
  if (!underscoreOK(s)) return undefined;
  const neg = s.startsWith('-');
  let t = s.replace(/^[+-]/, '').replace(/_/g, '');
  let radix = 10;
  if (/^0[xX]/.test(t)) {
    radix = 16;
    t = t.slice(2);
  } else if (/^0[bB]/.test(t)) {
    radix = 2;
    t = t.slice(2);
  } else if (/^0[oO]/.test(t)) {
    radix = 8;
    t = t.slice(2);
  } else if (/^0\d/.test(t)) {
    radix = 8;
    t = t.slice(1);
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[radix];
  if (t === '' || valid === undefined || !valid.test(t)) return undefined;
  let v = 0n;
  const r = BigInt(radix);
  for (const ch of t) v = v * r + BigInt(parseInt(ch, radix));
  return neg ? -v : v;
}

/** strconv.ParseFloat(s, 64); undefined if invalid. */
function parseGoFloat(s: string): number | undefined {
  if (!underscoreOK(s)) return undefined;
  const t = s.replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(t);
  if (hex) {
    const [, sign = '', ip = '', fp = '', exp = '0'] = hex;
    if (ip === '' && fp === '') return undefined;
    const mant = parseInt(ip + fp || '0', 16);
    const v = mant * Math.pow(2, Number(exp) - 4 * fp.length);
    return sign === '-' ? -v : v;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Parser

class GoParseError extends Error {}

/** Builtin function names of text/template; every other identifier is a parse error. */
export const BUILTIN_FUNCS: ReadonlySet<string> = new Set([
  'and',
  'call',
  'html',
  'index',
  'slice',
  'js',
  'len',
  'not',
  'or',
  'print',
  'printf',
  'println',
  'urlquery',
  'eq',
  'ge',
  'gt',
  'le',
  'lt',
  'ne',
]);

const MAX_PAREN_DEPTH = 500;

/** Tokens that can start a command in a pipeline. */
const OPERAND_START: ReadonlySet<ItemType> = new Set<ItemType>([
  'bool',
  'charConstant',
  'complex',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

class Parser {
  private readonly token: Item[] = [];
  private peekCount = 0;
  private next_ = 0;
  private lastLexed: Item;
  private vars: string[] = ['$'];
  private actionLine = 0;
  private rangeDepth = 0;
  private stackDepth = 0;
  readonly defined = new Map<string, ListNode>();

  constructor(
    private readonly name: string,
    private readonly items: readonly Item[],
  ) {
    this.lastLexed = items[0] ?? { typ: 'eof', pos: 0, val: 'EOF', line: 1 };
  }

  private lexNext(): Item {
    const it = this.items[Math.min(this.next_, this.items.length - 1)] ?? this.lastLexed;
    this.next_++;
    this.lastLexed = it;
    return it;
  }

  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lexNext();
    return this.tok(this.peekCount);
  }

  private tok(i: number): Item {
    return this.token[i] ?? this.lastLexed;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Item {
    if (this.peekCount > 0) return this.tok(this.peekCount - 1);
    this.peekCount = 1;
    this.token[0] = this.lexNext();
    return this.tok(0);
  }

  private nextNonSpace(): Item {
    for (;;) {
      const t = this.next();
      if (t.typ !== 'space') return t;
    }
  }

  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(msg: string): never {
    throw new GoParseError(`template: ${this.name}:${this.lastLexed.line}: ${msg}`);
  }

  private expect(expected: ItemType, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== expected) this.unexpected(t, context);
    return t;
  }

  private unexpected(token: Item, context: string): never {
    if (token.typ === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      return this.errorf(`${itemString(token)}${extra}`);
    }
    return this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }

  parse(): ListNode {
    const nodes: Node[] = [];
    const rootPos = this.peek().pos;
    while (this.peek().typ !== 'eof') {
      if (this.peek().typ === 'leftDelim') {
        const delim = this.next();
        if (this.nextNonSpace().typ === 'define') {
          this.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      nodes.push(n);
    }
    const root: ListNode = { type: 'list', pos: rootPos, nodes };
    this.add(this.name, root);
    return root;
  }

  private add(name: string, root: ListNode): void {
    const existing = this.defined.get(name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.defined.set(name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${goQuote(name)}`);
  }

  /** Runs f with a fresh per-template parse state (as Go does with a new Tree). */
  private inNewTree<T>(f: () => T): T {
    const saved = { vars: this.vars, actionLine: this.actionLine, rangeDepth: this.rangeDepth, stackDepth: this.stackDepth };
    this.vars = ['$'];
    this.actionLine = 0;
    this.rangeDepth = 0;
    this.stackDepth = 0;
    try {
      return f();
    } finally {
      this.vars = saved.vars;
      this.actionLine = saved.actionLine;
      this.rangeDepth = saved.rangeDepth;
      this.stackDepth = saved.stackDepth;
    }
  }

  private parseDefinition(): void {
    const context = 'define clause';
    this.inNewTree(() => {
      const nameTok = this.nextNonSpace();
      if (nameTok.typ !== 'string' && nameTok.typ !== 'rawString') this.unexpected(nameTok, context);
      const name = unquote(nameTok.val);
      if (name === undefined) this.errorf('invalid syntax');
      this.expect('rightDelim', context);
      const { list, next } = this.itemList();
      if (next.type !== 'end') this.errorf(`unexpected ${nodeString(next)} in ${context}`);
      this.add(name, list);
    });
  }

  private itemList(): { list: ListNode; next: Terminator } {
    const nodes: Node[] = [];
    const pos = this.peekNonSpace().pos;
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return { list: { type: 'list', pos, nodes }, next: n };
      nodes.push(n);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | Terminator {
    const token = this.nextNonSpace();
    if (token.typ === 'text') return { type: 'text', pos: token.pos, text: token.val };
    if (token.typ !== 'leftDelim') return this.unexpected(token, 'input');
    this.actionLine = token.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node | Terminator {
    const token = this.nextNonSpace();
    const typ = token.typ;
    if (typ === 'block') return this.blockControl();
    if (typ === 'break' || typ === 'continue') {
      const t = this.nextNonSpace();
      if (t.typ !== 'rightDelim') this.unexpected(t, `{{${typ}}}`);
      if (this.rangeDepth === 0) this.errorf(`{{${typ}}} outside {{range}}`);
      return typ === 'break' ? { type: 'break', pos: token.pos } : { type: 'continue', pos: token.pos };
    }
    if (typ === 'else') return this.elseControl();
    if (typ === 'end') return { type: 'end', pos: this.expect('rightDelim', 'end').pos, line: token.line };
    if (typ === 'if' || typ === 'range' || typ === 'with') return this.control(typ);
    if (typ === 'template') return this.templateControl();
    this.backup();
    const t = this.peek();
    return { type: 'action', pos: t.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pos = this.peekNonSpace().pos;
    const decl: string[] = [];
    let isAssign = false;
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      this.next();
      const tokenAfterVariable = this.peek();
      const nxt = this.peekNonSpace();
      if (nxt.typ === 'assign' || nxt.typ === 'declare') {
        isAssign = nxt.typ === 'assign';
        this.nextNonSpace();
        decl.push(v.val);
        this.vars.push(v.val);
        break;
      }
      if (nxt.typ === 'char' && nxt.val === ',') {
        this.nextNonSpace();
        decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && decl.length < 2) {
          const t = this.peekNonSpace().typ;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      if (tokenAfterVariable.typ === 'space') this.backup3(v, tokenAfterVariable);
      else this.backup2(v);
      break;
    }
    const cmds: CommandNode[] = [];
    for (;;) {
      const token = this.nextNonSpace();
      if (token.typ === end) {
        if (cmds.length === 0) this.errorf(`missing value for ${context}`);
        cmds.slice(1).forEach((c, i) => {
          const t = c.args[0]?.type;
          if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
            this.errorf(`non executable command in pipeline stage ${i + 2}`);
          }
        });
        return { type: 'pipe', pos, isAssign, decl, cmds };
      }
      if (!OPERAND_START.has(token.typ)) this.unexpected(token, context);
      this.backup();
      cmds.push(this.command());
    }
  }

  private control(context: 'if' | 'range' | 'with'): Node {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      const body = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (body.next.type === 'else') {
        const elsePos = body.next.pos;
        if (context === 'if' && this.peek().typ === 'if') {
          this.next();
          elseList = { type: 'list', pos: elsePos, nodes: [this.control('if')] };
        } else if (context === 'with' && this.peek().typ === 'with') {
          this.next();
          elseList = { type: 'list', pos: elsePos, nodes: [this.control('with')] };
        } else {
          const e = this.itemList();
          if (e.next.type !== 'end') this.errorf(`expected end; found ${nodeString(e.next)}`);
          elseList = e.list;
        }
      }
      return { type: context, pos: pipe.pos, pipe, list: body.list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private elseControl(): Terminator {
    const peek = this.peekNonSpace();
    if (peek.typ === 'if' || peek.typ === 'with') return { type: 'else', pos: peek.pos, line: peek.line };
    const token = this.expect('rightDelim', 'else');
    return { type: 'else', pos: token.pos, line: token.line };
  }

  private parseTemplateName(token: Item, context: string): string {
    if (token.typ === 'string' || token.typ === 'rawString') {
      const s = unquote(token.val);
      if (s === undefined) return this.errorf('invalid syntax');
      return s;
    }
    return this.unexpected(token, context);
  }

  private blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    this.inNewTree(() => {
      const { list, next } = this.itemList();
      if (next.type !== 'end') this.errorf(`unexpected ${nodeString(next)} in ${context}`);
      this.add(name, list);
    });
    return { type: 'template', pos: token.pos, name, pipe };
  }

  private templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: token.pos, name, pipe };
  }

  private command(): CommandNode {
    const pos = this.peekNonSpace().pos;
    const args: ArgNode[] = [];
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) args.push(operand);
      const token = this.next();
      if (token.typ === 'space') continue;
      if (token.typ === 'rightDelim' || token.typ === 'rightParen') this.backup();
      else if (token.typ !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (args.length === 0) this.errorf('empty command');
    return { type: 'command', pos, args };
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().typ !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { type: 'variable', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      case 'chain':
      case 'identifier':
      case 'pipe':
        return { type: 'chain', pos: chainPos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    const { typ, pos, val } = token;
    if (typ === 'identifier') {
      if (!BUILTIN_FUNCS.has(val)) this.errorf(`function ${goQuote(val)} not defined`);
      return { type: 'identifier', pos, name: val };
    }
    if (typ === 'dot') return { type: 'dot', pos };
    if (typ === 'nil') return { type: 'nil', pos };
    if (typ === 'variable') {
      const idents = val.split('.');
      const first = idents[0] ?? '$';
      if (!this.vars.includes(first)) this.errorf(`undefined variable ${goQuote(first)}`);
      return { type: 'variable', pos, idents };
    }
    if (typ === 'field') return { type: 'field', pos, idents: val.slice(1).split('.') };
    if (typ === 'bool') return { type: 'bool', pos, value: val === 'true' };
    if (typ === 'charConstant' || typ === 'complex' || typ === 'number') return this.newNumber(token);
    if (typ === 'leftParen') {
      if (this.stackDepth >= MAX_PAREN_DEPTH) this.errorf('max expression depth exceeded');
      this.stackDepth++;
      try {
        return this.pipeline('parenthesized pipeline', 'rightParen');
      } finally {
        this.stackDepth--;
      }
    }
    if (typ === 'string' || typ === 'rawString') {
      const s = unquote(val);
      if (s === undefined) return this.errorf('invalid syntax');
      return { type: 'string', pos, quoted: val, text: s };
    }
    this.backup();
    return undefined;
  }

  private newNumber(token: Item): NumberNode {
    const text = token.val;
    const base = { type: 'number' as const, pos: token.pos, text, isComplex: false };
    if (token.typ === 'charConstant') {
      const r = unquoteChar(text, 1, "'");
      if (r === undefined) return this.errorf('invalid syntax');
      if (text.slice(r.next) !== "'") return this.errorf(`malformed character constant: ${text}`);
      return { ...base, isInt: true, isUint: true, isFloat: true, int: BigInt(r.cp), float: r.cp };
    }
    if (token.typ === 'complex' || text.endsWith('i')) {
      const f = token.typ === 'complex' ? 0 : parseGoFloat(text.slice(0, -1));
      if (f === undefined) return this.errorf(`illegal number syntax: ${goQuote(text)}`);
      return { ...base, isComplex: true, isInt: false, isUint: false, isFloat: false, int: 0n, float: f };
    }
    const i = parseGoInteger(text);
    if (i !== undefined && i >= -INT64_MAX - 1n && i <= UINT64_MAX) {
      const isInt = i <= INT64_MAX;
      const isUint = i >= 0n;
      return { ...base, isInt, isUint, isFloat: true, int: i, float: Number(i) };
    }
    const f = parseGoFloat(text);
    if (f === undefined) return this.errorf(`illegal number syntax: ${goQuote(text)}`);
    if (!/[.eEpP]/.test(text)) return this.errorf(`integer overflow: ${goQuote(text)}`);
    const integral = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
    return {
      ...base,
      isFloat: true,
      isInt: integral,
      isUint: integral && f >= 0,
      int: integral ? BigInt(f) : 0n,
      float: f,
    };
  }
}

function isEmptyTree(n: ListNode): boolean {
  return n.nodes.every((x) => x.type === 'text' && x.text.trim() === '');
}

/** Parses a template named `name`; the error reads like Go's (`template: name:LINE: …`). */
export function parseTemplateTree(name: string, text: string): { ok: true; tree: TemplateTree } | { ok: false; error: string } {
  try {
    const p = new Parser(name, lex(text));
    const root = p.parse();
    return { ok: true, tree: { root, defined: p.defined, text } };
  } catch (e) {
    if (e instanceof GoParseError) return { ok: false, error: e.message };
    // Only a pathologically nested template gets here (JS stack exhaustion); Go would parse it.
    if (e instanceof RangeError) return { ok: false, error: `template: ${name}:1: template nesting too deep for procpush` };
    throw e;
  }
}
