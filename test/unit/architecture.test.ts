/**
 * The stages of src/ import one way (docs/architecture.md): `npm run lint` fails on an import that
 * runs up the stages. The rule is eslint.config.js's `procpush/stage-imports`; these tests check that
 * the project's config applies it to src/, and run it on files placed (by path) in the stage folders.
 * Within a stage, no file cycle either: the import graph of src/ has none.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import type { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = process.cwd();

/** The project's config as `npm run lint` computes it for a file of src/. */
async function projectConfigFor(relPath: string): Promise<{ rules: Record<string, unknown>; plugins: Record<string, unknown> }> {
  const config: unknown = await new ESLint({ cwd: ROOT }).calculateConfigForFile(join(ROOT, relPath));
  assert.ok(typeof config === 'object' && config !== null && 'rules' in config && 'plugins' in config);
  return config as { rules: Record<string, unknown>; plugins: Record<string, unknown> };
}

/** Lints `code` as if it were the file at `relPath`, with only the stage rule (no type information: fast). */
async function stageProblems(relPath: string, code: string): Promise<Linter.LintMessage[]> {
  const { plugins } = await projectConfigFor('src/base/result.ts');
  const plugin = plugins['procpush'] as ESLint.Plugin;
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { procpush: plugin },
        rules: { 'procpush/stage-imports': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, relPath) });
  assert.ok(result !== undefined);
  return result.messages;
}

describe('one-way imports (procpush/stage-imports)', () => {
  it('is an error for every file of src/ in the project config', async () => {
    for (const file of ['src/tracker/tracker.ts', 'src/push/remote-write/remote-write-sink.ts', 'src/cli/main.ts']) {
      const { rules } = await projectConfigFor(file);
      assert.deepEqual(rules['procpush/stage-imports'], [2], file);
    }
  });

  it('fails an import that runs up the stages, naming both folders', async () => {
    const messages = await stageProblems('src/tracker/probe.ts', "import type { EngineSettings } from '../config/engine.js';\nexport type X = EngineSettings;\n");
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.ruleId, 'procpush/stage-imports');
    assert.match(messages[0].message, /src\/tracker may import only from .*'\.\.\/config\/engine\.js' is in src\/config, which is above it/);
  });

  it('fails upward imports from nested folders, re-exports and dynamic imports too', async () => {
    const code = [
      "import { Agent } from '../../agent/agent.js';",
      "export { run } from '../../daemon/run.js';",
      "export const load = () => import('../../cli/main.js');",
      'export type A = Agent;',
    ].join('\n');
    const messages = await stageProblems('src/push/remote-write/probe.ts', code);
    assert.deepEqual(
      messages.map((m) => [m.ruleId, m.line]),
      [
        ['procpush/stage-imports', 1],
        ['procpush/stage-imports', 2],
        ['procpush/stage-imports', 3],
      ],
    );
  });

  it('accepts imports from the same folder and from the stages below', async () => {
    const code = [
      "import type { Label } from '../../series/types.js';",
      "import { ok } from '../../base/result.js';",
      "import type { Sink } from '../types.js';",
      "import { x } from './sibling.js';",
      'export const y = [ok, x];',
      'export type Z = Label | Sink;',
    ].join('\n');
    assert.deepEqual(await stageProblems('src/push/remote-write/probe.ts', code), []);
  });

  it('refuses a folder that is not a stage, and imports from outside src/', async () => {
    const stray = await stageProblems('src/extras/probe.ts', "import { ok } from '../base/result.js';\nexport const y = ok;\n");
    assert.match(stray[0]?.message ?? '', /src\/extras is not a stage/);
    const outside = await stageProblems('src/base/probe.ts', "import { x } from '../../test/helpers/servers.js';\nexport const y = x;\n");
    assert.match(outside[0]?.message ?? '', /outside it/);
  });
});

/** The .ts files under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of every file of src/ (type-only ones too: they are coupling as well). */
function importGraph(): Map<string, string[]> {
  const src = join(ROOT, 'src');
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => relative(src, resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'))));
    graph.set(relative(src, file), targets);
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('file cycles', () => {
  it('src/ has none', () => {
    const graph = importGraph();
    assert.ok(graph.size > 50 && [...graph.values()].some((t) => t.length > 3), 'the import graph was read');
    assert.deepEqual(cycles(graph), []);
  });

  it('the cycle finder finds one', () => {
    assert.deepEqual(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts']]);
  });
});

/**
 * Files and packages loaded when src/cli.ts starts, following the static value imports (not
 * `import type`, which TypeScript erases, and not `import()`, which runs only when called).
 */
function loadedAtStart(entry: string): { files: Set<string>; packages: Set<string> } {
  const src = join(ROOT, 'src');
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) visit(relative(src, resolve(dirname(join(src, file)), spec.replace(/\.js$/, '.ts'))));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
    }
  };
  visit(entry);
  return { files, packages };
}

describe('what serve and explain load', () => {
  it('neither the push stack nor zod nor node-cron: the sinks, protobufjs and the scheduler load only for run, once and check', () => {
    const { files, packages } = loadedAtStart('cli.ts');
    // cli.ts loads the CLI with import(): follow it, as every command does.
    for (const f of loadedAtStart('cli/main.ts').files) files.add(f);
    for (const p of loadedAtStart('cli/main.ts').packages) packages.add(p);
    assert.ok(files.has('daemon/serve.ts') && files.has('config/load.ts') && files.has('collector/explain.ts'), [...files].join(' '));
    for (const heavy of ['zod', 'protobufjs', 'node-cron', 'snappyjs']) assert.ok(!packages.has(heavy), `${heavy} is loaded at start: ${[...packages].join(' ')}`);
    const pushStack = [...files].filter((f) => /^push\/(create-sink|node-deps|delivery-queue|sink-common)\.ts$|^push\/(remote-write|pushgateway)\/|^agent\/(agent|schedule)\.ts$|^daemon\/(run|once|check|daemon|agent-setup)\.ts$/.test(f));
    assert.deepEqual(pushStack, []);
  });

  it('the test sees the push stack where it is loaded', () => {
    const { files, packages } = loadedAtStart('daemon/run.ts');
    assert.ok(files.has('push/create-sink.ts') && packages.has('protobufjs') && packages.has('node-cron'), [...packages].join(' '));
  });
});
