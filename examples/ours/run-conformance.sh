#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against this workspace's own API: the `protected-api`
# binary on oauth2-jwt-bearer, with its defaults (DPoP allowed, 30 s JWKS refresh cooldown). Not
# part of CI: the suite's own conformance tests (tests/it/conformance.rs) cover the same API with
# a short cooldown; this is its row in the README's conformance matrix, run as a user would.
#
#   examples/ours/run-conformance.sh          # about 5 minutes
# The 30 s cooldown: the key-set cases share refreshes, but this verifier counts a failed JWKS fetch
# against its cooldown too (jose does not), so each of the 8 JWKS-fault cases waits one out.
# Neither PUBLIC_URL nor ALLOWED_HOSTS is set (the API warns at start), as in a default deployment.
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18445}
APP_PORT=${APP_PORT:-5079}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli -p protected-api --bin protected-api
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(cd "$WORK" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
    AUTH0_CA_FILE="$ca" PORT="$APP_PORT" exec "$target/debug/protected-api" >"$WORK/api.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --jwks-cooldown-ms "${COOLDOWN_MS:-31000}" \
    --json "$WORK/ours.json" --junit "$WORK/ours.xml" --html "$WORK/ours.html" "$@" >"$WORK/ours.txt" || true
# The summary: what got through, then failures by class and level.
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/ours.txt"
echo "reports in $WORK"
