#!/usr/bin/env bash
# CI's check of the Python and Node packages, as a user meets them: build the wheel and the two
# npm tarballs around the mock-idp binary the test run already built, install them into a fresh
# virtualenv and a fresh npm project next to pinned test dependencies (from PyPI and npm), and
# run the suites: pytest through the `mock_idp` fixture against FastAPI + PyJWT, node:test through
# `startTenant()` against Express + express-oauth2-jwt-bearer, Jest and Vitest through
# `startTenant()`, Playwright Test through `mock-idp/playwright` driving auth0-spa-js in Chromium,
# tsc over the published types, and the two tests the root README's first screen tells users to
# paste (its first ```python and ```js blocks, as written). Everything listens on 127.0.0.1.
#
#   packaging/check.sh                 # uses $CARGO_TARGET_DIR (or target)/debug/mock-idp
#   MOCK_IDP_BIN=path packaging/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${MOCK_IDP_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/mock-idp}
if [ ! -x "$bin" ]; then
  cargo build --locked -p mock-idp-cli
fi
# The packages must find their own binary, not this one.
unset MOCK_IDP_BIN
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist="$work/dist"

echo "== packaging: build the wheel and the npm tarballs from $bin"
wheel=$(python3 packaging/python/build_wheel.py --binary "$bin" --out "$dist")
mapfile -t tarballs < <(node packaging/node/build.mjs --binary "$bin" --out "$dist")
ls -l "$wheel" "${tarballs[@]}"

echo "== packaging: Python: a fresh virtualenv, the wheel, pytest"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  -r packaging/python/tests/requirements.txt "$wheel"
test -x "$work/venv/bin/mock-idp"
# The installed package is typed (py.typed) and its annotations hold.
(cd "$work" && "$work/venv/bin/python" -m mypy --strict --no-incremental -p mock_idp)
(cd packaging/python/tests && "$work/venv/bin/python" -m pytest -p no:cacheprovider -v)
# The README's pasteable Python test, exactly as the README shows it.
mkdir "$work/readme"
awk '/^```python$/{f=1;next} /^```$/{if(f)exit} f' README.md >"$work/readme/test_readme.py"
grep -q 'def test_' "$work/readme/test_readme.py"
(cd "$work/readme" && "$work/venv/bin/python" -m pytest -p no:cacheprovider -v test_readme.py)

echo "== packaging: Node: a fresh project, the tarballs, tsc, node --test, Jest, Vitest, Playwright Test"
mkdir "$work/node"
cp packaging/node/test/*.{json,js,mjs,ts} "$work/node/"
# The README's pasteable node:test test, exactly as the README shows it.
awk '/^```js$/{f=1;next} /^```$/{if(f)exit} f' README.md >"$work/node/readme.test.js"
grep -q 'startTenant' "$work/node/readme.test.js"
(
  cd "$work/node"
  npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}"
  test -x node_modules/.bin/mock-idp
  npx --no-install tsc --noEmit --strict --types node --module nodenext \
    --moduleResolution nodenext --target es2022 types.check.ts
  node --test express.test.js readme.test.js
  npx --no-install jest --ci tenant.jest.test.js
  npx --no-install vitest run tenant.vitest
  # Playwright Test with mock-idp/playwright and Debian's Chromium ($CHROMIUM), never a download.
  npx --no-install playwright test
)
echo "packaging: wheel and npm packages built, installed and tested"
