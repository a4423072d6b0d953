#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against an axum API protected by aliri 0.6.4,
# aliri_oauth2 0.10.2 and aliri_axum 0.5.0 (src/main.rs, set up as aliri_axum's Auth0 example). Not
# part of CI: a standalone cargo project, not a member of the workspace; needs crates.io the first
# time. Set EXAMPLE_TARGET_DIR to build it elsewhere than its own target/. The authority fetches the
# JWKS once at start and refreshes it every 600 s (no refresh on an unknown kid), so the tenant must
# be up first: the script runs `mock-idp serve` on the tenant port until the app has started, then
# the runner runs the same tenant (same state directory: same keys, CA and domain). Key-set cases
# show as not observed; a few seconds.
#
#   examples/aliri-axum/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
ex_target=${EXAMPLE_TARGET_DIR:-$here/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18456}
APP_PORT=${APP_PORT:-5090}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

cargo build -q --locked --manifest-path "$here/Cargo.toml" --target-dir "$ex_target"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

$mock serve --port "$TENANT_PORT" --host localhost >"$WORK/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 50); do
    curl -fsS --cacert "$ca" "https://localhost:$TENANT_PORT/.well-known/jwks.json" >/dev/null 2>&1 && break
    sleep 0.2
done
(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" SSL_CERT_FILE="$ca" \
    PORT="$APP_PORT" exec "$ex_target/debug/aliri-axum-example" >"$WORK/app.log" 2>&1) &
for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/api/private")" = 000 ] || break
    sleep 0.2
done
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true

$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/aliri.json" --junit "$WORK/aliri.xml" \
    --html "$WORK/aliri.html" "$@" >"$WORK/aliri.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/aliri.txt"
echo "reports in $WORK"
