/**
 * The config file parsed once into a located document: a tree of mappings, lists and scalars in which
 * every node and every key knows its line and column. Every section's validator reads this tree, so the
 * YAML is parsed once per load and every problem names its place.
 *
 * YAML is read as process-exporter's YAML library (gopkg.in/yaml.v2) reads it, so that its configs work
 * unchanged (verified against Debian's 0.7.10 binary):
 * - Anchors and aliases anywhere, an alias standing for a list or a mapping (`comm: *names`).
 * - Merge keys: `<<: *base` or `<<: [*a, *b]`. Keys are applied in the order written, a later one
 *   replacing an earlier one, whether written or merged; in a merged list the first mapping wins.
 * - A key written twice in one mapping: the last value is used (a warning names both places).
 * - Several documents in one file: the first is read, the others are not even parsed for errors
 *   (a warning says so).
 * - `!!binary` scalars: the decoded bytes, as UTF-8 text.
 * - Scalars read as strings keep their text as written (`0x10` stays "0x10"), as yaml.v2 does for a
 *   string field; `text` holds that view, `value` the YAML 1.2 core value.
 * Aliases are expanded by reference (a shared subtree is converted once), and a document that aliases
 * expand beyond MAX_EXPANDED_NODES is refused, so a small file cannot make the validators walk forever.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { err, ok, type Result } from '../base/result.js';
import type { ConfigIssue } from './issues.js';

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export interface DocScalar {
  readonly kind: 'scalar';
  readonly pos: Pos;
  /** The YAML 1.2 core value (`!!binary`: the decoded text). */
  readonly value: string | number | boolean | null;
  /** The scalar as a string field reads it: the text as written for numbers and booleans, "" for null. */
  readonly text: string;
}

export interface DocSeq {
  readonly kind: 'seq';
  readonly pos: Pos;
  readonly items: readonly DocNode[];
}

export interface DocEntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: DocNode;
}

export interface DocMap {
  readonly kind: 'map';
  readonly pos: Pos;
  /** Unique keys, merges applied, in the order they first appeared. */
  readonly entries: readonly DocEntry[];
}

export type DocNode = DocScalar | DocSeq | DocMap;

export interface ConfigDocument {
  readonly file: string;
  /** The first document's content; undefined for an empty file. */
  readonly root: DocNode | undefined;
  /** Located warnings: duplicate keys, ignored documents, unresolved tags. */
  readonly warnings: readonly ConfigIssue[];
  /** Top-level keys whose value defines an anchor that an alias elsewhere uses: holders of shared YAML. */
  readonly anchorHolders: ReadonlySet<string>;
}

/** Nodes the aliases of one document may expand to. */
export const MAX_EXPANDED_NODES = 100_000;

/** The entry of `key` in a mapping node; undefined when absent or when `node` is not a mapping. */
export function entryOf(node: DocNode | undefined, key: string): DocEntry | undefined {
  if (node?.kind !== 'map') return undefined;
  for (const e of node.entries) if (e.key === key) return e;
  return undefined;
}

/** The node at `path` (keys and list indexes); undefined when some part is missing. */
export function nodeAt(root: DocNode | undefined, path: readonly (string | number)[]): DocNode | undefined {
  let node = root;
  for (const p of path) {
    if (node === undefined) return undefined;
    if (typeof p === 'number') node = node.kind === 'seq' ? node.items[p] : undefined;
    else node = entryOf(node, p)?.value;
  }
  return node;
}

/**
 * Where a problem with the value at `path` is shown: the key when the path ends in a key that is
 * present, the item when it ends in an index that is present, else the deepest part that is present.
 */
export function locate(root: DocNode | undefined, path: readonly (string | number)[]): Pos {
  for (let n = path.length; n > 0; n--) {
    const parent = nodeAt(root, path.slice(0, n - 1));
    const last = path[n - 1];
    if (typeof last === 'string') {
      const e = entryOf(parent, last);
      if (e !== undefined) return n === path.length ? e.keyPos : e.value.pos;
    } else if (last !== undefined && parent?.kind === 'seq') {
      const item = parent.items[last];
      if (item !== undefined) return item.pos;
    }
  }
  return root?.pos ?? { line: 1, column: 1 };
}

/** Plain data (what YAML's toJS gives): for fingerprints and tests. */
export function toPlain(node: DocNode | undefined): unknown {
  if (node === undefined) return undefined;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) out[e.key] = toPlain(e.value);
      return out;
    }
  }
}

/** A located document from plain data (no positions: every node at 1:1), e.g. for a section given in code. */
export function fromPlain(value: unknown): DocNode {
  const pos = { line: 0, column: 0 };
  if (Array.isArray(value)) return { kind: 'seq', pos, items: value.map(fromPlain) };
  if (typeof value === 'object' && value !== null) {
    return { kind: 'map', pos, entries: Object.entries(value).map(([key, v]) => ({ key, keyPos: pos, value: fromPlain(v) })) };
  }
  if (typeof value === 'string') return { kind: 'scalar', pos, value, text: value };
  if (typeof value === 'number' || typeof value === 'boolean') return { kind: 'scalar', pos, value, text: String(value) };
  return { kind: 'scalar', pos, value: null, text: '' };
}

const BINARY_TAG = 'tag:yaml.org,2002:binary';

/** Parses config text into a located document; YAML errors come back with their position. */
export function parseConfigDocument(text: string, file: string): Result<ConfigDocument, ConfigIssue[]> {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: false, customTags: ['binary'] });
  const at = (offset: number | undefined): Pos => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  const first: Document.Parsed | undefined = Array.isArray(docs) ? docs[0] : undefined;
  if (first === undefined) return ok({ file, root: undefined, warnings: [], anchorHolders: new Set() });
  if (first.errors.length > 0) {
    return err(first.errors.map((e) => ({ file, ...linecol(at(e.pos[0])), field: '', message: `YAML syntax error: ${e.message.split('\n')[0] ?? ''}` })));
  }
  const converter = new Converter(first, file, at);
  const root = first.contents === null ? undefined : converter.node(first.contents, undefined);
  if (root !== undefined && converter.issues.length === 0) {
    const size = expandedSize(root, new WeakMap());
    if (size > MAX_EXPANDED_NODES) converter.issues.push({ file, line: 1, column: 1, field: '', message: `aliases expand the document to more than ${MAX_EXPANDED_NODES} nodes` });
  }
  if (converter.issues.length > 0) return err(converter.issues);
  const warnings = [...converter.warnings];
  for (const w of first.warnings) warnings.push({ file, ...linecol(at(w.pos[0])), field: '', message: `YAML: ${w.message.split('\n')[0] ?? ''}` });
  const count = Array.isArray(docs) ? docs.length : 1;
  if (count > 1) {
    warnings.push({ file, line: 1, column: 1, field: '', message: `the file holds ${count} YAML documents: only the first is read (as process-exporter does); the others are not checked` });
  }
  return ok({ file, root, warnings, anchorHolders: converter.anchorHolders(first) });
}

function linecol(p: Pos): { line: number; column: number } {
  return { line: p.line, column: p.column };
}

function expandedSize(node: DocNode, memo: WeakMap<DocNode, number>): number {
  const known = memo.get(node);
  if (known !== undefined) return known;
  let size = 1;
  if (node.kind === 'seq') for (const item of node.items) size += expandedSize(item, memo);
  else if (node.kind === 'map') for (const e of node.entries) size += expandedSize(e.value, memo);
  memo.set(node, size);
  return Math.min(size, MAX_EXPANDED_NODES + 1);
}

class Converter {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly #doc: Document.Parsed;
  readonly #file: string;
  readonly #at: (offset: number | undefined) => Pos;
  readonly #done = new Map<YamlNode, DocNode>();
  readonly #inProgress = new Set<YamlNode>();
  readonly #usedAnchors = new Set<string>();

  constructor(doc: Document.Parsed, file: string, at: (offset: number | undefined) => Pos) {
    this.#doc = doc;
    this.#file = file;
    this.#at = at;
  }

  #issue(pos: Pos, message: string): void {
    this.issues.push({ file: this.#file, line: pos.line, column: pos.column, field: '', message });
  }

  /** `node` null (an empty value such as `key:`) is a null scalar at `fallback`. */
  node(node: YamlNode | null, fallback: Pos | undefined): DocNode {
    if (node === null) return { kind: 'scalar', pos: fallback ?? { line: 1, column: 1 }, value: null, text: '' };
    const pos = this.#at(node.range?.[0]);
    if (isAlias(node)) {
      this.#usedAnchors.add(node.source);
      const target = node.resolve(this.#doc);
      if (target === undefined) {
        this.#issue(pos, `alias *${node.source} has no anchor &${node.source} before it`);
        return { kind: 'scalar', pos, value: null, text: '' };
      }
      if (this.#inProgress.has(target)) {
        this.#issue(pos, `alias *${node.source} refers to a node that contains it`);
        return { kind: 'scalar', pos, value: null, text: '' };
      }
      return this.node(target, pos);
    }
    const known = this.#done.get(node);
    if (known !== undefined) return known;
    this.#inProgress.add(node);
    let out: DocNode;
    if (isScalar(node)) out = this.#scalar(node.value, node.source, node.tag, pos);
    else if (isSeq(node)) out = { kind: 'seq', pos, items: node.items.map((item) => this.node(item as YamlNode | null, pos)) };
    else if (isMap(node)) out = this.#map(node.items, pos);
    else {
      this.#issue(pos, 'unsupported YAML node');
      out = { kind: 'scalar', pos, value: null, text: '' };
    }
    this.#inProgress.delete(node);
    this.#done.set(node, out);
    return out;
  }

  #scalar(value: unknown, source: string | undefined, tag: string | undefined, pos: Pos): DocScalar {
    if (value instanceof Uint8Array || tag === BINARY_TAG) {
      const text = value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8') : String(value);
      return { kind: 'scalar', pos, value: text, text };
    }
    if (value === null || value === undefined) return { kind: 'scalar', pos, value: null, text: '' };
    if (typeof value === 'string') return { kind: 'scalar', pos, value, text: value };
    if (typeof value === 'number' || typeof value === 'boolean') return { kind: 'scalar', pos, value, text: source ?? String(value) };
    const text = source ?? (typeof value === 'bigint' ? value.toString() : '');
    return { kind: 'scalar', pos, value: text, text };
  }

  #map(pairs: readonly { key: unknown; value: unknown }[], pos: Pos): DocMap {
    const out = new Map<string, DocEntry>();
    /** Where each key was last written in this mapping (merged keys do not count as written here). */
    const written = new Map<string, Pos>();
    for (const pair of pairs) {
      const keyNode = pair.key as YamlNode | null;
      const keyPos = keyNode === null ? pos : this.#at(keyNode.range?.[0]);
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.value === '<<') {
        this.#merge(out, this.node(pair.value as YamlNode | null, keyPos), keyPos);
        continue;
      }
      let key: string;
      if (keyNode === null || isScalar(keyNode)) {
        key = keyNode === null ? '' : this.#scalar(keyNode.value, keyNode.source, keyNode.tag, keyPos).text;
      } else if (isAlias(keyNode)) {
        const k = this.node(keyNode, keyPos);
        if (k.kind !== 'scalar') {
          this.#issue(keyPos, 'a mapping key must be a string, not a list or a mapping');
          continue;
        }
        key = k.text;
      } else {
        this.#issue(keyPos, 'a mapping key must be a string, not a list or a mapping');
        continue;
      }
      const before = written.get(key);
      if (before !== undefined) {
        this.warnings.push({
          file: this.#file,
          line: keyPos.line,
          column: keyPos.column,
          field: '',
          message: `key "${key}" is also written at line ${before.line}: the last value is used, as process-exporter does`,
        });
      }
      written.set(key, keyPos);
      out.set(key, { key, keyPos, value: this.node(pair.value as YamlNode | null, keyPos) });
    }
    return { kind: 'map', pos, entries: [...out.values()] };
  }

  /** `<<`: a mapping's entries replace the keys so far; of a list of mappings, the first one wins (yaml.v2). */
  #merge(out: Map<string, DocEntry>, from: DocNode, keyPos: Pos): void {
    const sources = from.kind === 'map' ? [from] : from.kind === 'seq' ? [...from.items].reverse() : [];
    if (sources.length === 0 || sources.some((s) => s.kind !== 'map')) {
      this.#issue(keyPos, 'the merge key << takes a mapping or a list of mappings (e.g. <<: *base)');
      return;
    }
    for (const s of sources) if (s.kind === 'map') for (const e of s.entries) out.set(e.key, e);
  }

  /** Top-level keys whose value defines an anchor that an alias uses. */
  anchorHolders(doc: Document.Parsed): Set<string> {
    const holders = new Set<string>();
    const contents: unknown = doc.contents;
    if (!isMap(contents)) return holders;
    for (const pair of contents.items) {
      const key: unknown = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') continue;
      if (definesUsedAnchor(pair.value as YamlNode | null, this.#usedAnchors)) holders.add(key.value);
    }
    return holders;
  }
}

function definesUsedAnchor(node: YamlNode | null, used: ReadonlySet<string>): boolean {
  if (node === null || isAlias(node)) return false;
  if (node.anchor !== undefined && used.has(node.anchor)) return true;
  if (isSeq(node)) return node.items.some((item) => definesUsedAnchor(item as YamlNode | null, used));
  if (isMap(node)) return node.items.some((p) => definesUsedAnchor(p.value as YamlNode | null, used));
  return false;
}
