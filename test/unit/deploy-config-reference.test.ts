/**
 * The config reference (config/example.yaml, which the README and docs/deployment.md point to) cannot
 * drift from the config schema: every key the schema accepts is documented there (as a key, or in a
 * comment for the options shown commented out), and every config shipped in deploy/ passes the
 * schema (through `procpush check`, in the deploy-* integration tests) with only documented keys.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { agentSectionsSchema } from '../../src/config/agent-sections.js';
import { ENGINE_OPTION_KEYS } from '../../src/config/engine-options.js';
import { TOP_LEVEL_KEYS } from '../../src/config/load.js';
import type { Shape } from '../../src/config/schema.js';
import { sinksSchema } from '../../src/config/sinks.js';

const ROOT = process.cwd();
const EXAMPLE = readFileSync(join(ROOT, 'config', 'example.yaml'), 'utf8');

/** Every key a schema shape accepts, with its path, through objects, lists and alternatives (not free-form records). */
function schemaKeys(shape: Shape, path: string, out: Map<string, string>): Map<string, string> {
  switch (shape.kind) {
    case 'object':
      for (const [k, v] of Object.entries(shape.keys)) {
        out.set(`${path}.${k}`, k);
        schemaKeys(v, `${path}.${k}`, out);
      }
      break;
    case 'list':
      schemaKeys(shape.item, `${path}[]`, out);
      break;
    case 'record':
      schemaKeys(shape.value, `${path}.*`, out);
      break;
    case 'union':
      for (const o of shape.options) schemaKeys(o, path, out);
      break;
    case 'leaf':
      break;
  }
  return out;
}

function documented(key: string): boolean {
  return new RegExp(`(^|[\\s{,#])${key}:`, 'm').test(EXAMPLE);
}

describe('config reference (config/example.yaml)', () => {
  it('documents every top-level key and every collection option', () => {
    assert.ok(ENGINE_OPTION_KEYS.every((k) => TOP_LEVEL_KEYS.includes(k)));
    for (const key of TOP_LEVEL_KEYS) {
      assert.ok(documented(key), `config/example.yaml does not document ${key}`);
    }
  });

  it('documents every sink option of both sink types', () => {
    const keys = schemaKeys(sinksSchema.shape, 'sinks', new Map());
    assert.ok(keys.size > 20, [...keys.keys()].join(' '));
    for (const [path, key] of keys) assert.ok(documented(key), `config/example.yaml does not document ${path}`);
  });

  it('documents every key of the schedule and shutdown sections', () => {
    const keys = schemaKeys(agentSectionsSchema({ validateCron: () => undefined }).shape, '', new Map());
    for (const k of ['.schedule.interval', '.schedule.cron', '.shutdown.timeout', '.shutdown.stale_markers']) assert.ok(keys.has(k), [...keys.keys()].join(' '));
    for (const [path, key] of keys) assert.ok(documented(key), `config/example.yaml does not document ${path}`);
  });

  it('the configs in deploy/ use only keys the reference documents', () => {
    const configs: { readonly name: string; readonly text: string }[] = [
      { name: 'deploy/systemd/procpush.yaml', text: readFileSync(join(ROOT, 'deploy', 'systemd', 'procpush.yaml'), 'utf8') },
      ...['base/configmap.yaml', 'overlays/pushgateway/procpush-config.yaml', 'overlays/remote-write/procpush-config.yaml'].map((f) => {
        const cm = parseYaml(readFileSync(join(ROOT, 'deploy', 'kubernetes', f), 'utf8')) as { data: Record<string, string> };
        return { name: `deploy/kubernetes/${f}`, text: cm.data['procpush.yaml'] ?? '' };
      }),
    ];
    const walk = (v: unknown, name: string, inProcessNames: boolean): void => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x, name, inProcessNames);
        return;
      }
      if (typeof v !== 'object' || v === null) return;
      for (const [k, x] of Object.entries(v)) {
        // labels and headers hold free-form names; process_names items use process-exporter's keys.
        if (!inProcessNames) assert.ok(documented(k), `${name}: key ${k} is not in config/example.yaml`);
        if (k !== 'labels' && k !== 'headers' && k !== 'grouping') walk(x, name, inProcessNames || k === 'process_names');
      }
    };
    for (const { name, text } of configs) {
      assert.notEqual(text, '', name);
      walk(parseYaml(text), name, false);
    }
  });
});
