#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against an axum API protected by the jwt-authorizer crate
# (src/main.rs, as its README shows). Not part of CI: a standalone cargo project, not a member of
# the workspace; needs crates.io the first time. jwt-authorizer refreshes its JWKS on an unknown kid
# at most every 600 s by default, so the run does not wait (COOLDOWN_MS, default 0): a rotated-in
# key is then refused, and the JWKS-fault cases show as not observed. A few seconds.
#
#   examples/jwt-authorizer-axum/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
ex_target=${EXAMPLE_TARGET_DIR:-$here/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18449}
APP_PORT=${APP_PORT:-5083}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

cargo build -q --locked --manifest-path "$here/Cargo.toml" --target-dir "$ex_target"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" AUTH0_CA_FILE="$ca" \
    SSL_CERT_FILE="$ca" PORT="$APP_PORT" exec "$ex_target/debug/jwt-authorizer-axum" >"$WORK/app.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/jwt-authorizer.json" --junit "$WORK/jwt-authorizer.xml" \
    --html "$WORK/jwt-authorizer.html" "$@" >"$WORK/jwt-authorizer.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/jwt-authorizer.txt"
echo "reports in $WORK"
