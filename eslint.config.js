import { dirname, join, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The stages of src/, bottom to top (docs/architecture.md). A file in src/<stage>/ imports only from
 * its own stage and the stages below it; the files at the root of src/ (the executable) are above all.
 */
export const STAGES = ['base', 'gotemplate', 'procfs', 'naming', 'tracker', 'series', 'collector', 'push', 'agent', 'config', 'daemon', 'cli'];

const SRC = join(import.meta.dirname, 'src');

/** The stage of a file under src/: its first folder, 'root' for src/*.ts, undefined outside src/. */
function stageOf(file) {
  const rel = relative(SRC, file);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? 'root' : parts[0];
}

/** `procpush/stage-imports`: relative imports of src/ files run down the stages only. */
const stageImports = {
  meta: {
    type: 'problem',
    docs: { description: 'imports in src/ run down the stages (docs/architecture.md)' },
    schema: [],
    messages: {
      upward: "src/{{from}} may import only from its own folder and the stages below it ({{below}}); '{{source}}' is in src/{{to}}, which is above it. Stages, bottom to top: {{order}}.",
      outside: "src/ files import only from src/: '{{source}}' is outside it.",
      unknown: "src/{{folder}} is not a stage: add it to STAGES in eslint.config.js and to docs/architecture.md.",
    },
  },
  create(context) {
    const file = context.filename;
    const from = stageOf(file);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const to = stageOf(target);
      if (to === undefined) {
        context.report({ node, messageId: 'outside', data: { source } });
        return;
      }
      if (from === 'root') return;
      for (const folder of [from, to]) {
        if (folder !== 'root' && !STAGES.includes(folder)) {
          context.report({ node, messageId: 'unknown', data: { folder } });
          return;
        }
      }
      if (to === 'root' || STAGES.indexOf(to) > STAGES.indexOf(from)) {
        const below = STAGES.slice(0, STAGES.indexOf(from)).join(', ') || 'none';
        context.report({ node, messageId: 'upward', data: { from, to, source, below, order: STAGES.join(' → ') } });
      }
    };
    const fromSource = (node) => {
      if (node.source !== null && node.source !== undefined) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
    };
  },
};

export const procpushPlugin = { rules: { 'stage-imports': stageImports } };

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      // node:test's describe/it return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { procpush: procpushPlugin },
    rules: { 'procpush/stage-imports': 'error' },
  },
);
