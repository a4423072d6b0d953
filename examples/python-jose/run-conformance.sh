#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's previous Python API quickstart: Flask 3.1
# with python-jose 3.5.0 and its `requires_auth` decorator (app.py). Not part of CI: it needs
# python3 and, unless VENV already holds the packages, PyPI. The quickstart reads the JWKS on every
# request (no cache, no cooldown), so the run does not wait: a few seconds.
#
#   examples/python-jose/run-conformance.sh                       # fresh venv in a temp dir
#   VENV=/path/to/venv SKIP_PIP=1 examples/python-jose/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
VENV=${VENV:-$WORK/venv}
TENANT_PORT=${TENANT_PORT:-18451}
APP_PORT=${APP_PORT:-5085}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "${SKIP_PIP:-0}" != 1 ]; then
    "$VENV/bin/pip" install -q "python-jose[cryptography]==3.5.0" "flask==3.1.3"
fi
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" SSL_CERT_FILE="$ca" \
    PORT="$APP_PORT" exec "$VENV/bin/python" "$here/app.py" >"$WORK/python-jose.log" 2>&1) &
$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/python-jose.json" --junit "$WORK/python-jose.xml" --html "$WORK/python-jose.html" \
    "$@" >"$WORK/python-jose.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/python-jose.txt"
echo "reports in $WORK"
