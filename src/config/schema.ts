/**
 * A small validator for the located document (document.ts): schemas read a node and return a typed
 * value or report problems by path; the problems are placed in the file at the end (document.ts
 * `locate`). Every section of the config is described with it, so every problem of every section is
 * reported the same way, `file:line:column: field: message`, all at once.
 *
 * Messages are worded as zod words them (`Invalid input: expected boolean, received null`,
 * `Too small: expected number to be >=1`): zod described these sections before, and its wording is
 * what the docs and existing configs' users know. zod stays the test oracle of the sink schema.
 *
 * Shapes (`shape`) describe the keys each schema accepts, so the config reference test can require
 * every key to be documented in config/example.yaml.
 */
import type { Result } from '../base/result.js';
import { locate, type DocMap, type DocNode } from './document.js';
import { formatPath, type ConfigIssue } from './issues.js';

export type Path = readonly (string | number)[];

export interface Problem {
  readonly path: Path;
  readonly message: string;
}

/** Collects problems while schemas read. */
export class Reader {
  readonly problems: Problem[] = [];

  report(path: Path, message: string): Invalid {
    this.problems.push({ path, message });
    return INVALID;
  }

  /** The problems as located issues of `file`, placed by their path in `root`. */
  issues(file: string, root: DocNode | undefined): ConfigIssue[] {
    return this.problems.map((p) => {
      const pos = locate(root, p.path);
      return { file, line: pos.line, column: pos.column, field: formatPath(p.path), message: p.message };
    });
  }
}

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** The keys a schema accepts, through lists, records and alternatives. */
export type Shape =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'object'; readonly keys: Readonly<Record<string, Shape>> }
  | { readonly kind: 'list'; readonly item: Shape }
  | { readonly kind: 'record'; readonly value: Shape }
  | { readonly kind: 'union'; readonly options: readonly Shape[] };

export interface Schema<T> {
  readonly shape: Shape;
  /** The type a missing required key should have had, for its message (zod's `expected string`). */
  readonly type: string;
  read(node: DocNode, path: Path, r: Reader): T | Invalid;
}

const LEAF: Shape = { kind: 'leaf' };

/** How zod names a value's type in "received …". */
export function receivedType(node: DocNode | undefined): string {
  if (node === undefined) return 'undefined';
  if (node.kind === 'seq') return 'array';
  if (node.kind === 'map') return 'object';
  const v = node.value;
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

export const expected = (type: string, node: DocNode | undefined): string => `Invalid input: expected ${type}, received ${receivedType(node)}`;

/** A schema from a read function. */
export function leaf<T>(type: string, read: (node: DocNode, path: Path, r: Reader) => T | Invalid): Schema<T> {
  return { shape: LEAF, type, read };
}

export interface StringOptions {
  /** Minimum length (zod's `.min`). */
  readonly min?: number;
  /** The value must match; the message says what it should look like. */
  readonly pattern?: readonly [RegExp, string];
  /** Further checks: a message, or undefined when fine. */
  readonly check?: (s: string) => string | undefined;
}

export function string(o: StringOptions = {}): Schema<string> {
  return leaf('string', (node, path, r) => {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') return r.report(path, expected('string', node));
    const s = node.value;
    if (o.min !== undefined && s.length < o.min) return r.report(path, `Too small: expected string to have >=${o.min} characters`);
    if (o.pattern !== undefined && !o.pattern[0].test(s)) return r.report(path, o.pattern[1]);
    const problem = o.check?.(s);
    return problem === undefined ? s : r.report(path, problem);
  });
}

export const boolean: Schema<boolean> = leaf('boolean', (node, path, r) =>
  node.kind === 'scalar' && typeof node.value === 'boolean' ? node.value : r.report(path, expected('boolean', node)),
);

export function integer(o: { readonly min?: number; readonly max?: number } = {}): Schema<number> {
  return leaf('number', (node, path, r) => {
    if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isFinite(node.value)) return r.report(path, expected('number', node));
    const v = node.value;
    if (!Number.isInteger(v)) return r.report(path, expected('int', node));
    if (o.min !== undefined && v < o.min) return r.report(path, `Too small: expected number to be >=${o.min}`);
    if (o.max !== undefined && v > o.max) return r.report(path, `Too big: expected number to be <=${o.max}`);
    return v;
  });
}

/** `schema`'s value turned into another, or refused with a message. */
export function convert<A, B>(schema: Schema<A>, f: (a: A) => Result<B, string>): Schema<B> {
  return {
    shape: schema.shape,
    type: schema.type,
    read: (node, path, r) => {
      const a = schema.read(node, path, r);
      if (a === INVALID) return INVALID;
      const b = f(a);
      return b.ok ? b.value : r.report(path, b.error);
    },
  };
}

export function list<T>(item: Schema<T>): Schema<T[]> {
  return {
    shape: { kind: 'list', item: item.shape },
    type: 'array',
    read: (node, path, r) => {
      if (node.kind !== 'seq') return r.report(path, expected('array', node));
      const out: T[] = [];
      const before = r.problems.length;
      node.items.forEach((n, i) => {
        const v = item.read(n, [...path, i], r);
        if (v !== INVALID) out.push(v);
      });
      return r.problems.length === before ? out : INVALID;
    },
  };
}

/** A mapping of any keys (`key`: what is wrong with a key, or undefined when it is fine). */
export function record<T>(value: Schema<T>, key?: (k: string) => string | undefined): Schema<Record<string, T>> {
  return {
    shape: { kind: 'record', value: value.shape },
    type: 'record',
    read: (node, path, r) => {
      if (node.kind !== 'map') return r.report(path, expected('record', node));
      const out: Record<string, T> = {};
      let bad = false;
      for (const e of node.entries) {
        const keyProblem = key?.(e.key);
        if (keyProblem !== undefined) {
          r.report([...path, e.key], keyProblem);
          bad = true;
        }
        const v = value.read(e.value, [...path, e.key], r);
        if (v === INVALID) bad = true;
        else out[e.key] = v;
      }
      return bad ? INVALID : out;
    },
  };
}

/** A key of an object: required, optional (undefined when absent) or with a default. */
export interface Field<T> {
  readonly schema: Schema<unknown>;
  /** The value of an absent key; undefined: the key is required. */
  readonly absent: (() => T) | undefined;
}

export function required<T>(schema: Schema<T>): Field<T> {
  return { schema, absent: undefined };
}

export function optional<T>(schema: Schema<T>): Field<T | undefined> {
  return { schema, absent: () => undefined };
}

/** A default for an absent key: a value, or the schema's reading of `input` (zod's prefault). */
export function withDefault<T>(schema: Schema<T>, value: T): Field<T> {
  return { schema, absent: () => value };
}

export function withDefaultInput<T>(schema: Schema<T>, input: DocNode): Field<T> {
  return {
    schema,
    absent: () => {
      const v = schema.read(input, [], new Reader());
      if (v === INVALID) throw new Error('a default that its own schema refuses');
      return v;
    },
  };
}

type Fields = Readonly<Record<string, Field<unknown>>>;
type Out<F extends Fields> = { -readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface ObjectOptions<T> {
  /** Checks across keys, once every key read well; `report(path, message)` with a path below the object. */
  readonly check?: (value: T, report: (path: Path, message: string) => void) => void;
  /** Keys not in `fields`: refused (the default) or ignored. */
  readonly unknownKeys?: 'refuse' | 'ignore';
}

/** An empty mapping, for defaults read through a schema. */
export const EMPTY_MAP: DocMap = { kind: 'map', pos: { line: 0, column: 0 }, entries: [] };

export function object<F extends Fields>(fields: F, o: ObjectOptions<Out<F>> = {}): Schema<Out<F>> {
  const keys: Record<string, Shape> = {};
  for (const [k, f] of Object.entries(fields)) keys[k] = f.schema.shape;
  return {
    shape: { kind: 'object', keys },
    type: 'object',
    read: (node, path, r) => {
      if (node.kind !== 'map') return r.report(path, expected('object', node));
      const out: Record<string, unknown> = {};
      let bad = false;
      for (const e of node.entries) {
        if (!Object.hasOwn(fields, e.key) && o.unknownKeys !== 'ignore') {
          r.report([...path, e.key], `unknown key "${e.key}"`);
          bad = true;
        }
      }
      for (const [k, f] of Object.entries(fields)) {
        const e = node.entries.find((x) => x.key === k);
        if (e === undefined) {
          if (f.absent === undefined) {
            r.report([...path, k], expected(f.schema.type, undefined));
            bad = true;
          } else {
            out[k] = f.absent();
          }
          continue;
        }
        const v = f.schema.read(e.value, [...path, k], r);
        if (v === INVALID) bad = true;
        else out[k] = v;
      }
      if (bad) return INVALID;
      const value = out as Out<F>;
      const before = r.problems.length;
      o.check?.(value, (p, message) => {
        r.report([...path, ...p], message);
      });
      return r.problems.length === before ? value : INVALID;
    },
  };
}

/** One of several object schemas, chosen by the value of the key `tag` (zod's discriminatedUnion). */
export function tagged<T>(tag: string, options: Readonly<Record<string, Schema<T>>>): Schema<T> {
  const names = Object.keys(options);
  return {
    shape: { kind: 'union', options: Object.values(options).map((s) => s.shape) },
    type: 'object',
    read: (node, path, r) => {
      if (node.kind !== 'map') return r.report(path, expected('object', node));
      const t = node.entries.find((e) => e.key === tag)?.value;
      const name = t?.kind === 'scalar' && typeof t.value === 'string' ? t.value : undefined;
      const schema = name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
      if (schema === undefined) return r.report([...path, tag], `Invalid input: expected ${names.map((n) => JSON.stringify(n)).join(' or ')}`);
      return schema.read(node, path, r);
    },
  };
}

/** A schema accepting one constant string (the tag of a tagged union's option). */
export function literal<L extends string>(value: L): Schema<L> {
  return leaf('string', (node, path, r) => (node.kind === 'scalar' && node.value === value ? value : r.report(path, `Invalid input: expected ${JSON.stringify(value)}`)));
}
