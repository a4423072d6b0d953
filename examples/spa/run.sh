#!/usr/bin/env bash
# Auth0's browser SDK (@auth0/auth0-spa-js), unmodified, logs a user in against `mock-idp serve`
# in headless Chromium (playwright-core) and prints what it checked. Not part of CI (needs npm).
# Usage: examples/spa/run.sh   (from anywhere; CHROMIUM=/path/to/chromium overrides the browser)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
state="$work/state"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build -q --release -p mock-idp-cli
idp="$root/target/release/mock-idp"
(cd "$work" && npm init -y >/dev/null && npm install --silent @auth0/auth0-spa-js@2 playwright-core >/dev/null)
cp "$root/examples/spa/check.mjs" "$work/"
# The default tenant has a SPA application (mock-spa-client) allowing http://localhost:3000.
"$idp" --state-dir "$state" --fixture-keys serve --port 8443 --host localhost >/dev/null &
for _ in $(seq 50); do [ -f "$state/ca.pem" ] && curl -s --cacert "$state/ca.pem" -o /dev/null https://localhost:8443/.well-known/jwks.json && break; sleep 0.2; done
cd "$work" && node check.mjs
