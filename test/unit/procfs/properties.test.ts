import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBootTime } from '../../../src/procfs/boot-time.js';
import { parseCgroup } from '../../../src/procfs/cgroup.js';
import { parseCmdline } from '../../../src/procfs/cmdline.js';
import { parseIo } from '../../../src/procfs/io.js';
import { parseLimits } from '../../../src/procfs/limits.js';
import { parseSmaps, parseSmapsRollup } from '../../../src/procfs/smaps.js';
import { parseStat } from '../../../src/procfs/stat.js';
import { parseStatus } from '../../../src/procfs/status.js';
import { parseWchan } from '../../../src/procfs/wchan.js';
import { ioText, statLine } from './fake-procfs.js';

/** Fixed seed: the suite is deterministic; raise numRuns locally to search harder. */
const params = { seed: 20261121, numRuns: 300 } as const;

const parsers: readonly [string, (input: string | Uint8Array) => unknown][] = [
  ['stat', parseStat],
  ['status', parseStatus],
  ['io', parseIo],
  ['limits', parseLimits],
  ['smaps_rollup', parseSmapsRollup],
  ['smaps', parseSmaps],
  ['cmdline', parseCmdline],
  ['cgroup', parseCgroup],
  ['wchan', parseWchan],
  ['btime', parseBootTime],
];

/** Text that looks enough like a procfs file to reach the deeper branches of the parsers. */
const procLike = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('(', ')', ':', '\t', ' ', '\n', '\0', ' kB', 'Uid:', 'Pss:', 'Max open files  ', 'btime ', 'read_bytes: '),
      fc.bigInt({ min: -1n, max: 2n ** 65n }).map(String),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

void describe('parser robustness', () => {
  for (const [name, parse] of parsers) {
    void it(`${name} never throws on arbitrary text`, () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary' }), procLike), (text) => {
          parse(text);
        }),
        params,
      );
    });

    void it(`${name} never throws on arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          parse(bytes);
        }),
        params,
      );
    });
  }
});

void describe('parser round trips', () => {
  void it('stat returns any comm (with ")", "(", spaces, newlines) and the numeric fields it was built from', () => {
    const count = fc.maxSafeNat();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 32 }),
        fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'I', 'X'),
        fc.record({ ppid: fc.nat(), minflt: count, majflt: count, utime: count, stime: count, numThreads: fc.nat() }),
        fc.record({ starttime: count, vsize: count, rss: fc.nat() }),
        (comm, state, a, b) => {
          const stat = parseStat(statLine({ pid: 4321, comm, state, ...a, ...b }));
          assert.deepEqual(stat, { pid: 4321, comm, state, ...a, ...b });
        },
      ),
      params,
    );
  });

  void it('stat round-trips a comm full of the characters that break naive parsers', () => {
    const nasty = fc.string({ unit: fc.constantFrom(')', '(', ' ', '\n', 'a', ') S 1 2'), maxLength: 20 });
    fc.assert(
      fc.property(nasty, (comm) => {
        assert.equal(parseStat(statLine({ pid: 1, comm }))?.comm, comm);
      }),
      params,
    );
  });

  void it('cmdline returns the arguments it was built from', () => {
    const arg = fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 8 }), (args) => {
        assert.deepEqual(parseCmdline(`${args.join('\0')}\0`), args);
      }),
      params,
    );
  });

  void it('cgroup returns the paths it was built from', () => {
    const path = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\n') && !s.endsWith('\r'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(12), path), { maxLength: 6 }), (lines) => {
        const text = lines.map(([id, p]) => `${id}:cpu,memory:${p}\n`).join('');
        assert.deepEqual(
          parseCgroup(text),
          lines.map(([, p]) => p),
        );
      }),
      params,
    );
  });

  void it('io returns any uint64 byte counts exactly up to 2^53', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (r, w) => {
        assert.deepEqual(parseIo(ioText(r, w)), { readBytes: r, writeBytes: w });
      }),
      params,
    );
  });
});
