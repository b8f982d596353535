import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareGoStrings, escapeLabelValue, renderExposition } from '../../../src/series/exposition.js';

describe('renderExposition', () => {
  it('sorts families by name and samples by label values, with HELP and TYPE for each', () => {
    const text = renderExposition([
      {
        name: 'b_total',
        help: 'B',
        type: 'counter',
        samples: [
          { labels: [{ name: 'groupname', value: 'z' }], value: 1 },
          { labels: [{ name: 'groupname', value: 'a' }], value: 2 },
        ],
      },
      { name: 'a', help: 'A', type: 'gauge', samples: [{ labels: [], value: 1e6 }] },
      { name: 'empty', help: 'E', type: 'gauge', samples: [] },
    ]);
    assert.equal(
      text,
      '# HELP a A\n# TYPE a gauge\na 1e+06\n# HELP b_total B\n# TYPE b_total counter\nb_total{groupname="a"} 2\nb_total{groupname="z"} 1\n',
    );
  });

  it('escapes backslash, quote and newline in label values, and backslash and newline in HELP', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    const text = renderExposition([{ name: 'm', help: 'x\\y\nz', type: 'gauge', samples: [{ labels: [{ name: 'l', value: '"' }], value: 0 }] }]);
    assert.equal(text, '# HELP m x\\\\y\\nz\n# TYPE m gauge\nm{l="\\""} 0\n');
  });

  it('orders strings bytewise like Go, not by UTF-16 code units', () => {
    assert.ok(compareGoStrings('\uffff', '\u{10000}') < 0);
    assert.ok(compareGoStrings('A', 'a') < 0);
    assert.ok(compareGoStrings('', 'a') < 0);
    assert.equal(compareGoStrings('same', 'same'), 0);
  });
});
