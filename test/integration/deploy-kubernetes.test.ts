/**
 * deploy/kubernetes: every manifest parses and every object passes the Kubernetes API schemas
 * (kubernetes-models' validate(), plus TypeScript's excess-property check against the same models,
 * which catches misspelt fields the JSON schemas let through); every kustomization's resources and
 * patches exist; each build (base, overlays) is reproduced here by a strategic merge and, when a
 * kubectl with kustomize >= 4 is on the PATH, by `kubectl kustomize` too. The DaemonSet agrees with
 * the CLI: its command line is run against `node dist/cli.js`, the mounts match its flags, the probes
 * hit the config's listener, which a short `run` answers on /healthz.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative } from 'node:path';
import { after, describe, it } from 'node:test';

import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import ts from 'typescript';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

import { freePort } from '../helpers/servers.js';

const ROOT = process.cwd();
const CLI = join(ROOT, 'dist', 'cli.js');
const K8S = join(ROOT, 'deploy', 'kubernetes');
const BUILDS = ['base', 'overlays/pushgateway', 'overlays/remote-write'] as const;
const FAKE_NODE = { NODE_NAME: 'node-a.example', NODE_IP: '192.0.2.7' };

const work = mkdtempSync(join(tmpdir(), 'procpush-deploy-k8s-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string): string {
  const v = o[key];
  assert.equal(typeof v, 'string', `${key} must be a string in ${JSON.stringify(o).slice(0, 200)}`);
  return v as string;
}

function objectId(o: Obj): string {
  const meta = isObj(o['metadata']) ? o['metadata'] : {};
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  return `${str(o, 'apiVersion')}/${str(o, 'kind')} ${ns}/${typeof meta['name'] === 'string' ? meta['name'] : ''}`;
}

/** The API models of the kinds deploy/kubernetes uses; a new kind must be added here (and is then validated). */
const MODELS: Readonly<Record<string, { readonly type: string; readonly validate: (o: Obj) => void }>> = {
  'v1/Namespace': { type: 'INamespace', validate: (o) => { new Namespace(o).validate(); } },
  'v1/ServiceAccount': { type: 'IServiceAccount', validate: (o) => { new ServiceAccount(o).validate(); } },
  'v1/ConfigMap': { type: 'IConfigMap', validate: (o) => { new ConfigMap(o).validate(); } },
  'v1/Secret': { type: 'ISecret', validate: (o) => { new Secret(o).validate(); } },
  'apps/v1/DaemonSet': { type: 'IDaemonSet', validate: (o) => { new DaemonSet(o).validate(); } },
};
const TYPE_IMPORTS: Readonly<Record<string, string>> = {
  INamespace: 'kubernetes-models/v1/Namespace',
  IServiceAccount: 'kubernetes-models/v1/ServiceAccount',
  IConfigMap: 'kubernetes-models/v1/ConfigMap',
  ISecret: 'kubernetes-models/v1/Secret',
  IDaemonSet: 'kubernetes-models/apps/v1/DaemonSet',
};

function modelFor(o: Obj): { readonly type: string; readonly validate: (o: Obj) => void } {
  const key = `${str(o, 'apiVersion')}/${str(o, 'kind')}`;
  const model = MODELS[key];
  assert.ok(model !== undefined, `no model for ${key}: add it to MODELS`);
  return model;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

function readDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((d, i) => {
    assert.deepEqual(d.errors.map((e) => e.message), [], `${file} document ${i}`);
    const v: unknown = d.toJS();
    assert.ok(isObj(v), `${file} document ${i} is not a mapping`);
    return v;
  });
}

interface Kustomization {
  readonly dir: string;
  readonly resources: readonly string[];
  readonly patches: readonly string[];
}

function readKustomization(dir: string): Kustomization {
  const [k] = readDocs(join(dir, 'kustomization.yaml'));
  assert.ok(k !== undefined);
  assert.equal(k['apiVersion'], 'kustomize.config.k8s.io/v1beta1');
  assert.equal(k['kind'], 'Kustomization');
  const known = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images', 'namespace', 'labels']);
  for (const key of Object.keys(k)) assert.ok(known.has(key), `${dir}/kustomization.yaml: unexpected (or deprecated) field ${key}`);
  const resources = (k['resources'] ?? []) as unknown[];
  const patches = (k['patches'] ?? []) as unknown[];
  assert.ok(Array.isArray(resources) && resources.every((r) => typeof r === 'string'), 'resources: a list of paths');
  assert.ok(Array.isArray(patches) && patches.every((p) => isObj(p) && typeof p['path'] === 'string' && Object.keys(p).length === 1), 'patches: a list of { path }');
  return { dir, resources, patches: patches.map((p) => (p as Obj)['path'] as string) };
}

/** Strategic merge as kustomize does it for these kinds: maps merge, named lists merge by key, the rest is replaced. */
function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    const baseList: readonly unknown[] = base;
    const patchList: readonly unknown[] = patch;
    const keyOf = (x: unknown): string | undefined => (isObj(x) ? (typeof x['name'] === 'string' ? x['name'] : typeof x['mountPath'] === 'string' ? x['mountPath'] : undefined) : undefined);
    if ([...baseList, ...patchList].every((x) => keyOf(x) !== undefined)) {
      const out = [...baseList];
      for (const p of patchList) {
        const i = out.findIndex((b) => keyOf(b) === keyOf(p));
        if (i >= 0) out[i] = strategicMerge(out[i], p);
        else out.unshift(p);
      }
      return out;
    }
  }
  return patch;
}

/** The objects a kustomization produces, computed here (resources, then patches merged by kind/name). */
function build(dir: string): Obj[] {
  const k = readKustomization(dir);
  const objects: Obj[] = [];
  for (const r of k.resources) {
    const p = join(dir, r);
    assert.ok(existsSync(p), `${relative(ROOT, dir)}: resource ${r} does not exist`);
    objects.push(...(statSync(p).isDirectory() ? build(p) : readDocs(p)));
  }
  for (const path of k.patches) {
    const p = join(dir, path);
    assert.ok(existsSync(p), `${relative(ROOT, dir)}: patch ${path} does not exist`);
    for (const patch of readDocs(p)) {
      const i = objects.findIndex((o) => objectId(o) === objectId(patch));
      assert.ok(i >= 0, `${relative(ROOT, p)}: patches ${objectId(patch)}, which ${relative(ROOT, dir)} does not have`);
      objects[i] = strategicMerge(objects[i], patch) as Obj;
    }
  }
  const ids = objects.map(objectId);
  assert.equal(new Set(ids).size, ids.length, `duplicate objects in ${relative(ROOT, dir)}: ${ids.join(', ')}`);
  return objects;
}

/** Runs tsc over `const x: I<Kind> = <object>` for every object: misspelt or misplaced fields are errors. */
function typeCheck(objects: readonly Obj[]): string[] {
  const dir = join(ROOT, 'build', `deploy-k8s-typecheck-${String(process.pid)}`);
  mkdirSync(dir, { recursive: true });
  try {
    const types = [...new Set(objects.map((o) => modelFor(o).type))];
    const src = [
      ...types.map((t) => `import type { ${t} } from '${TYPE_IMPORTS[t] ?? ''}';`),
      ...objects.map((o, i) => `// ${objectId(o)}\nexport const o${String(i)}: ${modelFor(o).type} = ${JSON.stringify(o, null, 2)};`),
    ].join('\n');
    const file = join(dir, 'objects.ts');
    writeFileSync(file, src);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const line = where === undefined ? '' : (d.file?.text.split('\n')[where.line] ?? '').trim();
      return `${ts.flattenDiagnosticMessageText(d.messageText, '\n')} (at: ${line})`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kubectl kustomize` when a kubectl with kustomize >= 4 (the `patches:` field) is installed. */
function kubectlKustomize(): { readonly available: true; readonly build: (dir: string) => Obj[] } | { readonly available: false; readonly reason: string } {
  const v = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  if (v.error !== undefined || v.status !== 0) return { available: false, reason: 'kubectl is not installed (Debian has no kustomize; Debian 12 kubernetes-client 1.20 embeds kustomize 2.0, too old for patches:)' };
  const parsed: unknown = JSON.parse(v.stdout);
  const kv = isObj(parsed) && typeof parsed['kustomizeVersion'] === 'string' ? parsed['kustomizeVersion'] : '';
  const major = Number(/^v(\d+)\./.exec(kv)?.[1] ?? '0');
  if (major < 4) return { available: false, reason: `kubectl's kustomize ${kv || 'unknown'} is older than v4` };
  return {
    available: true,
    build: (dir) => {
      const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    },
  };
}

const builds = new Map(BUILDS.map((b) => [b, build(join(K8S, b))]));

function find(objects: readonly Obj[], kind: string, name?: string): Obj {
  const o = objects.find((x) => x['kind'] === kind && (name === undefined || (isObj(x['metadata']) && x['metadata']['name'] === name)));
  assert.ok(o !== undefined, `no ${kind} ${name ?? ''}`);
  return o;
}

function daemonSet(objects: readonly Obj[]): IDaemonSet {
  return find(objects, 'DaemonSet') as unknown as IDaemonSet;
}

function container(ds: IDaemonSet): IContainer {
  const c = ds.spec?.template.spec?.containers[0];
  assert.ok(c !== undefined && ds.spec?.template.spec?.containers.length === 1, 'one container');
  return c;
}

/** `--name=value` or `--name value` from the container's args. */
function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === `--${name}` || a === `-${name}`) return args[i + 1];
    const m = /^--?([^=]+)=(.*)$/.exec(a);
    if (m !== null && m[1] === name) return m[2];
  }
  return undefined;
}

/** The config the DaemonSet mounts: the ConfigMap key named by --config.path under the config volume's mount. */
function mountedConfig(objects: readonly Obj[]): { readonly path: string; readonly text: string } {
  const ds = daemonSet(objects);
  const c = container(ds);
  const path = flag(c.args ?? [], 'config.path');
  assert.ok(path !== undefined, 'the container passes --config.path');
  const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === posix.dirname(path));
  assert.ok(mount !== undefined, `${path} is in a mounted directory`);
  const volume = (ds.spec?.template.spec?.volumes ?? []).find((v) => v.name === mount.name);
  const cmName = volume?.configMap?.name;
  assert.ok(cmName !== undefined, `${mount.mountPath} is a ConfigMap volume`);
  const cm = find(objects, 'ConfigMap', cmName) as unknown as IConfigMap;
  const text = cm.data?.[posix.basename(path)];
  assert.ok(text !== undefined, `ConfigMap ${cmName} has the key ${posix.basename(path)}`);
  return { path, text };
}

function listenOf(configText: string): { readonly host: string; readonly port: number } {
  const cfg: unknown = parseYaml(configText);
  assert.ok(isObj(cfg) && typeof cfg['listen'] === 'string', 'the config sets listen: (the probes need it)');
  const m = /^(.*):(\d+)$/.exec(cfg['listen']);
  assert.ok(m !== null, cfg['listen']);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

/** The container's command line for this machine: config from a temp file, procfs the real /proc, state in a temp dir. */
function localCommand(objects: readonly Obj[], name: string, configText?: string): { readonly args: string[]; readonly env: NodeJS.ProcessEnv; readonly configFile: string } {
  const c = container(daemonSet(objects));
  const { path, text } = mountedConfig(objects);
  const dir = mkdtempSync(join(work, `${name.replaceAll('/', '-')}-`));
  const configFile = join(dir, posix.basename(path));
  let config = (configText ?? text).replaceAll('/var/lib/procpush/', `${dir}/`);
  // Secret volumes: their keys as files in a temp dir, and the config's paths pointed there.
  const ds = daemonSet(objects);
  for (const m of c.volumeMounts ?? []) {
    const secretName = (ds.spec?.template.spec?.volumes ?? []).find((v) => v.name === m.name)?.secret?.secretName;
    if (secretName === undefined) continue;
    const secret = find(objects, 'Secret', secretName) as unknown as ISecret;
    const secretDir = join(dir, `secret-${m.name}`);
    mkdirSync(secretDir);
    for (const [k, v] of Object.entries(secret.stringData ?? {})) writeFileSync(join(secretDir, k), v);
    for (const [k, v] of Object.entries(secret.data ?? {})) writeFileSync(join(secretDir, k), Buffer.from(v, 'base64'));
    config = config.replaceAll(`${m.mountPath}/`, `${secretDir}/`);
  }
  writeFileSync(configFile, config);
  const args = (c.args ?? []).map((a) => a.replace(path, configFile).replace(/^(--?procfs[= ])\/host\/proc$/, '$1/proc'));
  assert.ok(!args.some((a) => a.includes('/host/proc')), `only --procfs names /host/proc: ${args.join(' ')}`);
  const literal = Object.fromEntries((c.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
  return { args, configFile, env: { ...process.env, ...literal, ...FAKE_NODE, STATE_DIRECTORY: dir } };
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Kubernetes manifests', () => {
  it('every YAML file parses and is a kustomization, or a resource or patch some kustomization uses', () => {
    const used = new Set<string>();
    for (const file of yamlFiles(K8S)) {
      readDocs(file);
      if (basename(file) !== 'kustomization.yaml') continue;
      used.add(file);
      const k = readKustomization(dirname(file));
      for (const p of [...k.resources, ...k.patches]) used.add(join(k.dir, p));
    }
    const orphans = yamlFiles(K8S).filter((f) => !used.has(f)).map((f) => relative(ROOT, f));
    assert.deepEqual(orphans, []);
  });

  it('every object of every build passes the Kubernetes API schema (kubernetes-models validate)', () => {
    for (const [name, objects] of builds) {
      for (const o of objects) {
        assert.doesNotThrow(() => { modelFor(o).validate(o); }, `${name}: ${objectId(o)}`);
      }
    }
  });

  it('schema validation would catch a broken manifest (the check is not vacuous)', () => {
    const ds = structuredClone(find(builds.get('base') ?? [], 'DaemonSet'));
    const spec = (ds['spec'] as Obj)['template'] as Obj;
    ((spec['spec'] as Obj)['containers'] as Obj[])[0] = { name: 'procpush', image: 'x', ports: [{ containerPort: 'http' }] };
    assert.throws(() => { modelFor(ds).validate(ds); }, /containerPort/);
    const typo = structuredClone(find(builds.get('base') ?? [], 'Namespace'));
    typo['metadata'] = { name: 'procpush', label: { a: 'b' } };
    assert.ok(typeCheck([typo]).some((d) => /label/.test(d)));
  });

  it('no object has a field the API does not define (TypeScript excess-property check against kubernetes-models)', () => {
    const all = [...builds.values()].flat();
    assert.deepEqual(typeCheck(all), []);
  });

  it('kubectl kustomize builds every overlay to the same objects as the merge here', (t) => {
    const kubectl = kubectlKustomize();
    if (!kubectl.available) {
      t.skip(`${kubectl.reason}; the structure was checked above instead`);
      return;
    }
    for (const [name, mine] of builds) {
      const theirs = kubectl.build(join(K8S, name));
      assert.deepEqual(theirs.map(objectId).sort(), mine.map(objectId).sort(), name);
      for (const o of theirs) assert.doesNotThrow(() => { modelFor(o).validate(o); }, `${name}: ${objectId(o)}`);
      assert.equal(mountedConfig(theirs).text, mountedConfig(mine).text, `${name}: the mounted config`);
      const byKey = (xs: readonly object[]): string[] => xs.map((x) => JSON.stringify(x, Object.keys(x).sort())).sort();
      const dsTheirs = daemonSet(theirs);
      const dsMine = daemonSet(mine);
      assert.deepEqual(byKey(dsTheirs.spec?.template.spec?.volumes ?? []), byKey(dsMine.spec?.template.spec?.volumes ?? []), `${name}: volumes`);
      assert.deepEqual(byKey(container(dsTheirs).volumeMounts ?? []), byKey(container(dsMine).volumeMounts ?? []), `${name}: volumeMounts`);
      assert.deepEqual(container(dsTheirs).args, container(dsMine).args, `${name}: args`);
    }
  });
});

describe('the DaemonSet', () => {
  const base = builds.get('base') ?? [];
  const ds = daemonSet(base);
  const pod = ds.spec?.template.spec;
  assert.ok(pod !== undefined);
  const c = container(ds);

  it('reads the host: hostPID, the host /proc read-only at /host/proc, and --procfs=/host/proc', () => {
    assert.equal(pod.hostPID, true);
    const args = c.args ?? [];
    assert.equal(args[0], 'run');
    assert.equal(flag(args, 'procfs'), '/host/proc');
    const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === '/host/proc');
    assert.equal(mount?.readOnly, true);
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    assert.equal(volume?.hostPath?.path, '/proc');
  });

  it('takes NODE_NAME and NODE_IP from the downward API', () => {
    const env = new Map((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    assert.equal(env.get('NODE_NAME'), 'spec.nodeName');
    assert.equal(env.get('NODE_IP'), 'status.hostIP');
  });

  it('runs on every node and is sandboxed: tolerates every taint, read-only root, only SYS_PTRACE and DAC_READ_SEARCH', () => {
    assert.ok((pod.tolerations ?? []).some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined), 'a toleration for every taint');
    const sc = c.securityContext;
    assert.ok(sc !== undefined);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.notEqual(sc.privileged, true);
    assert.deepEqual(sc.capabilities?.drop, ['ALL']);
    assert.deepEqual([...(sc.capabilities.add ?? [])].sort(), ['DAC_READ_SEARCH', 'SYS_PTRACE']);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('has requests and limits, and keeps the state under /var/lib/procpush on the node', () => {
    for (const kind of ['requests', 'limits'] as const) {
      assert.ok(c.resources?.[kind]?.['cpu'] !== undefined && c.resources[kind]['memory'] !== undefined, `${kind}: cpu and memory`);
    }
    const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === '/var/lib/procpush');
    assert.ok(mount !== undefined && mount.readOnly !== true);
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    assert.ok(volume?.hostPath !== undefined || volume?.emptyDir !== undefined);
  });

  it('uses the image of this version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(c.image, `procpush:${pkg.version}`);
  });

  for (const name of BUILDS) {
    it(`${name}: probes /healthz on the port the config listens on, on all interfaces`, () => {
      const objects = builds.get(name) ?? [];
      const cont = container(daemonSet(objects));
      const { host, port } = listenOf(mountedConfig(objects).text);
      assert.ok(!['', '127.0.0.1', 'localhost', '[::1]'].includes(host), `listen ${host}:${String(port)} must not be loopback-only: the kubelet probes the pod IP`);
      for (const probe of [cont.livenessProbe, cont.readinessProbe]) {
        assert.equal(probe?.httpGet?.path, '/healthz');
        const p = probe.httpGet.port;
        const resolved = typeof p === 'number' ? p : (cont.ports ?? []).find((x) => x.name === p)?.containerPort;
        assert.equal(resolved, port);
      }
    });

    it(`${name}: the container's command line is accepted by the CLI (--help, and as check with its config)`, () => {
      const objects = builds.get(name) ?? [];
      const { args, env } = localCommand(objects, name);
      const help = cli([...args, '--help'], env);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /Usage: procpush run/);
      const check = cli(['check', ...args.slice(1)], env);
      assert.equal(check.status, 0, check.stderr);
      assert.match(check.stdout, new RegExp(`node="${FAKE_NODE.NODE_NAME}"`));
      assert.match(check.stdout, new RegExp(`ip="${FAKE_NODE.NODE_IP.replaceAll('.', '\\.')}"`));
      assert.match(check.stdout, name === 'base' ? /sinks: none/ : name.endsWith('pushgateway') ? /sinks: \S+ \(pushgateway / : /sinks: \S+ \(remote_write /);
    });
  }

  it('remote-write: the password file the config names is a key of the Secret mounted there', () => {
    const objects = builds.get('overlays/remote-write') ?? [];
    const cfg: unknown = parseYaml(mountedConfig(objects).text);
    const sinks = isObj(cfg) && Array.isArray(cfg['sinks']) ? cfg['sinks'] : [];
    const sink: unknown = sinks[0];
    const auth = isObj(sink) && isObj(sink['basic_auth']) ? sink['basic_auth'] : {};
    const file = str(auth, 'password_file');
    const ds = daemonSet(objects);
    const mount = (container(ds).volumeMounts ?? []).find((m) => m.mountPath === posix.dirname(file));
    assert.ok(mount?.readOnly === true, `${posix.dirname(file)} is mounted read-only`);
    const secretName = (ds.spec?.template.spec?.volumes ?? []).find((v) => v.name === mount.name)?.secret?.secretName;
    assert.ok(secretName !== undefined);
    const secret = find(objects, 'Secret', secretName) as unknown as ISecret;
    assert.ok(posix.basename(file) in { ...secret.data, ...secret.stringData }, `Secret ${secretName} has the key ${posix.basename(file)}`);
  });

  it('base: `run` with the container command line answers the probe path with 200 and stops on SIGTERM', async () => {
    const port = await freePort();
    const { text } = mountedConfig(base);
    // Loopback only (tests never listen elsewhere), and a cycle a second so /metrics fills quickly.
    const local = text.replace(/^listen: .*$/m, `listen: 127.0.0.1:${String(port)}`).replace(/^( *interval:) .*$/m, '$1 1s');
    const { args, env } = localCommand(base, 'run', local);
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { resolve(code); }));
    const stopped: { code: number | null | string } = { code: 'running' };
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        try {
          status = (await fetch(`http://127.0.0.1:${String(port)}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(status, 200, out);
      let metrics = '';
      for (let i = 0; i < 100 && !/^namedprocess_namegroup_num_procs\{/m.test(metrics); i++) {
        await new Promise((r) => setTimeout(r, 100));
        metrics = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      }
      assert.match(metrics, /^namedprocess_namegroup_num_procs\{/m, out);
    } finally {
      // Wait for the exit on every path: the agent saves its state on the way out, into a directory the
      // after() hook removes.
      child.kill('SIGTERM');
      stopped.code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => { r('timeout'); }, 15_000))]);
      if (stopped.code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    assert.equal(stopped.code, 0, out);
  });
});
