/**
 * The stages of src/ import one way (docs/architecture.md): `npm run lint` fails on an import that
 * runs up the stages. The rule is eslint.config.js's `procpush/stage-imports`; these tests check that
 * the project's config applies it to src/, and run it on files placed (by path) in the stage folders.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
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
