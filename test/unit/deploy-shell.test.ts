/**
 * The shell the deployment asks people to run passes shellcheck (Debian package shellcheck): the install
 * script and the README walkthrough block (which deploy-walkthrough.test.ts also runs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = process.cwd();
const SHELLCHECK = ['/usr/bin/shellcheck', '/bin/shellcheck'].find((p) => existsSync(p));
const skip = SHELLCHECK === undefined ? 'shellcheck is not installed (Debian package shellcheck; .ci/run installs it)' : false;

function shellcheck(args: readonly string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync(SHELLCHECK ?? 'shellcheck', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, input });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('deployment shell', { skip }, () => {
  it('deploy/install.sh passes shellcheck', () => {
    const r = shellcheck(['deploy/install.sh']);
    assert.equal(r.status, 0, r.output);
  });

  it('the README walkthrough block passes shellcheck as bash', () => {
    const m = /<!-- walkthrough:begin -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(m !== null);
    const r = shellcheck(['--shell=bash', '-'], m[1]);
    assert.equal(r.status, 0, r.output);
  });
});
