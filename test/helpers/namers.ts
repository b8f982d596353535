import type { GrouperOptions } from '../../src/tracker/grouper.js';
import type { ProcAttributes } from '../../src/base/process.js';

/** Tracks processes whose comm is a key of `groups`, under that group name. */
export function namerFor(groups: Record<string, string>): GrouperOptions['namer'] {
  return {
    matchAndName(a: ProcAttributes) {
      const name = groups[a.comm];
      return name === undefined ? { matched: false } : { matched: true, name };
    },
  };
}
