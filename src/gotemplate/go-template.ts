/**
 * Go `text/template` for process-exporter group names: parse once, execute per new process.
 *
 * process-exporter parses each `name:` with `template.New("cmdname").Parse(…)` and executes it on
 * its `templateParams` struct, ignoring execution errors: the group name is whatever had been
 * written when the error happened. {@link NameTemplate.execute} reproduces that; execution errors
 * are values inside this engine (see {@link NameTemplate.executeDetailed}).
 */
import { err, ok, type Result } from '../base/result.js';
import { goSprint, goSprintf, goSprintln } from './go-fmt.js';
import { goTimeFormat } from './go-time-format.js';
import { nodeString, parseTemplateTree, type ArgNode, type CommandNode, type ListNode, type Node, type NumberNode, type PipeNode, type TemplateTree } from './go-template-parse.js';
import {
  NIL,
  bool,
  compareGoStrings,
  formatV,
  goQuote,
  goTypeName,
  int,
  isGoPrint,
  isTrue,
  monthName,
  sortedKeys,
  splitTime,
  str,
  utf8Bytes,
  utf8Decode,
  utf8Length,
  weekdayName,
  type GoValue,
  type TemplateData,
} from './go-value.js';

export type { TemplateData } from './go-value.js';
export { goFilepathBase, goTimeString } from './go-value.js';

/** The name process-exporter gives every name template; it appears in parse errors. */
export const TEMPLATE_NAME = 'cmdname';

export interface NameTemplate {
  /** The template text as written in the config. */
  readonly source: string;
  /** Renders the name as process-exporter does: on an execution error, the output written so far. */
  execute(data: TemplateData): string;
  /** Like {@link execute}, plus the execution error process-exporter would have discarded. */
  executeDetailed(data: TemplateData): { readonly output: string; readonly error: string | undefined };
}

/** Parses `text` as Go's `template.New("cmdname").Parse(text)` would. */
export function parseNameTemplate(text: string): Result<NameTemplate, string> {
  const parsed = parseTemplateTree(TEMPLATE_NAME, text);
  if (!parsed.ok) return err(parsed.error);
  const tree = parsed.tree;
  const fast = fastPath(tree.root);
  return ok({
    source: text,
    execute(data: TemplateData): string {
      if (fast !== undefined) {
        let out = '';
        for (const seg of fast) out += typeof seg === 'string' ? seg : seg(data);
        return out;
      }
      return new Exec(tree, data).run().output;
    },
    executeDetailed(data: TemplateData) {
      return new Exec(tree, data).run();
    },
  });
}

type Segment = string | ((d: TemplateData) => string);

const FAST_FIELDS: ReadonlyMap<string, (d: TemplateData) => string> = new Map<string, (d: TemplateData) => string>([
  ['Comm', (d) => d.comm],
  ['ExeBase', (d) => d.exeBase],
  ['ExeFull', (d) => d.exeFull],
  ['Username', (d) => d.username],
  ['PID', (d) => String(d.pid)],
  ['StartTime', (d) => formatV({ kind: 'time', ms: d.startTimeMs })],
  ['Cgroups', (d) => formatV({ kind: 'strings', v: d.cgroups })],
  ['Matches', (d) => formatV({ kind: 'map', v: d.matches })],
]);

/**
 * Templates made only of text and plain field actions (`{{.ExeBase}}`, `{{.Comm}}:{{.Matches.x}}`,
 * the common case, and the default name) render without the interpreter. They cannot fail.
 */
function fastPath(root: ListNode): Segment[] | undefined {
  const segs: Segment[] = [];
  for (const n of root.nodes) {
    if (n.type === 'text') {
      segs.push(n.text);
      continue;
    }
    if (n.type !== 'action' || n.pipe.decl.length > 0 || n.pipe.cmds.length !== 1) return undefined;
    const args = n.pipe.cmds[0]?.args ?? [];
    const f = args[0];
    if (args.length !== 1 || f?.type !== 'field') return undefined;
    const [first, key, ...rest] = f.idents;
    if (first === undefined || rest.length > 0) return undefined;
    if (key === undefined) {
      const getter = FAST_FIELDS.get(first);
      if (getter === undefined) return undefined;
      segs.push(getter);
    } else if (first === 'Matches') {
      segs.push((d) => d.matches.get(key) ?? '<no value>');
    } else return undefined;
  }
  return segs;
}

// ---------------------------------------------------------------------------------------------
// Execution

interface ExecError {
  readonly kind: 'error';
  readonly msg: string;
  /** The node being evaluated, for Go-style context; filled in by the innermost `fail`. */
  readonly at: ArgNode | CommandNode | Node | undefined;
}

type Ev = GoValue | ExecError;
type Flow = 'next' | 'break' | 'continue' | ExecError;

/** Parameter types of the functions and methods we model. */
type ParamType = 'any' | 'string';

interface Func {
  readonly params: readonly ParamType[];
  /** Type of the `...` parameter, when the function is variadic. */
  readonly variadic: ParamType | undefined;
  call(args: readonly GoValue[]): Ev;
}

function fail(msg: string, at?: ArgNode | CommandNode | Node): ExecError {
  return { kind: 'error', msg, at };
}

const MAX_TEMPLATE_DEPTH = 1000;

class Exec {
  private readonly out: string[] = [];
  private vars: { name: string; value: GoValue }[];
  private depth = 0;
  private tmplName = TEMPLATE_NAME;

  constructor(
    private readonly tree: TemplateTree,
    data: TemplateData,
  ) {
    this.vars = [{ name: '$', value: { kind: 'params', d: data } }];
  }

  run(): { output: string; error: string | undefined } {
    const dot = this.vars[0]?.value ?? NIL;
    const f = this.walk(dot, this.tree.root);
    const output = this.out.join('');
    if (typeof f === 'object') return { output, error: this.describe(f) };
    return { output, error: undefined };
  }

  /** Go's ExecError text: `template: cmdname:1:2: executing "cmdname" at <.Nope>: …`. */
  private describe(e: ExecError): string {
    if (e.at === undefined) return `template: ${this.tmplName}: ${e.msg}`;
    const pos = e.at.pos;
    const before = this.tree.text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = utf8Length(before.slice(nl + 1));
    return `template: ${TEMPLATE_NAME}:${line}:${col}: executing ${goQuote(this.tmplName)} at <${nodeString(e.at)}>: ${e.msg}`;
  }

  // --- walk

  private walk(dot: GoValue, node: Node): Flow {
    switch (node.type) {
      case 'text':
        this.out.push(node.text);
        return 'next';
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (v.kind === 'error') return v;
        if (node.pipe.decl.length === 0) this.out.push(v.kind === 'nil' ? '<no value>' : formatV(v));
        return 'next';
      }
      case 'list':
        for (const n of node.nodes) {
          const f = this.walk(dot, n);
          if (f !== 'next') return f;
        }
        return 'next';
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (v.kind === 'error') return v;
        let f: Flow = 'next';
        if (isTrue(v)) f = this.walk(node.type === 'with' ? v : dot, node.list);
        else if (node.elseList) f = this.walk(dot, node.elseList);
        this.vars.length = mark;
        return f;
      }
      case 'range':
        return this.walkRange(dot, node);
      case 'break':
      case 'continue':
        return node.type;
      case 'template':
        return this.walkTemplate(dot, node);
    }
  }

  private walkRange(dot: GoValue, node: Extract<Node, { type: 'range' }>): Flow {
    const mark0 = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    if (v.kind === 'error') return v;
    const mark = this.vars.length;
    const decl = node.pipe.decl;
    const oneIteration = (index: GoValue, elem: GoValue): Flow => {
      if (decl.length > 0) {
        const first = decl[0] ?? '$';
        if (node.pipe.isAssign) {
          const e = this.setVar(first, decl.length > 1 ? index : elem);
          if (e) return e;
        } else this.setTopVar(1, elem);
      }
      if (decl.length > 1) {
        const second = decl[1] ?? '$';
        if (node.pipe.isAssign) {
          const e = this.setVar(second, elem);
          if (e) return e;
        } else this.setTopVar(2, index);
      }
      const f = this.walk(elem, node.list);
      this.vars.length = mark;
      return f;
    };
    let iterated = false;
    let result: Flow = 'next';
    switch (v.kind) {
      case 'strings':
        for (let i = 0; i < v.v.length; i++) {
          iterated = true;
          const f = oneIteration(int(i), str(v.v[i] ?? ''));
          if (f === 'break') break;
          if (typeof f === 'object') {
            result = f;
            break;
          }
        }
        break;
      case 'map':
        for (const k of sortedKeys(v.v)) {
          iterated = true;
          const f = oneIteration(str(k), str(v.v.get(k) ?? ''));
          if (f === 'break') break;
          if (typeof f === 'object') {
            result = f;
            break;
          }
        }
        break;
      case 'nil':
        break;
      case 'string':
      case 'int':
      case 'float':
      case 'bool':
      case 'time':
      case 'enum':
      case 'params':
        return fail(`range can't iterate over ${formatV(v)}`, node);
    }
    if (typeof result === 'object') return result;
    if (!iterated && node.elseList) {
      const f = this.walk(dot, node.elseList);
      if (typeof f === 'object') return f;
    }
    this.vars.length = mark0;
    return 'next';
  }

  private walkTemplate(dot: GoValue, node: Extract<Node, { type: 'template' }>): Flow {
    const tmpl = this.tree.defined.get(node.name);
    if (tmpl === undefined) return fail(`template ${goQuote(node.name)} not defined`, node);
    if (this.depth >= MAX_TEMPLATE_DEPTH) return fail(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`, node);
    const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : NIL;
    if (newDot.kind === 'error') return newDot;
    const saved = { vars: this.vars, name: this.tmplName };
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = node.name;
    this.depth++;
    const f = this.walk(newDot, tmpl);
    this.depth--;
    if (typeof f === 'object') return f; // keep the inner template's name for the message
    this.vars = saved.vars;
    this.tmplName = saved.name;
    return 'next';
  }

  // --- variables

  private setVar(name: string, value: GoValue): ExecError | undefined {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) {
        v.value = value;
        return undefined;
      }
    }
    return fail(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: GoValue): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  private varValue(name: string): Ev {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) return v.value;
    }
    return fail(`undefined variable: ${name}`);
  }

  // --- evaluation

  private evalPipeline(dot: GoValue, pipe: PipeNode): Ev {
    let value: GoValue | undefined;
    for (const cmd of pipe.cmds) {
      const v = this.evalCommand(dot, cmd, value);
      if (v.kind === 'error') return v;
      value = v;
    }
    const result = value ?? NIL;
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const e = this.setVar(name, result);
        if (e) return { ...e, at: e.at ?? pipe };
      } else this.vars.push({ name, value: result });
    }
    return result;
  }

  private notAFunction(args: readonly ArgNode[], final: GoValue | undefined): ExecError | undefined {
    const first = args[0];
    if (args.length > 1 || final !== undefined) return fail(`can't give argument to non-function ${first ? nodeString(first) : ''}`, first);
    return undefined;
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: GoValue | undefined): Ev {
    const first = cmd.args[0];
    if (first === undefined) return fail('empty command', cmd);
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain': {
        const recv = this.evalArg(dot, 'any', first.node);
        if (recv.kind === 'error') return recv;
        return this.evalFieldChain(dot, recv, first, first.fields, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        return this.notAFunction(cmd.args, final) ?? this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
      case 'bool':
        return this.notAFunction(cmd.args, final) ?? bool(first.value);
      case 'dot':
        return this.notAFunction(cmd.args, final) ?? dot;
      case 'nil':
        return this.notAFunction(cmd.args, final) ?? fail('nil is not a command', first);
      case 'number':
        return this.notAFunction(cmd.args, final) ?? this.idealConstant(first);
      case 'string':
        return this.notAFunction(cmd.args, final) ?? str(first.text);
    }
  }

  private idealConstant(n: NumberNode): Ev {
    if (n.isComplex) return fail(`complex constant ${n.text} is not supported by procpush`, n);
    const isHexInt = /^0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (n.isFloat && !isHexInt && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return { kind: 'float', v: n.float };
    if (n.isInt) return int(n.int);
    if (n.isUint) return fail(`${n.text} overflows int`, n);
    return NIL;
  }

  private evalVariable(dot: GoValue, node: Extract<ArgNode, { type: 'variable' }>, args: readonly ArgNode[], final: GoValue | undefined): Ev {
    const value = this.varValue(node.idents[0] ?? '$');
    if (value.kind === 'error') return { ...value, at: node };
    if (node.idents.length === 1) return this.notAFunction(args, final) ?? value;
    return this.evalFieldChain(dot, value, node, node.idents.slice(1), args, final);
  }

  private evalFieldChain(
    dot: GoValue,
    receiver: GoValue,
    node: ArgNode,
    idents: readonly string[],
    args: readonly ArgNode[],
    final: GoValue | undefined,
  ): Ev {
    let recv = receiver;
    for (let i = 0; i < idents.length - 1; i++) {
      const v = this.evalField(dot, idents[i] ?? '', node, [], undefined, recv);
      if (v.kind === 'error') return v;
      recv = v;
    }
    return this.evalField(dot, idents[idents.length - 1] ?? '', node, args, final, recv);
  }

  private evalField(dot: GoValue, name: string, node: ArgNode, args: readonly ArgNode[], final: GoValue | undefined, recv: GoValue): Ev {
    if (recv.kind === 'nil') return NIL;
    const method = methodOf(recv, name);
    if (method) return this.evalCall(dot, method, name, node, node, args, final);
    const hasArgs = args.length > 1 || final !== undefined;
    if (recv.kind === 'params') {
      const field = paramsField(recv.d, name);
      if (field === undefined) return fail(`can't evaluate field ${name} in type *config.templateParams`, node);
      if (hasArgs) return fail(`${name} has arguments but cannot be invoked as function`, node);
      return field;
    }
    if (recv.kind === 'map') {
      if (hasArgs) return fail(`${name} is not a method but has arguments`, node);
      const v = recv.v.get(name);
      return v === undefined ? NIL : str(v);
    }
    if (recv.kind === 'time' && (name === 'wall' || name === 'ext' || name === 'loc')) {
      return fail(`${name} is an unexported field of struct type time.Time`, node);
    }
    return fail(`can't evaluate field ${name} in type ${goTypeName(recv)}`, node);
  }

  private evalFunction(
    dot: GoValue,
    node: Extract<ArgNode, { type: 'identifier' }>,
    cmd: ArgNode | CommandNode,
    args: readonly ArgNode[],
    final: GoValue | undefined,
  ): Ev {
    const fn = BUILTINS.get(node.name);
    if (fn === undefined) return fail(`${goQuote(node.name)} is not a defined function`, node);
    return this.evalCall(dot, fn, node.name, node, cmd, args, final);
  }

  /** `node` locates argument errors, `cmd` the failing call (Go's s.at(node) in evalCall). */
  private evalCall(
    dot: GoValue,
    fn: Func,
    name: string,
    node: ArgNode,
    cmd: ArgNode | CommandNode,
    args: readonly ArgNode[],
    final: GoValue | undefined,
  ): Ev {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final === undefined ? 0 : 1);
    const numFixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < numFixed) return fail(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`, node);
    } else if (numIn !== numFixed) {
      return fail(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`, node);
    }
    // and/or short-circuit.
    if (name === 'and' || name === 'or') {
      let v: GoValue = NIL;
      for (const a of argNodes) {
        const x = this.evalArg(dot, 'any', a);
        if (x.kind === 'error') return x;
        if (isTrue(x) === (name === 'or')) return x;
        v = x;
      }
      return final ?? v;
    }
    const argv: GoValue[] = [];
    for (let i = 0; i < argNodes.length; i++) {
      const a = argNodes[i];
      if (a === undefined) continue;
      const t = i < numFixed ? (fn.params[i] ?? 'any') : (fn.variadic ?? 'any');
      const v = this.evalArg(dot, t, a);
      if (v.kind === 'error') return v;
      argv.push(v);
    }
    if (final !== undefined) {
      const i = argv.length;
      const t = i < numFixed ? (fn.params[i] ?? 'any') : (fn.variadic ?? 'any');
      const v = validateType(final, t, node);
      if (v.kind === 'error') return v;
      argv.push(v);
    }
    const r = fn.call(argv);
    if (r.kind === 'error') return fail(`error calling ${name}: ${r.msg}`, cmd);
    return r;
  }

  private evalArg(dot: GoValue, t: ParamType, n: ArgNode): Ev {
    switch (n.type) {
      case 'dot':
        return validateType(dot, t, n);
      case 'nil':
        return t === 'any' ? NIL : fail(`cannot assign nil to ${t}`, n);
      case 'field':
        return check(this.evalFieldChain(dot, dot, n, n.idents, [n], undefined), t, n);
      case 'variable':
        return check(this.evalVariable(dot, n, [], undefined), t, n);
      case 'pipe':
        return check(this.evalPipeline(dot, n), t, n);
      case 'identifier':
        return check(this.evalFunction(dot, n, n, [], undefined), t, n);
      case 'chain': {
        const recv = this.evalArg(dot, 'any', n.node);
        if (recv.kind === 'error') return recv;
        return check(this.evalFieldChain(dot, recv, n, n.fields, [], undefined), t, n);
      }
      case 'bool':
        return t === 'any' ? bool(n.value) : fail(`expected ${t}; found ${nodeString(n)}`, n);
      case 'number':
        return t === 'any' ? this.idealConstant(n) : fail(`expected ${t}; found ${nodeString(n)}`, n);
      case 'string':
        return str(n.text);
    }
  }
}

function check(v: Ev, t: ParamType, at: ArgNode): Ev {
  return v.kind === 'error' ? v : validateType(v, t, at);
}

function validateType(v: GoValue, t: ParamType, at: ArgNode): Ev {
  if (t === 'any') return v;
  if (v.kind === 'nil') return fail(`invalid value; expected ${t}`, at);
  if (v.kind !== 'string') return fail(`wrong type for value; expected ${t}; got ${goTypeName(v)}`, at);
  return v;
}

function paramsField(d: TemplateData, name: string): GoValue | undefined {
  switch (name) {
    case 'Comm':
      return str(d.comm);
    case 'ExeBase':
      return str(d.exeBase);
    case 'ExeFull':
      return str(d.exeFull);
    case 'Username':
      return str(d.username);
    case 'PID':
      return int(d.pid);
    case 'StartTime':
      return { kind: 'time', ms: d.startTimeMs };
    case 'Cgroups':
      return { kind: 'strings', v: d.cgroups };
    case 'Matches':
      return { kind: 'map', v: d.matches };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Methods of time.Time, time.Month and time.Weekday

function method0(f: () => GoValue): Func {
  return { params: [], variadic: undefined, call: () => f() };
}

function methodOf(recv: GoValue, name: string): Func | undefined {
  if (recv.kind === 'enum') return name === 'String' ? method0(() => str(recv.name)) : undefined;
  if (recv.kind !== 'time') return undefined;
  const { sec, nsec } = splitTime(recv.ms);
  const d = new Date(sec * 1000);
  const s = BigInt(sec);
  const n = BigInt(nsec);
  switch (name) {
    case 'Unix':
      return method0(() => int(s, 'int64'));
    case 'UnixMilli':
      return method0(() => int(s * 1000n + n / 1_000_000n, 'int64'));
    case 'UnixMicro':
      return method0(() => int(s * 1_000_000n + n / 1000n, 'int64'));
    case 'UnixNano':
      return method0(() => int(s * 1_000_000_000n + n, 'int64'));
    case 'Year':
      return method0(() => int(d.getUTCFullYear()));
    case 'Month':
      return method0(() => ({ kind: 'enum', type: 'time.Month', n: d.getUTCMonth() + 1, name: monthName(d.getUTCMonth() + 1) }));
    case 'Day':
      return method0(() => int(d.getUTCDate()));
    case 'Hour':
      return method0(() => int(d.getUTCHours()));
    case 'Minute':
      return method0(() => int(d.getUTCMinutes()));
    case 'Second':
      return method0(() => int(d.getUTCSeconds()));
    case 'Nanosecond':
      return method0(() => int(nsec));
    case 'YearDay':
      return method0(() => int(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1));
    case 'Weekday':
      return method0(() => ({ kind: 'enum', type: 'time.Weekday', n: d.getUTCDay(), name: weekdayName(d.getUTCDay()) }));
    case 'String':
      return method0(() => str(formatV(recv)));
    case 'UTC':
      return method0(() => recv);
    case 'IsZero':
      return method0(() => bool(sec === -62135596800 && nsec === 0));
    case 'Format':
      return {
        params: ['string'],
        variadic: undefined,
        call: (args) => {
          const layout = args[0];
          return str(goTimeFormat(recv.ms, layout?.kind === 'string' ? layout.v : ''));
        },
      };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Builtin functions

function fn(params: readonly ParamType[], variadic: ParamType | undefined, call: (args: readonly GoValue[]) => Ev): Func {
  return { params, variadic, call };
}

/** The text of args as html/js/urlquery see it: a lone string as is, else fmt.Sprint. */
function evalArgsText(args: readonly GoValue[]): string {
  const a = args[0];
  if (args.length === 1 && a?.kind === 'string') return a.v;
  return goSprint(args);
}

function intLike(v: GoValue): bigint | ExecError {
  if (v.kind === 'int') return v.v;
  if (v.kind === 'enum') return BigInt(v.n);
  if (v.kind === 'nil') return fail('cannot index slice/array with nil');
  return fail(`cannot index slice/array with type ${goTypeName(v)}`);
}

function indexArg(v: GoValue, cap: number): number | ExecError {
  const x = intLike(v);
  if (typeof x !== 'bigint') return x;
  if (x < 0n || x > BigInt(cap)) return fail(`index out of range: ${x}`);
  return Number(x);
}

function builtinIndex(args: readonly GoValue[]): Ev {
  let item = args[0] ?? NIL;
  if (item.kind === 'nil') return fail('index of untyped nil');
  for (const ix of args.slice(1)) {
    switch (item.kind) {
      case 'strings': {
        const x = indexArg(ix, item.v.length);
        if (typeof x !== 'number') return x;
        if (x === item.v.length) return fail(`index out of range: ${x}`);
        item = str(item.v[x] ?? '');
        break;
      }
      case 'string': {
        const bytes = utf8Bytes(item.v);
        const x = indexArg(ix, bytes.length);
        if (typeof x !== 'number') return x;
        if (x === bytes.length) return fail(`index out of range: ${x}`);
        item = int(bytes[x] ?? 0, 'uint8');
        break;
      }
      case 'map': {
        if (ix.kind === 'nil') return fail('value is nil; should be of type string');
        if (ix.kind !== 'string') return fail(`value has type ${goTypeName(ix)}; should be string`);
        item = str(item.v.get(ix.v) ?? '');
        break;
      }
      case 'params':
        return fail("can't index item of type config.templateParams");
      case 'int':
      case 'float':
      case 'bool':
      case 'time':
      case 'enum':
      case 'nil':
        return fail(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function builtinSlice(args: readonly GoValue[]): Ev {
  const item = args[0] ?? NIL;
  const indexes = args.slice(1);
  if (item.kind === 'nil') return fail('slice of untyped nil');
  if (indexes.length > 3) return fail(`too many slice indexes: ${indexes.length}`);
  let len: number;
  let bytes: Uint8Array | undefined;
  if (item.kind === 'string') {
    if (indexes.length === 3) return fail('cannot 3-index slice a string');
    bytes = utf8Bytes(item.v);
    len = bytes.length;
  } else if (item.kind === 'strings') {
    len = item.v.length;
  } else {
    return fail(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len, len];
  for (let i = 0; i < indexes.length; i++) {
    const x = indexArg(indexes[i] ?? NIL, len);
    if (typeof x !== 'number') return x;
    idx[i] = x;
  }
  const [i0 = 0, i1 = len, i2 = len] = idx;
  if (i0 > i1) return fail(`invalid slice index: ${i0} > ${i1}`);
  if (indexes.length === 3 && i1 > i2) return fail(`invalid slice index: ${i1} > ${i2}`);
  if (bytes !== undefined) return str(utf8Decode(bytes.subarray(i0, i1)));
  return item.kind === 'strings' ? { kind: 'strings', v: item.v.slice(i0, i1) } : NIL;
}

function builtinLen(args: readonly GoValue[]): Ev {
  const item = args[0] ?? NIL;
  switch (item.kind) {
    case 'string':
      return int(utf8Length(item.v));
    case 'strings':
      return int(item.v.length);
    case 'map':
      return int(item.v.size);
    case 'nil':
      return fail('len of untyped nil');
    case 'params':
      return fail('len of type config.templateParams');
    case 'int':
    case 'float':
    case 'bool':
    case 'time':
    case 'enum':
      return fail(`len of type ${goTypeName(item)}`);
  }
}

type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'invalid';

function basicKind(v: GoValue): BasicKind {
  switch (v.kind) {
    case 'bool':
      return 'bool';
    case 'int':
      return v.type === 'uint8' ? 'uint' : 'int';
    case 'enum':
      return 'int';
    case 'float':
      return 'float';
    case 'string':
      return 'string';
    case 'strings':
    case 'map':
    case 'time':
    case 'params':
    case 'nil':
      return 'invalid';
  }
}

function intValue(v: GoValue): bigint {
  if (v.kind === 'int') return v.v;
  if (v.kind === 'enum') return BigInt(v.n);
  return 0n;
}

const BAD_COMPARISON = 'incompatible types for comparison';
const BAD_COMPARISON_TYPE = 'invalid type for comparison';

function eq(args: readonly GoValue[]): Ev {
  const a = args[0] ?? NIL;
  const rest = args.slice(1);
  if (rest.length === 0) return fail('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) truth = intValue(a) === intValue(b);
      else if (a.kind !== 'nil' && b.kind !== 'nil') return fail(BAD_COMPARISON);
    } else {
      switch (k1) {
        case 'bool':
          truth = a.kind === 'bool' && b.kind === 'bool' && a.v === b.v;
          break;
        case 'int':
        case 'uint':
          truth = intValue(a) === intValue(b);
          break;
        case 'float':
          truth = a.kind === 'float' && b.kind === 'float' && a.v === b.v;
          break;
        case 'string':
          truth = a.kind === 'string' && b.kind === 'string' && a.v === b.v;
          break;
        case 'invalid': {
          if (a.kind === 'nil' || b.kind === 'nil') {
            truth = a.kind === b.kind;
            break;
          }
          if (a.kind !== b.kind) return fail(`non-comparable types ${formatV(a)}: ${goTypeName(a)}, ${goTypeName(b)}: ${formatV(b)}`);
          if (a.kind === 'strings' || a.kind === 'map') return fail(`non-comparable type ${formatV(b)}: ${goTypeName(b)}`);
          if (a.kind === 'time' && b.kind === 'time') truth = a.ms === b.ms;
          else if (a.kind === 'params' && b.kind === 'params') truth = a.d === b.d;
          break;
        }
      }
    }
    if (truth) return bool(true);
  }
  return bool(false);
}

function lessThan(a: GoValue, b: GoValue): boolean | ExecError {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') return fail(BAD_COMPARISON_TYPE);
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return intValue(a) < intValue(b);
    return fail(BAD_COMPARISON);
  }
  switch (k1) {
    case 'bool':
      return fail(BAD_COMPARISON_TYPE);
    case 'int':
    case 'uint':
      return intValue(a) < intValue(b);
    case 'float':
      return a.kind === 'float' && b.kind === 'float' && a.v < b.v;
    case 'string':
      return a.kind === 'string' && b.kind === 'string' && compareGoStrings(a.v, b.v) < 0;
  }
}

function lt(args: readonly GoValue[]): Ev {
  const r = lessThan(args[0] ?? NIL, args[1] ?? NIL);
  return typeof r === 'boolean' ? bool(r) : r;
}

function le(args: readonly GoValue[]): Ev {
  const r = lessThan(args[0] ?? NIL, args[1] ?? NIL);
  if (typeof r !== 'boolean') return r;
  if (r) return bool(true);
  return eq(args);
}

function not(v: Ev): Ev {
  return v.kind === 'bool' ? bool(!v.v) : v;
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const special: Record<string, string> = {
      '\\': '\\\\',
      "'": "\\'",
      '"': '\\"',
      '<': '\\u003C',
      '>': '\\u003E',
      '&': '\\u0026',
      '=': '\\u003D',
    };
    const sp = special[ch];
    if (sp !== undefined) out += sp;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || isGoPrint(cp)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8Bytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const BUILTINS: ReadonlyMap<string, Func> = new Map<string, Func>([
  // and/or are evaluated lazily in evalCall; call is never reached with these bodies.
  ['and', fn(['any'], 'any', (a) => a[a.length - 1] ?? NIL)],
  ['or', fn(['any'], 'any', (a) => a[a.length - 1] ?? NIL)],
  ['not', fn(['any'], undefined, (a) => bool(!isTrue(a[0] ?? NIL)))],
  ['call', fn(['any'], 'any', (a) => ((a[0] ?? NIL).kind === 'nil' ? fail('call of nil') : fail(`non-function of type ${goTypeName(a[0] ?? NIL)}`)))],
  ['html', fn([], 'any', (a) => str(htmlEscape(evalArgsText(a))))],
  ['js', fn([], 'any', (a) => str(jsEscape(evalArgsText(a))))],
  ['urlquery', fn([], 'any', (a) => str(queryEscape(evalArgsText(a))))],
  ['index', fn(['any'], 'any', builtinIndex)],
  ['slice', fn(['any'], 'any', builtinSlice)],
  ['len', fn(['any'], undefined, builtinLen)],
  ['print', fn([], 'any', (a) => str(goSprint(a)))],
  ['println', fn([], 'any', (a) => str(goSprintln(a)))],
  ['printf', fn(['string'], 'any', (a) => str(goSprintf(a[0]?.kind === 'string' ? a[0].v : '', a.slice(1))))],
  ['eq', fn(['any'], 'any', eq)],
  ['ne', fn(['any', 'any'], undefined, (a) => not(eq(a)))],
  ['lt', fn(['any', 'any'], undefined, lt)],
  ['le', fn(['any', 'any'], undefined, le)],
  ['gt', fn(['any', 'any'], undefined, (a) => not(le(a)))],
  ['ge', fn(['any', 'any'], undefined, (a) => not(lt(a)))],
]);
