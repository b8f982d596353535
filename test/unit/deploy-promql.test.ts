/**
 * The PromQL shipped in deploy/ (the Grafana dashboard and the alert rules) names only metrics that
 * exist: the namedprocess_* families procpush emits (src/series/namedprocess.ts, the same names as
 * process-exporter), procpush's own procpush_* self-metrics (src/agent/self-metrics.ts) and the two
 * gauges the Pushgateway adds to every group. The dashboard is well-formed and filters by node and group.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

const ROOT = process.cwd();
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'procpush-dashboard.json');
const ALERTS = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml');

/** Metric names as they appear as string literals in a source file. */
function namesIn(file: string, prefix: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return new Set([...text.matchAll(new RegExp(`'(${prefix}[a-z_]+)'`, 'g'))].map((m) => m[1] ?? ''));
}

const NAMEDPROCESS = namesIn('src/series/namedprocess.ts', 'namedprocess_');
const SELF = namesIn('src/agent/self-metrics.ts', 'procpush_');
/** Added by the Pushgateway to every group (push-protocols.md §1.6). */
const PUSHGATEWAY = new Set(['push_time_seconds', 'push_failure_time_seconds']);
const KNOWN = new Set([...NAMEDPROCESS, ...SELF, ...PUSHGATEWAY]);

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan', 'atan2']);

/**
 * The metric names an expression selects: identifiers outside strings, label matchers and grouping
 * clauses that are not functions (followed by `(`), keywords, durations or Grafana variables.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const out: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = m[1] ?? '';
    if (m[2] !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    out.push(name);
  }
  return out;
}

interface Target {
  readonly expr: string;
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly Target[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly type: string; readonly query?: unknown }[] };
}

function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

function dashboardExprs(): { readonly panel: string; readonly expr: string }[] {
  return dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

function alertExprs(): { readonly alert: string; readonly expr: string }[] {
  const doc = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

describe('metricNames', () => {
  it('finds the selected metrics and skips functions, labels, groupings, ranges and variables', () => {
    assert.deepEqual(
      metricNames('sum by (node, groupname) (rate(namedprocess_namegroup_cpu_seconds_total{node=~"$node", mode="user"}[$__rate_interval])) / on (node) group_left procpush_series offset 5m'),
      ['namedprocess_namegroup_cpu_seconds_total', 'procpush_series'],
    );
    assert.deepEqual(metricNames('time() - push_time_seconds{job="procpush"} > 300 and push_time_seconds > 0'), ['push_time_seconds', 'push_time_seconds']);
  });
});

describe('PromQL in deploy/', () => {
  it('the known names come from the sources (the lists are not empty or stale)', () => {
    assert.ok(NAMEDPROCESS.has('namedprocess_namegroup_num_procs') && NAMEDPROCESS.size >= 20, [...NAMEDPROCESS].join(' '));
    assert.ok(SELF.has('procpush_last_cycle_timestamp_seconds') && SELF.has('procpush_sink_samples_failed_total'), [...SELF].join(' '));
  });

  it('the namedprocess names the dashboard and alerts use are process-exporter\'s (captured from its binary)', () => {
    const captured = readFileSync(join(ROOT, 'test', 'fixtures', 'process-exporter-0.7.10-families.txt'), 'utf8');
    const reference = new Set(captured.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
    assert.ok(reference.size >= 20 && reference.has('namedprocess_namegroup_num_procs'), [...reference].join(' '));
    const used = [...dashboardExprs(), ...alertExprs()].flatMap((e) => metricNames(e.expr)).filter((n) => n.startsWith('namedprocess_'));
    for (const name of new Set(used)) assert.ok(reference.has(name), `${name} is not a process-exporter 0.7.10 family`);
    assert.deepEqual([...NAMEDPROCESS].sort(), [...reference].sort(), 'procpush emits exactly process-exporter\'s families');
  });

  it('every dashboard expression selects only metrics that exist', () => {
    for (const { panel, expr } of dashboardExprs()) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${panel}: ${expr}`);
      for (const n of names) assert.ok(KNOWN.has(n), `${panel}: unknown metric ${n} in ${expr}`);
    }
  });

  it('every alert expression selects only metrics that exist', () => {
    const alerts = alertExprs();
    assert.ok(alerts.length > 0);
    for (const { alert, expr } of alerts) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${alert}: ${expr}`);
      for (const n of names) assert.ok(KNOWN.has(n), `${alert}: unknown metric ${n} in ${expr}`);
    }
  });
});

describe('Grafana dashboard', () => {
  it('has unique panel ids, one data-source variable on every panel, and node, group and memtype filters', () => {
    const d = dashboard();
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.type, 'datasource');
    for (const v of ['node', 'groupname', 'memtype']) assert.equal(vars.get(v)?.type, 'query', v);
    for (const p of d.panels.filter((x) => x.type !== 'row')) assert.equal(p.datasource?.uid, '${datasource}', p.title);
  });

  it('filters every namedprocess query by node and group, and every procpush query by node', () => {
    for (const { panel, expr } of dashboardExprs()) {
      if (expr.includes('namedprocess_namegroup_')) {
        assert.match(expr, /node=~"\$node"/, panel);
        assert.match(expr, /groupname=~"\$groupname"/, panel);
      } else {
        assert.match(expr, /(node|instance)=~"\$node"/, panel);
      }
    }
  });

  it('shows the groups (procs, CPU, memory, fds, worst fd ratio, threads, states, I/O) and the agent (last push, errors, queue)', () => {
    const exprs = dashboardExprs().map((e) => e.expr).join('\n');
    for (const m of [
      'namedprocess_namegroup_num_procs',
      'namedprocess_namegroup_cpu_seconds_total',
      'namedprocess_namegroup_memory_bytes',
      'namedprocess_namegroup_open_filedesc',
      'namedprocess_namegroup_worst_fd_ratio',
      'namedprocess_namegroup_num_threads',
      'namedprocess_namegroup_states',
      'namedprocess_namegroup_read_bytes_total',
      'namedprocess_namegroup_write_bytes_total',
      'procpush_last_cycle_timestamp_seconds',
      'procpush_sink_last_success_timestamp_seconds',
      'push_time_seconds',
      'procpush_sink_samples_failed_total',
      'procpush_sink_samples_dropped_total',
      'procpush_sink_queue_batches',
    ]) {
      assert.ok(exprs.includes(m), `no panel shows ${m}`);
    }
  });
});
