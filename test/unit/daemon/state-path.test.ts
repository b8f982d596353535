/**
 * Where the state lives when the config does not say (src/daemon/state-path.ts), and the shipped
 * config of `npm start` keeping it inside the checkout, git-ignored.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { resolveStatePath, type StatePathInput } from '../../../src/daemon/state-path.js';

const ROOT = process.cwd();

function input(over: Partial<StatePathInput>): StatePathInput {
  return { configured: undefined, configDir: '/etc/procpush', env: {}, homeDir: '/home/u', writable: () => false, ...over };
}

describe('state path', () => {
  it('follows state_file: absolute as is, relative to the config file, "" for none', () => {
    assert.deepEqual(resolveStatePath(input({ configured: '/s/x.state' })), { path: '/s/x.state', source: 'state_file' });
    assert.deepEqual(resolveStatePath(input({ configured: 'sub/x.state' })), { path: '/etc/procpush/sub/x.state', source: 'state_file' });
    assert.deepEqual(resolveStatePath(input({ configured: '' })), { path: undefined, source: 'state_file' });
  });

  it('defaults to $STATE_DIRECTORY, then /var/lib/procpush when writable, then the XDG state directory', () => {
    assert.equal(resolveStatePath(input({ env: { STATE_DIRECTORY: '/var/lib/procpush:/other' }, writable: () => true })).path, '/var/lib/procpush/procpush.state');
    assert.equal(resolveStatePath(input({ env: { STATE_DIRECTORY: '/run/x' } })).source, 'STATE_DIRECTORY');
    const probed: string[] = [];
    const root = resolveStatePath(input({ writable: (d) => (probed.push(d), true) }));
    assert.deepEqual(root, { path: '/var/lib/procpush/procpush.state', source: 'system' });
    assert.deepEqual(probed, ['/var/lib/procpush']);
    assert.deepEqual(resolveStatePath(input({ env: { XDG_STATE_HOME: '/home/u/.st' } })), { path: '/home/u/.st/procpush/procpush.state', source: 'XDG_STATE_HOME' });
    // The XDG spec: a relative XDG_STATE_HOME is ignored.
    assert.deepEqual(resolveStatePath(input({ env: { XDG_STATE_HOME: 'rel' } })), { path: '/home/u/.local/state/procpush/procpush.state', source: 'home' });
  });

  it('npm start (config/procpush.yaml) keeps its state inside the checkout, in a git-ignored directory', () => {
    const cfg = parseYaml(readFileSync(join(ROOT, 'config', 'procpush.yaml'), 'utf8')) as { state_file?: string };
    const r = resolveStatePath(input({ configured: cfg.state_file, configDir: join(ROOT, 'config'), writable: () => true }));
    assert.equal(r.path, join(ROOT, 'var', 'procpush.state'));
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^var\/$/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(!pkg.files.some((f) => f.startsWith('var')), 'never packed');
  });
});
