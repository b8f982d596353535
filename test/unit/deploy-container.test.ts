/**
 * deploy/container/Dockerfile cannot be built here (no container engine), so what can be checked without
 * building is: two stages on Node 20, every file it copies from the context exists and is not excluded
 * by its .dockerignore, what it copies from the build stage is what that stage produces, a non-root
 * user, `procpush` (dist/cli.js) as the entrypoint, and a default command the CLI accepts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = process.cwd();
const DIR = join(ROOT, 'deploy', 'container');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(): Instruction[] {
  const text = readFileSync(join(DIR, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      assert.ok(m !== null, l);
      return { op: (m[1] ?? '').toUpperCase(), args: m[2] ?? '' };
    });
}

/** The stages: FROM … [AS name] and the instructions under it. */
function stages(): { readonly from: string; readonly name: string | undefined; readonly body: Instruction[] }[] {
  const out: { from: string; name: string | undefined; body: Instruction[] }[] = [];
  for (const i of instructions()) {
    if (i.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      assert.ok(m !== null, i.args);
      out.push({ from: m[1] ?? '', name: m[2], body: [] });
    } else {
      const last = out.at(-1);
      assert.ok(last !== undefined, `${i.op} before FROM`);
      last.body.push(i);
    }
  }
  return out;
}

function jsonArray(text: string): string[] {
  const v: unknown = JSON.parse(text);
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `exec form expected: ${text}`);
  return v;
}

/** .dockerignore in the "ignore everything, then re-include" form the file uses. */
function included(path: string): boolean {
  const lines = readFileSync(join(DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(lines[0], '**', 'the ignore file starts by excluding everything');
  return lines.slice(1).some((l) => {
    assert.ok(l.startsWith('!'), `only re-includes after **: ${l}`);
    const pattern = l.slice(1);
    return pattern === path || (pattern.endsWith('/**') && (path === pattern.slice(0, -3) || path.startsWith(pattern.slice(0, -2))));
  });
}

describe('Dockerfile', () => {
  it('builds on Node 20 and runs on a Node 20 base without a shell', () => {
    const [build, runtime, ...more] = stages();
    assert.deepEqual(more, []);
    assert.match(build?.from ?? '', /^node:20[-.]/);
    assert.equal(build?.name, 'build');
    assert.match(runtime?.from ?? '', /^gcr\.io\/distroless\/nodejs20-debian12(:|$)/);
  });

  it('copies only files that exist in the context and that the ignore file lets through', () => {
    for (const s of stages()) {
      for (const i of s.body.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from='))) {
        const parts = i.args.split(/\s+/);
        for (const src of parts.slice(0, -1)) {
          assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: no such file in the repository`);
          assert.ok(included(src), `COPY ${src}: excluded by Dockerfile.dockerignore`);
        }
      }
    }
  });

  it('copies from the build stage only what it makes: package.json, node_modules (npm ci), dist (npm run build)', () => {
    const [build, runtime] = stages();
    const runs = (build?.body ?? []).filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    assert.match(runs, /npm ci/);
    assert.match(runs, /npm run build/);
    const outDir = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    assert.equal(outDir, 'dist');
    const fromBuild = (runtime?.body ?? []).filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build')).map((i) => i.args.split(/\s+/)[1]);
    assert.deepEqual(fromBuild.sort(), ['/src/dist', '/src/node_modules', '/src/package.json']);
  });

  it('runs as a non-root user with procpush (dist/cli.js) as the entrypoint', () => {
    const runtime = stages()[1]?.body ?? [];
    const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    assert.notEqual(user, '');
    assert.ok(!/^(0|root)(:|$)/.test(user), `USER ${user} is root`);
    const entrypoint = jsonArray(runtime.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
    assert.deepEqual(entrypoint, ['/nodejs/bin/node', '/app/dist/cli.js']);
  });

  const cliBuilt = existsSync(join(ROOT, 'dist', 'cli.js'));
  it('has a default command the CLI accepts, with a config the image contains', { skip: cliBuilt ? false : 'dist/cli.js is not built (npm run build; npm test builds it)' }, () => {
    const runtime = stages()[1]?.body ?? [];
    const cmd = jsonArray(runtime.find((i) => i.op === 'CMD')?.args ?? '[]');
    const local = cmd.map((a) => a.replace('/app/', `${ROOT}/`));
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'check', ...local.slice(1)], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(cmd[0], 'run');
    assert.equal(r.status, 0, r.stderr);
    const configCopied = runtime.some((i) => i.op === 'COPY' && /^config\s+\.\/config$/.test(i.args));
    assert.ok(configCopied, 'the image has /app/config');
  });
});
