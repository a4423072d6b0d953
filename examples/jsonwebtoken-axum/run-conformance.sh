#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against an axum API whose claims extractor is built on
# the jsonwebtoken crate (src/main.rs: decode_header, JwkSet, DecodingKey::from_jwk, decode with
# Validation::new(RS256), audience and issuer). Not part of CI: a standalone cargo project, not a
# member of the workspace, built with the repository's locked versions (jsonwebtoken 10, axum 0.8).
# It refetches the JWKS on every unknown kid (no cooldown), so the run needs no wait: seconds.
#
#   examples/jsonwebtoken-axum/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
ex_target=${EXAMPLE_TARGET_DIR:-$here/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18448}
APP_PORT=${APP_PORT:-5082}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

cargo build -q --locked --manifest-path "$here/Cargo.toml" --target-dir "$ex_target"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

# The app fetches the JWKS at start; the runner's tenant is not up yet, so that fetch fails and the
# first token fetches it instead.
(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" AUTH0_CA_FILE="$ca" \
    PORT="$APP_PORT" exec "$ex_target/debug/jsonwebtoken-axum" >"$WORK/app.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled \
    --json "$WORK/jsonwebtoken.json" --junit "$WORK/jsonwebtoken.xml" --html "$WORK/jsonwebtoken.html" \
    "$@" >"$WORK/jsonwebtoken.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/jsonwebtoken.txt"
echo "reports in $WORK"
