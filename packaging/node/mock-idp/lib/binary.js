'use strict';
// Where the `mock-idp` binary is: $MOCK_IDP_BIN, else the platform package npm installed as an
// optional dependency (the esbuild pattern: one small package per OS and CPU, carrying the binary;
// npm installs only the one whose `os` and `cpu` match this machine).
const path = require('node:path');
const fs = require('node:fs');

/** The platform package's name for this machine, e.g. `@mock-idp/linux-x64`. */
function platformPackage(platform = process.platform, arch = process.arch) {
  return `@mock-idp/${platform}-${arch}`;
}

/** The path of the `mock-idp` binary, or an Error saying why there is none. */
function binaryPath() {
  if (process.env.MOCK_IDP_BIN) return process.env.MOCK_IDP_BIN;
  const pkg = platformPackage();
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(
      `mock-idp: the package ${pkg} is not installed: this platform has no prebuilt binary, ` +
        'or npm skipped optional dependencies (--omit=optional); set MOCK_IDP_BIN to a mock-idp binary',
    );
  }
  const bin = path.join(dir, 'bin', process.platform === 'win32' ? 'mock-idp.exe' : 'mock-idp');
  if (!fs.existsSync(bin)) throw new Error(`mock-idp: ${bin} is missing from ${pkg}`);
  return bin;
}

module.exports = { binaryPath, platformPackage };
