/**
 * Hostile /proc content never crashes a cycle: garbage, truncated or binary files, any bytes in comm and
 * cmdline, entries that are directories instead of files. Each costs at most that process's series, and
 * a healthy process next to them is always reported.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ProcfsReader } from '../../../src/procfs/reader.js';
import { Collector } from '../../../src/collector/collector.js';
import { FakeProcfs } from '../../helpers/fake-procfs.js';

const FILES = ['stat', 'status', 'io', 'limits', 'cmdline', 'cgroup', 'wchan', 'smaps_rollup'] as const;

describe('a cycle over hostile procfs content', () => {
  it('never throws and always reports the healthy process', () => {
    const base = mkdtempSync(join(tmpdir(), 'pp-hostile-'));
    let run = 0;
    try {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              file: fc.constantFrom(...FILES),
              content: fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), fc.constant('')),
              asDir: fc.boolean(),
            }),
            { minLength: 1, maxLength: 8 },
          ),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          (damage, commBytes) => {
            const root = join(base, String(run++));
            const fs = FakeProcfs.create(root, { btime: 1_700_000_000 });
            fs.addProcess({ pid: 10, comm: 'healthy', cmdline: ['healthy'] });
            fs.addProcess({ pid: 20, comm: 'victim', cmdline: ['victim', 'x'], threads: [{ tid: 21, name: 'w' }] });
            for (const d of damage) {
              const path = join(root, '20', d.file);
              rmSync(path, { recursive: true, force: true });
              if (d.asDir) mkdirSync(path);
              else writeFileSync(path, d.content);
            }
            // Any bytes in a thread's comm.
            writeFileSync(join(root, '20', 'task', '21', 'stat'), Buffer.concat([Buffer.from('21 ('), Buffer.from(commBytes), Buffer.from(') S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 5 0 0')]));
            const reader = ProcfsReader.open({ root, gatherSmaps: true });
            assert.ok(reader.ok);
            const collector = new Collector(reader.value, {
              namer: { matchAndName: (a) => ({ matched: true, name: a.comm }) },
              children: true,
              recheck: false,
              recheckTimeLimitMs: 0,
              removeEmptyGroups: false,
              threads: true,
              gatherSmaps: true,
              lookupUsername: String,
            });
            collector.prime(1_700_000_100_000);
            const report = collector.cycle(1_700_000_101_000);
            assert.equal(report.groups?.get('healthy')?.procs, 1);
            rmSync(root, { recursive: true, force: true });
          },
        ),
        { numRuns: 150, seed: 4242 },
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
