#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against panva/jose (jwtVerify + createRemoteJWKSet, its
# 30 s JWKS refresh cooldown) behind a plain node:http API (server.mjs). Not part of CI: it needs
# node and npm.
#
#   examples/jose/run-conformance.sh          # about 2 minutes (the 30 s cooldown, batched)
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

JOSE_VERSION=${JOSE_VERSION:-6.2.18}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18446}
APP_PORT=${APP_PORT:-5080}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

(cd "$WORK" && npm init -y >/dev/null && npm install --silent "jose@$JOSE_VERSION" >/dev/null)
cp "$here/server.mjs" "$WORK/"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(cd "$WORK" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
    NODE_EXTRA_CA_CERTS="$ca" PORT="$APP_PORT" exec node server.mjs >"$WORK/jose.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-31000}" \
    --json "$WORK/jose.json" --junit "$WORK/jose.xml" --html "$WORK/jose.html" "$@" >"$WORK/jose.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/jose.txt"
echo "reports in $WORK"
