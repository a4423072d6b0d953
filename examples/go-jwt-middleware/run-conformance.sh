#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's Go API quickstart: go-jwt-middleware
# v2.3.1 with its caching JWKS provider (main.go; versions pinned in go.mod and go.sum). Not part
# of CI: it needs go and the Go module proxy the first time. The provider fetches discovery and the
# JWKS on the first token and keeps the key set for its 5 min TTL, whatever the kid (no refresh on
# an unknown kid), so the key-set cases show as not observed and the run does not wait: seconds.
#
#   examples/go-jwt-middleware/run-conformance.sh
# The quickstart's 1 min clock skew (WithAllowedClockSkew) is declared: --clock-leeway-secs 60.
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18457}
APP_PORT=${APP_PORT:-5091}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

(cd "$here" && go build -mod=readonly -o "$WORK/go-jwt-middleware-api" .)
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" SSL_CERT_FILE="$ca" \
    PORT="$APP_PORT" exec "$WORK/go-jwt-middleware-api" >"$WORK/go-jwt-middleware.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --clock-leeway-secs 60 --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/go-jwt-middleware.json" --junit "$WORK/go-jwt-middleware.xml" \
    --html "$WORK/go-jwt-middleware.html" "$@" >"$WORK/go-jwt-middleware.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/go-jwt-middleware.txt"
echo "reports in $WORK"
