#!/usr/bin/env node
'use strict';
// `npx mock-idp ...` / node_modules/.bin/mock-idp: runs the platform package's binary with the
// same arguments, standard streams and exit status.
const { spawnSync } = require('node:child_process');
const { binaryPath } = require('../lib/binary.js');

let bin;
try {
  bin = binaryPath();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
const run = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
if (run.error) {
  console.error(`mock-idp: cannot run ${bin}: ${run.error.message}`);
  process.exit(1);
}
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status ?? 1);
