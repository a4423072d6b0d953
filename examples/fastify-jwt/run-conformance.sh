#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against @fastify/jwt 10.2.8 with get-jwks 11.0.3 on
# Fastify 5 (server.js, as @fastify/jwt's README shows it). Not part of CI: it needs node and npm.
# get-jwks fetches the JWKS on every kid it has not cached (no cooldown), so the run does not wait:
# a few seconds.
#
#   examples/fastify-jwt/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18453}
APP_PORT=${APP_PORT:-5087}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

(cd "$WORK" && npm init -y >/dev/null && npm install --silent fastify@5.12.8 @fastify/jwt@10.2.8 \
    get-jwks@11.0.3 >/dev/null)
cp "$here/server.js" "$WORK/"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(cd "$WORK" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
    NODE_EXTRA_CA_CERTS="$ca" PORT="$APP_PORT" exec node server.js >"$WORK/fastify-jwt.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/fastify-jwt.json" --junit "$WORK/fastify-jwt.xml" --html "$WORK/fastify-jwt.html" \
    "$@" >"$WORK/fastify-jwt.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/fastify-jwt.txt"
echo "reports in $WORK"
