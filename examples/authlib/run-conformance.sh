#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's Python API quickstart on authlib 1.9.6:
# Flask 3.1, a ResourceProtector with the quickstart's JWTBearerTokenValidator (app.py,
# validator.py). Not part of CI: it needs python3 and, unless VENV already holds the packages, PyPI.
# The validator reads the JWKS once, when the app starts, so the tenant must be up first: the
# script runs `mock-idp serve` on the tenant port until the app has started, then the runner runs
# the same tenant (same state directory: same keys, CA and domain). The JWKS is never refetched, so
# the key-set cases show as not observed and the run does not wait: a few seconds.
#
#   examples/authlib/run-conformance.sh                           # fresh venv in a temp dir
#   VENV=/path/to/venv SKIP_PIP=1 examples/authlib/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
VENV=${VENV:-$WORK/venv}
TENANT_PORT=${TENANT_PORT:-18452}
APP_PORT=${APP_PORT:-5086}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "${SKIP_PIP:-0}" != 1 ]; then
    "$VENV/bin/pip" install -q "authlib==1.9.6" "joserfc==1.8.0" "flask==3.1.3"
fi
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

$mock serve --port "$TENANT_PORT" --host localhost >"$WORK/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 50); do
    curl -fsS --cacert "$ca" "https://localhost:$TENANT_PORT/.well-known/jwks.json" >/dev/null 2>&1 && break
    sleep 0.2
done
(cd "$here" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" SSL_CERT_FILE="$ca" \
    PORT="$APP_PORT" exec "$VENV/bin/python" app.py >"$WORK/authlib.log" 2>&1) &
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$APP_PORT/api/public" >/dev/null 2>&1 && break
    sleep 0.2
done
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true

$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/authlib.json" --junit "$WORK/authlib.xml" --html "$WORK/authlib.html" \
    "$@" >"$WORK/authlib.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/authlib.txt"
echo "reports in $WORK"
