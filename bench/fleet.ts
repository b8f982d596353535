/**
 * The processes the exporters measure: N `sleep`s, a few multi-threaded processes (node with worker
 * threads, python3 with threads), and optional churn (short-lived `sleep`s started in a loop, so the
 * new-process path is exercised every cycle). All are children of one shell in one process group.
 * Every process has a bounded lifetime even if nobody kills it.
 */
import { existsSync } from 'node:fs';
import { type Children, type Spawned, sleep } from './children.js';
import { membersOfGroup } from './proc-stat.js';

export interface FleetOptions {
  readonly sleeps: number;
  readonly nodeThreaded: number;
  readonly pythonThreaded: number;
  /** Loops each starting a `sleep 0.2` after the previous one ends (about 5 new processes per second each). */
  readonly churnLoops: number;
  /** Lifetime bound of every process, seconds. */
  readonly lifetimeSeconds: number;
}

export interface Fleet {
  readonly group: Spawned;
  /** Processes in the fleet's group once it was ready (the shell included). */
  readonly processes: number;
  readonly multiThreaded: number;
}

const NODE_THREADED = `
const { Worker } = require('node:worker_threads');
const life = Number(process.env.LIFE) * 1000;
for (let i = 0; i < 4; i++) new Worker('setTimeout(() => {}, ' + life + ')', { eval: true });
setTimeout(() => process.exit(0), life);
`;

const PYTHON_THREADED = `
import os, threading, time
life = float(os.environ["LIFE"])
for _ in range(8):
    threading.Thread(target=time.sleep, args=(life,), daemon=True).start()
time.sleep(life)
`;

function pythonPath(): string | undefined {
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (existsSync(p)) return p;
  return undefined;
}

export async function startFleet(children: Children, o: FleetOptions): Promise<Fleet> {
  const python = pythonPath();
  const pythonCount = python === undefined ? 0 : o.pythonThreaded;
  const script = [
    'n=0',
    'while [ "$n" -lt "$SLEEPS" ]; do sleep "$LIFE" & n=$((n+1)); done',
    'n=0',
    'while [ "$n" -lt "$NODES" ]; do "$NODE" -e "$NODE_CODE" & n=$((n+1)); done',
    'n=0',
    'while [ "$n" -lt "$PYTHONS" ]; do "$PYTHON" -c "$PYTHON_CODE" & n=$((n+1)); done',
    'n=0',
    'while [ "$n" -lt "$CHURN" ]; do (i=0; while [ "$i" -lt "$CHURN_ROUNDS" ]; do sleep 0.2; i=$((i+1)); done) & n=$((n+1)); done',
    'echo ready',
    'wait',
  ].join('\n');
  const group = children.spawn('/bin/sh', ['-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SLEEPS: String(o.sleeps),
      LIFE: String(o.lifetimeSeconds),
      NODES: String(o.nodeThreaded),
      NODE: process.execPath,
      NODE_CODE: NODE_THREADED,
      PYTHONS: String(pythonCount),
      PYTHON: python ?? '/bin/false',
      PYTHON_CODE: PYTHON_THREADED,
      CHURN: String(o.churnLoops),
      CHURN_ROUNDS: String(Math.ceil(o.lifetimeSeconds / 0.2)),
    },
  });
  // The shell, the sleeps, the threaded processes and the churn loops (whose current sleep may be between two).
  const expected = 1 + o.sleeps + o.nodeThreaded + pythonCount + o.churnLoops;
  for (let i = 0; i < 600; i++) {
    if (group.hasExited()) throw new Error(`the process fleet exited early:\n${group.output()}`);
    if (group.output().includes('ready') && membersOfGroup(group.pid).length >= expected) break;
    if (i === 599) throw new Error(`the process fleet did not come up in 60 s (${membersOfGroup(group.pid).length}/${expected})`);
    await sleep(100);
  }
  // Let the interpreters start their threads.
  await sleep(o.nodeThreaded + pythonCount > 0 ? 1500 : 0);
  return { group, processes: membersOfGroup(group.pid).length, multiThreaded: o.nodeThreaded + pythonCount };
}
