/**
 * deploy/prometheus and deploy/grafana against Debian's promtool: the alert rules load
 * (`promtool check rules`), every alert fires in the unit tests (`promtool test rules`), the example
 * Prometheus config is valid, and every dashboard expression parses as PromQL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';

const ROOT = process.cwd();
const PROM = join(ROOT, 'deploy', 'prometheus');
const PROMTOOL = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';
const skip = existsSync(PROMTOOL) ? false : `${PROMTOOL} is not installed (Debian package prometheus; .ci/run installs it)`;

const work = mkdtempSync(join(tmpdir(), 'procpush-deploy-prom-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function promtool(args: readonly string[], cwd = PROM): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface RulesFile {
  readonly groups: readonly { readonly rules: readonly { readonly alert: string; readonly expr: string }[] }[];
}
interface RulesTest {
  readonly rule_files: readonly string[];
  readonly tests: readonly { readonly name: string; readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts: readonly unknown[] }[] }[];
}

describe('Prometheus alert rules', { skip }, () => {
  it('pass promtool check rules', () => {
    const r = promtool(['check', 'rules', 'alerts.yaml']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS: \d+ rules found/);
  });

  it('pass promtool test rules, and the tests make every alert fire at least once', () => {
    const rules = parseYaml(readFileSync(join(PROM, 'alerts.yaml'), 'utf8')) as RulesFile;
    const tests = parseYaml(readFileSync(join(PROM, 'alerts.test.yaml'), 'utf8')) as RulesTest;
    assert.deepEqual(tests.rule_files, ['alerts.yaml']);
    const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    assert.deepEqual(alerts.filter((a) => !fired.has(a)), [], 'alerts no test fires');
    const r = promtool(['test', 'rules', 'alerts.test.yaml']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it('promtool test rules fails when an alert misbehaves (the tests are not vacuous)', () => {
    const broken = readFileSync(join(PROM, 'alerts.yaml'), 'utf8').replace('namedprocess_namegroup_worst_fd_ratio > 0.8', 'namedprocess_namegroup_worst_fd_ratio > 0.9');
    writeFileSync(join(work, 'alerts.yaml'), broken);
    writeFileSync(join(work, 'alerts.test.yaml'), readFileSync(join(PROM, 'alerts.test.yaml'), 'utf8'));
    const r = promtool(['test', 'rules', 'alerts.test.yaml'], work);
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /ProcpushFileDescriptorsNearLimit/);
  });

  it('the example Prometheus config (honor_labels for the Pushgateway, the rules) passes promtool check config', () => {
    const r = promtool(['check', 'config', 'prometheus.example.yml']);
    assert.equal(r.status, 0, r.output);
    const cfg = parseYaml(readFileSync(join(PROM, 'prometheus.example.yml'), 'utf8')) as { scrape_configs: { job_name: string; honor_labels?: boolean }[] };
    assert.equal(cfg.scrape_configs.find((s) => s.job_name === 'pushgateway')?.honor_labels, true);
  });
});

describe('Grafana dashboard PromQL', { skip }, () => {
  it('every expression parses (promtool check rules on the expressions as recording rules)', () => {
    const d = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'procpush-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; type: string; definition?: string }[] };
    };
    // Grafana's variables, as the values Grafana would put in.
    const grafana = (e: string): string => e.replaceAll('$__rate_interval', '1m').replace(/\$(\w+)/g, '.*');
    const exprs = [
      ...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...d.templating.list.flatMap((v) => (v.type === 'query' && v.definition !== undefined ? [/^label_values\((.*),\s*\w+\)$/.exec(v.definition)?.[1] ?? v.definition] : [])),
    ].map(grafana);
    assert.ok(exprs.length > 20);
    const file = join(work, 'dashboard-rules.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:expr${String(i)}`, expr })) }] }));
    const r = promtool(['check', 'rules', file], work);
    assert.equal(r.status, 0, r.output);
  });
});
