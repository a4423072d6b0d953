#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's Express middleware
# (express-oauth2-jwt-bearer, default options: DPoP allowed). Not part of CI: it needs node and npm.
#
#   examples/express/run-conformance.sh                              # about 100 s
#   COOLDOWN_MS=0 examples/express/run-conformance.sh                # a few s, rotation unobserved
# jose (under the middleware) refetches a JWKS on an unknown kid at most every 30 s. The runner is
# told so (COOLDOWN_MS, default 31000) and batches the rotation and JWKS-variant cases on shared
# refreshes (BENCHMARKS.md: 813 s one by one, 97 s batched). Extra arguments go to
# `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18444}
APP_PORT=${APP_PORT:-5078}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

(cd "$WORK" && npm init -y >/dev/null && npm install --silent express@4 "express-oauth2-jwt-bearer@${EXPRESS_JWT_VERSION:-1.10.0}" >/dev/null)
cp "$here/server.js" "$WORK/"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)     # creates the state directory's CA; the runner serves with it

# The runner runs the tenant itself (it drives rotation and faults); the app only needs its domain
# and CA, and fetches discovery lazily on its first request.
(cd "$WORK" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
    NODE_EXTRA_CA_CERTS="$ca" PORT="$APP_PORT" exec node server.js >"$WORK/express.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-route /api/dpop-protected --dpop-mode allowed --profile auth0-compat \
    --jwks-cooldown-ms "${COOLDOWN_MS:-31000}" --json "$WORK/express.json" --junit "$WORK/express.xml" \
    --html "$WORK/express.html" "$@" >"$WORK/express.txt" || true
# The summary: what got through, then failures by class and level.
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/express.txt"
echo "reports in $WORK"
