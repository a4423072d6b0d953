#!/usr/bin/env node
// Builds the npm packages, the esbuild way: `mock-idp` (the JS helper and a `mock-idp` bin shim)
// and `@mock-idp/<os>-<cpu>` (the binary cargo built, for this machine), which `mock-idp` lists
// as an optional dependency. Both carry mock-idp-cli's version.
//
//   node packaging/node/build.mjs [--binary PATH] [--out DIR]
//
// Prints the two tarballs' paths (`npm pack` output). The binary's debug info is stripped
// (`strip --strip-debug`) when `strip` is available.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
}

function field(toml, name) {
  const m = fs.readFileSync(toml, 'utf8').match(new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm'));
  if (!m) throw new Error(`no ${name} in ${toml}`);
  return m[1];
}

function hasStrip() {
  try {
    execFileSync('strip', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
const binary = arg('--binary', path.join(targetDir, 'release', 'mock-idp'));
const out = arg('--out', path.join(root, 'packaging', 'dist'));
if (!fs.existsSync(binary)) {
  console.error(`build.mjs: ${binary} not found (cargo build --release -p mock-idp-cli, or --binary)`);
  process.exit(1);
}
const version = field(path.join(root, 'mock-idp-cli', 'Cargo.toml'), 'version');
const license = field(path.join(root, 'Cargo.toml'), 'license');
const platform = `${process.platform}-${process.arch}`;
const platformName = `@mock-idp/${platform}`;

const stage = path.join(out, 'npm-stage');
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

// The platform package: the binary and nothing else.
const plat = path.join(stage, platform);
fs.mkdirSync(path.join(plat, 'bin'), { recursive: true });
const bin = path.join(plat, 'bin', process.platform === 'win32' ? 'mock-idp.exe' : 'mock-idp');
fs.copyFileSync(binary, bin);
if (hasStrip()) execFileSync('strip', ['--strip-debug', bin]);
fs.chmodSync(bin, 0o755);
fs.writeFileSync(
  path.join(plat, 'README.md'),
  fs.readFileSync(path.join(here, 'platform', 'README.md'), 'utf8').replaceAll('PLATFORM', platform),
);
const platformJson = {
  name: platformName,
  version,
  description: `The mock-idp binary for ${platform} (install mock-idp instead)`,
  license,
  os: [process.platform],
  cpu: [process.arch],
  files: ['bin/'],
  preferUnplugged: true,
};
fs.writeFileSync(path.join(plat, 'package.json'), `${JSON.stringify(platformJson, null, 2)}\n`);

// The main package: the helper, its types and the bin shim; the version and the platform package
// are filled in here.
const main = path.join(stage, 'mock-idp');
fs.cpSync(path.join(here, 'mock-idp'), main, { recursive: true });
const mainJson = JSON.parse(fs.readFileSync(path.join(main, 'package.json'), 'utf8'));
mainJson.version = version;
mainJson.license = license;
mainJson.optionalDependencies = { [platformName]: version };
fs.writeFileSync(path.join(main, 'package.json'), `${JSON.stringify(mainJson, null, 2)}\n`);

for (const dir of [plat, main]) {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }).trim();
  console.log(path.join(out, name.split('\n').pop()));
}
