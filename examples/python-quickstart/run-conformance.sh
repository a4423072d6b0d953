#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against the Auth0 Python quickstart (Flask +
# auth0-api-python 1.0.0b10). Not part of CI: it needs python3 and, unless VENV already holds
# the packages, PyPI.
#
#   examples/python-quickstart/run-conformance.sh            # fresh venv in a temp dir
#   VENV=/path/to/venv SKIP_PIP=1 examples/python-quickstart/run-conformance.sh
#
# Two runs, each against a freshly started app:
#   quickstart  the quickstart's route roles: /api/private (its own `Bearer ` prefix check, then
#               verify_access_token), /api/private-scoped, /api/dpop-protected (verify_request);
#   library     every role on /api/dpop-protected, so the library's own header parsing
#               (verify_request) answers every case.
# Reports (table, JSON, JUnit, HTML) land in $WORK (printed at the end).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
VENV=${VENV:-$WORK/venv}
TENANT_PORT=${TENANT_PORT:-18443}
APP_PORT=${APP_PORT:-5077}
state="$WORK/state"
mkdir -p "$WORK"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "${SKIP_PIP:-0}" != 1 ]; then
    "$VENV/bin/pip" install -q "auth0-api-python==1.0.0b10" "flask[async]>=3" python-dotenv
fi

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"

# 1. The tenant, as a user would run it: `mock-idp serve` creates the state directory (keys, CA)
#    and we check discovery over HTTPS with its CA. The conformance runner then runs the same
#    tenant itself (same state directory, so the same keys, CA and domain): it must drive key
#    rotation, JWKS faults and overrides, which it cannot do to another process.
$mock serve --port "$TENANT_PORT" --host localhost >"$WORK/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
ca=""
for _ in $(seq 1 50); do
    ca=$($mock ca)
    if curl -fsS --cacert "$ca" "https://localhost:$TENANT_PORT/.well-known/openid-configuration" >/dev/null 2>&1; then
        break
    fi
    sleep 0.2
done
echo "tenant up at https://localhost:$TENANT_PORT/ (CA $ca)"
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true

start_app() {
    AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
        SSL_CERT_FILE="$ca" PORT="$APP_PORT" "$VENV/bin/python" "$here/app.py" >>"$WORK/flask.log" 2>&1 &
    app_pid=$!
    pids+=("$app_pid")
}

stop_app() {
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
}

play() {
    local name=$1
    shift
    start_app
    $mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" \
        --host localhost --scoped-route /api/private-scoped --scope read:messages \
        --dpop-mode allowed --profile auth0-compat \
        --json "$WORK/$name.json" --junit "$WORK/$name.xml" --html "$WORK/$name.html" "$@" \
        >"$WORK/$name.txt" || true
    stop_app
    echo "== $name =="
    awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/$name.txt"
}

play quickstart --bearer-route /api/private --dpop-route /api/dpop-protected
play library --bearer-route /api/dpop-protected --dpop-route /api/dpop-protected
echo "reports in $WORK"
