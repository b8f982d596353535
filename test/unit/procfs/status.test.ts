import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStatus, parseStatusBytes } from '../../../src/procfs/status.js';
import { fixture, statusText } from './fake-procfs.js';

void describe('parseStatus', () => {
  void it('reads euid, VmSwap and context switches from a captured process', () => {
    assert.deepEqual(parseStatus(fixture('sleep/status')), {
      euid: 0,
      vmSwapBytes: 0,
      voluntaryCtxtSwitches: 1,
      nonvoluntaryCtxtSwitches: 0,
    });
  });

  void it('takes the effective uid, the second value of Uid:', () => {
    assert.equal(parseStatus(statusText({ uid: [1000, 33, 1000, 1000] }))?.euid, 33);
  });

  void it('converts VmSwap from kB to bytes', () => {
    assert.equal(parseStatus(statusText({ vmSwapKb: 10 }))?.vmSwapBytes, 10240);
  });

  void it('reads a kernel thread, which has no VmSwap line, as 0 bytes swapped', () => {
    const status = parseStatus(fixture('kthreadd/status'));
    assert.deepEqual(status, { euid: 0, vmSwapBytes: 0, voluntaryCtxtSwitches: 59, nonvoluntaryCtxtSwitches: 0 });
  });

  void it('reads the two context-switch counters separately', () => {
    const status = parseStatus(statusText({ voluntary: 997, nonvoluntary: 439 }));
    assert.equal(status?.voluntaryCtxtSwitches, 997);
    assert.equal(status.nonvoluntaryCtxtSwitches, 439);
  });

  void it('reads missing lines as 0, like Go zero values in procfs', () => {
    assert.deepEqual(parseStatus('Name:\tx\nState:\tS (sleeping)\n'), {
      euid: 0,
      vmSwapBytes: 0,
      voluntaryCtxtSwitches: 0,
      nonvoluntaryCtxtSwitches: 0,
    });
    assert.deepEqual(parseStatus(''), { euid: 0, vmSwapBytes: 0, voluntaryCtxtSwitches: 0, nonvoluntaryCtxtSwitches: 0 });
  });

  void it('reads unparseable numeric values as 0', () => {
    const text = statusText({ vmSwapKb: 5 }).replace('VmSwap:\t       5 kB', 'VmSwap:\tlots').replace('voluntary_ctxt_switches:\t0', 'voluntary_ctxt_switches:\t-3');
    const status = parseStatus(text);
    assert.equal(status?.vmSwapBytes, 0);
    assert.equal(status.voluntaryCtxtSwitches, 0);
  });

  void it('does not confuse nonvoluntary_ctxt_switches with voluntary_ctxt_switches', () => {
    const status = parseStatus('nonvoluntary_ctxt_switches:\t5\nvoluntary_ctxt_switches:\t7\n');
    assert.equal(status?.voluntaryCtxtSwitches, 7);
    assert.equal(status.nonvoluntaryCtxtSwitches, 5);
  });

  void it('fails on a malformed id list, as procfs does', () => {
    assert.equal(parseStatus('Uid:\t0 0 0 0\n'), undefined, 'spaces instead of tabs');
    assert.equal(parseStatus('Uid:\n'), undefined, 'empty');
    assert.equal(parseStatus('Uid:\t1\t2\t3\t4\t5\n'), undefined, 'more than four');
    assert.equal(parseStatus('Gid:\tx\t0\t0\t0\n'), undefined);
    assert.equal(parseStatus('NSpid:\t5\tx\n'), undefined);
    assert.equal(parseStatus('Uid:\t7\n')?.euid, 0, 'one value: the effective uid is the zero value');
  });

  void it('reads a final line without a newline and ignores bytes past the end', () => {
    assert.equal(parseStatus('voluntary_ctxt_switches:\t12')?.voluntaryCtxtSwitches, 12);
    const buf = Buffer.alloc(256, 0x39); // stale '9's after the content
    const text = 'voluntary_ctxt_switches:\t12';
    buf.write(text);
    assert.equal(parseStatusBytes(buf, text.length)?.voluntaryCtxtSwitches, 12);
  });
});
