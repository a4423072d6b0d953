#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against PyJWT (PyJWKClient + jwt.decode) in a FastAPI
# dependency (app.py). Not part of CI: it needs python3 and, unless VENV already holds the
# packages, PyPI. PyJWKClient (2.15) refetches the JWKS on an unknown kid at most every 30 s
# (`cooldown_duration`, started by successful fetches only): the runner is told so (COOLDOWN_MS,
# default 31000); about 2 minutes.
#
#   examples/pyjwt-fastapi/run-conformance.sh                       # fresh venv in a temp dir
#   VENV=/path/to/venv SKIP_PIP=1 examples/pyjwt-fastapi/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
VENV=${VENV:-$WORK/venv}
TENANT_PORT=${TENANT_PORT:-18447}
APP_PORT=${APP_PORT:-5081}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "${SKIP_PIP:-0}" != 1 ]; then
    "$VENV/bin/pip" install -q "pyjwt[crypto]==2.15.1" "fastapi==0.165.0" "uvicorn==0.54.0"
fi
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" SSL_CERT_FILE="$ca" \
    PORT="$APP_PORT" exec "$VENV/bin/python" "$here/app.py" >"$WORK/pyjwt.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-31000}" \
    --json "$WORK/pyjwt.json" --junit "$WORK/pyjwt.xml" --html "$WORK/pyjwt.html" "$@" >"$WORK/pyjwt.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/pyjwt.txt"
echo "reports in $WORK"
