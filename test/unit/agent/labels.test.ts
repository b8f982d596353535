import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv, resolveStaticLabels } from '../../../src/agent/labels.js';
import type { HostFacts } from '../../../src/agent/labels.js';

const host = (env: Record<string, string> = {}): HostFacts => ({
  env,
  hostname: 'box1',
  interfaces: {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/24' }],
  },
});

describe('resolveStaticLabels', () => {
  it('defaults node to the hostname, ip to the first non-loopback address and instance to the node', () => {
    const r = resolveStaticLabels({}, host());
    assert.deepEqual(r, { ok: true, value: [{ name: 'instance', value: 'box1' }, { name: 'ip', value: '10.1.2.3' }, { name: 'node', value: 'box1' }] });
  });

  it('prefers NODE_NAME and NODE_IP from the environment (the Kubernetes downward API)', () => {
    const r = resolveStaticLabels({ team: 'infra' }, host({ NODE_NAME: 'k8s-node-7', NODE_IP: '192.0.2.7' }));
    assert.ok(r.ok);
    assert.deepEqual(Object.fromEntries(r.value.map((l) => [l.name, l.value])), { instance: 'k8s-node-7', ip: '192.0.2.7', node: 'k8s-node-7', team: 'infra' });
  });

  it('expands ${ENV} and ${ENV:-default} in configured values', () => {
    const r = resolveStaticLabels({ dc: '${DC}', rack: '${RACK:-r0}' }, host({ DC: 'fra1' }));
    assert.ok(r.ok);
    const m = Object.fromEntries(r.value.map((l) => [l.name, l.value]));
    assert.equal(m['dc'], 'fra1');
    assert.equal(m['rack'], 'r0');
  });

  it('rejects an unset variable, an invalid name and a label that would shadow a series label', () => {
    const r = resolveStaticLabels({ dc: '${NOPE}', 'bad-name': 'x', groupname: 'y' }, host());
    assert.ok(!r.ok);
    assert.equal(r.error.length, 3);
    const text = r.error.map((p) => `labels.${p.name}: ${p.message}`).join('\n');
    assert.match(text, /NOPE is not set/);
    assert.match(text, /bad-name: invalid label name/);
    assert.match(text, /groupname.*cannot be set statically/);
  });

  it('keeps $$ as a literal dollar', () => {
    assert.deepEqual(expandEnv('a$$b', {}), { ok: true, value: 'a$b' });
  });
});
