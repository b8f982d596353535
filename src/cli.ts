#!/usr/bin/env node
/**
 * procpush's executable. It sets the V8 heap flags first (runtime/v8-tuning.ts) and only then loads
 * the rest of the CLI: a static import graph is parsed and instantiated before any of its code runs,
 * so flags set by a module of that graph come too late for the allocations of loading it (the young
 * generation would already have grown to 4 MiB per semi-space).
 */
import './base/v8-tuning.js';

const { main } = await import('./cli/main.js');
const code = await main(process.argv.slice(2));
// Exit explicitly: after a graceful stop, idle sockets or timers must not keep the process alive.
process.exit(code);
