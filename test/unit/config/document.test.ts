import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { locate, MAX_EXPANDED_NODES, nodeAt, parseConfigDocument, toPlain, type ConfigDocument } from '../../../src/config/document.js';
import { formatConfigIssue } from '../../../src/config/issues.js';

function doc(text: string): ConfigDocument {
  const r = parseConfigDocument(text, 'c.yaml');
  if (!r.ok) assert.fail(r.error.map(formatConfigIssue).join('\n'));
  return r.value;
}

function problems(text: string): string[] {
  const r = parseConfigDocument(text, 'c.yaml');
  if (r.ok) assert.fail('expected problems');
  return r.error.map(formatConfigIssue);
}

describe('the located document', () => {
  it('places every key and value at its line and column', () => {
    const d = doc('a: 1\nb:\n  - x\n  - { c: true }\n');
    assert.deepEqual(locate(d.root, ['a']), { line: 1, column: 1 });
    assert.deepEqual(locate(d.root, ['b', 1]), { line: 4, column: 5 });
    assert.deepEqual(locate(d.root, ['b', 1, 'c']), { line: 4, column: 7 });
    // A missing key is shown at the deepest part present: the mapping that lacks it.
    assert.deepEqual(locate(d.root, ['b', 1, 'missing']), { line: 4, column: 5 });
    assert.deepEqual(toPlain(d.root), { a: 1, b: ['x', { c: true }] });
  });

  it('keeps the text of scalars as written for string fields (yaml.v2), and their core value', () => {
    const d = doc('a: [0x10, true, 1e3, ~, "q"]\n');
    const items = nodeAt(d.root, ['a']);
    assert.ok(items?.kind === 'seq');
    assert.deepEqual(
      items.items.map((n) => (n.kind === 'scalar' ? [n.value, n.text] : undefined)),
      [
        [16, '0x10'],
        [true, 'true'],
        [1000, '1e3'],
        [null, ''],
        ['q', 'q'],
      ],
    );
  });

  it('expands aliases, including one that stands for a list', () => {
    const d = doc('names: &n [a, b]\nrule: { comm: *n }\n');
    assert.deepEqual(toPlain(nodeAt(d.root, ['rule'])), { comm: ['a', 'b'] });
  });

  it('applies merge keys in the order written, and the first of a list of mappings wins (yaml.v2)', () => {
    const d = doc('a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nbefore: { x: 0, <<: *a }\nafter: { <<: *a, x: 0 }\nlist: { <<: [*a, *b] }\n');
    assert.deepEqual(toPlain(nodeAt(d.root, ['before'])), { x: 1, y: 1 });
    assert.deepEqual(toPlain(nodeAt(d.root, ['after'])), { x: 0, y: 1 });
    assert.deepEqual(toPlain(nodeAt(d.root, ['list'])), { y: 1, z: 2, x: 1 });
  });

  it('treats a quoted "<<" as an ordinary key', () => {
    assert.deepEqual(toPlain(doc('"<<": 1\n').root), { '<<': 1 });
  });

  it('uses the last value of a key written twice, with a warning naming both lines', () => {
    const d = doc('a: 1\nb: 2\na: 3\n');
    assert.deepEqual(toPlain(d.root), { a: 3, b: 2 });
    assert.deepEqual(d.warnings.map(formatConfigIssue), ['c.yaml:3:1: key "a" is also written at line 1: the last value is used, as process-exporter does']);
  });

  it('reads the first of several documents and says so', () => {
    const d = doc('a: 1\n---\nb: [\n');
    assert.deepEqual(toPlain(d.root), { a: 1 });
    assert.match(d.warnings.map(formatConfigIssue).join('\n'), /2 YAML documents: only the first is read/);
  });

  it('decodes !!binary scalars to text', () => {
    assert.deepEqual(toPlain(doc(`a: !!binary ${Buffer.from('héllo').toString('base64')}\n`).root), { a: 'héllo' });
  });

  it('knows which top-level keys only hold anchors that aliases use', () => {
    const d = doc('helper: &h [a]\nnested: { deep: &d 1 }\nunused: &u 2\nuses: [*h, *d]\n');
    assert.deepEqual([...d.anchorHolders].sort(), ['helper', 'nested']);
  });

  it('is empty for an empty file or one with only comments', () => {
    assert.equal(doc('').root, undefined);
    assert.equal(doc('# nothing\n').root, undefined);
  });

  it('refuses a syntax error, an alias without anchor, a self-containing alias, a bad merge and a non-string key, with their places', () => {
    assert.match(problems('a: [\n')[0] ?? '', /^c\.yaml:\d+:\d+: YAML syntax error: /);
    assert.deepEqual(problems('a: *nope\n'), ['c.yaml:1:4: alias *nope has no anchor &nope before it']);
    assert.deepEqual(problems('a: &x [1, *x]\n'), ['c.yaml:1:11: alias *x refers to a node that contains it']);
    assert.deepEqual(problems('a: { <<: 1 }\n'), ['c.yaml:1:6: the merge key << takes a mapping or a list of mappings (e.g. <<: *base)']);
    assert.deepEqual(problems('? [a]\n: 1\n'), ['c.yaml:1:3: a mapping key must be a string, not a list or a mapping']);
  });

  it('refuses aliases that expand the document beyond the bound, without expanding it', () => {
    let text = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 6; i++) text += `l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    assert.deepEqual(problems(text), [`c.yaml:1:1: aliases expand the document to more than ${MAX_EXPANDED_NODES} nodes`]);
    assert.ok(Date.now() - started < 2000);
  });
});
