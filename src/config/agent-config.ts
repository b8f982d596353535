import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
// Type-only: the agent sections' zod errors are turned into issues here, but zod itself is loaded only
// by the modules that validate those sections (see engine-options.ts for why).
import type { z } from 'zod';
import type { Result } from '../base/result.js';
import { describeError, err, ok } from '../base/result.js';
import type { ConfigIssue, MatchNamer } from './process-names.js';
import { compileProcessNames } from './process-names.js';
import type { EngineFileOptions } from './engine-options.js';
import { validateEngineOptions } from './engine-options.js';

export type { EngineFileOptions } from './engine-options.js';

/**
 * The procpush config file: process-exporter's `process_names` unchanged, plus top-level options.
 * Every key is documented with its default and unit in config/example.yaml.
 */

export interface LoadedConfig {
  readonly file: string;
  readonly namer: MatchNamer;
  readonly engine: EngineFileOptions;
  /** The whole parsed document as plain data, for the sections other modules validate. */
  readonly raw: Readonly<Record<string, unknown>>;
  /** The file's text, for the modules that validate their own sections. */
  readonly text: string;
}

/** Top-level keys that belong to other modules (push delivery); validated there, with the same issue format. */
export const PUSH_KEYS = ['schedule', 'labels', 'sinks', 'listen', 'state_file', 'state_checkpoint', 'shutdown'] as const;

/** Reads and validates a config file. Errors name the file, line, column and field. */
export function loadConfigFile(path: string): Result<LoadedConfig, ConfigIssue[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err([{ file: path, line: 0, column: 0, field: '', message: `cannot read config file: ${describeError(e)}` }]);
  }
  return parseConfigText(text, path);
}

/** Parses config text (pure). */
export function parseConfigText(text: string, file: string): Result<LoadedConfig, ConfigIssue[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${e.message.split('\n')[0] ?? ''}` };
      }),
    );
  }
  const issues: ConfigIssue[] = [];
  const data: unknown = doc.toJS();
  const raw: Record<string, unknown> = {};
  if (data !== null && data !== undefined) {
    if (typeof data !== 'object' || Array.isArray(data)) {
      return err([{ file, line: 1, column: 1, field: '', message: 'the config must be a mapping with a process_names key' }]);
    }
    Object.assign(raw, data);
  }

  const namer = compileProcessNames(doc, lineCounter, file);
  if (!namer.ok) issues.push(...namer.error);

  const engineRaw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'process_names' || (PUSH_KEYS as readonly string[]).includes(k)) continue;
    engineRaw[k] = v;
  }
  const engine = validateEngineOptions(engineRaw);
  for (const { key, message } of engine.issues) {
    const pos = locate(doc, lineCounter, [key]);
    issues.push({ file, line: pos.line, column: pos.col, field: key, message });
  }

  if (issues.length > 0 || !namer.ok) return err(issues);
  return ok({ file, namer: namer.value, engine: engine.options, raw, text });
}

/** Turns zod issues into ConfigIssues located at the YAML node they concern. */
export function zodIssues(
  error: z.ZodError,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  file: string,
  prefix: readonly (string | number)[],
): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
    let message = issue.message;
    let located = path;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      located = [...path, key];
      message = `unknown key "${key}"`;
    }
    const pos = locate(doc, lineCounter, located);
    return { file, line: pos.line, column: pos.col, field: formatPath(located), message };
  });
}

/** An issue about the field at `path` of a config text, located at its line and column. */
export function issueAt(text: string, file: string, path: readonly (string | number)[], message: string): ConfigIssue {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const pos = locate(doc, lineCounter, path);
  return { file, line: pos.line, column: pos.col, field: formatPath(path), message };
}

function locate(doc: Document.Parsed, lineCounter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node: unknown = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      // For a key we want the key's position: find it in the parent map.
      if (n === path.length && n > 0) {
        const keyPos = keyPosition(doc, lineCounter, sub);
        if (keyPos !== undefined) return keyPos;
      }
      return lineCounter.linePos(node.range[0]);
    }
    if (n === path.length && n > 0) {
      const keyPos = keyPosition(doc, lineCounter, sub);
      if (keyPos !== undefined) return keyPos;
    }
  }
  return { line: 1, col: 1 };
}

function keyPosition(doc: Document.Parsed, lineCounter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } | undefined {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  const parent: unknown = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (typeof last !== 'string' || !isNode(parent) || !('items' in parent) || !Array.isArray(parent.items)) return undefined;
  for (const item of parent.items as unknown[]) {
    if (typeof item === 'object' && item !== null && 'key' in item) {
      const key: unknown = item.key;
      if (isNode(key) && 'value' in key && key.value === last && key.range) return lineCounter.linePos(key.range[0]);
    }
  }
  return undefined;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
