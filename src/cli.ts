#!/usr/bin/env node
/**
 * procpush's executable. It sets the V8 heap flags first (base/memory.ts, tuneV8Heap) and only then
 * loads the rest of the CLI: a static import graph is parsed and instantiated before any of its code
 * runs, so flags set by a module of that graph would come too late for the allocations of loading it.
 */
import { tuneV8Heap } from './base/memory.js';

tuneV8Heap();
const { main } = await import('./cli/main.js');
const code = await main(process.argv.slice(2));
// Exit explicitly: after a graceful stop, idle sockets or timers must not keep the process alive.
process.exit(code);
