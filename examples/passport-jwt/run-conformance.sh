#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against passport-jwt 4.0.1 with jwks-rsa 4.1.0
# (passportJwtSecret: 5 keys cached, at most 5 JWKS requests a minute) and passport 0.7.0 on
# Express 4 (server.js, as jwks-rsa's README shows it). Not part of CI: it needs node and npm.
#
#   examples/passport-jwt/run-conformance.sh          # a few seconds
#
# Two plays, each against a freshly started app, because jwks-rsa's rate limit counts every key
# cache miss: the key-set batch asks for more new kids within a minute than the 5 it allows, so
# after it the tenant's own key, evicted from the 5-entry cache, is refused with a 500 for the rest
# of a whole-catalog run and the other cases would not be observed:
#   rest   every group but KEY;
#   keys   the KEY group alone (where that exhaustion is what is measured).
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18454}
APP_PORT=${APP_PORT:-5088}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

(cd "$WORK" && npm init -y >/dev/null && npm install --silent express@4.22.3 passport@0.7.0 passport-jwt@4.0.1 \
    jwks-rsa@4.1.0 >/dev/null)
cp "$here/server.js" "$WORK/"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)

play() {
    local name=$1
    shift
    (cd "$WORK" && AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" \
        NODE_EXTRA_CA_CERTS="$ca" PORT="$APP_PORT" exec node server.js >>"$WORK/passport-jwt.log" 2>&1) &
    local app=$!
    $mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
        --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
        --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
        --json "$WORK/$name.json" --junit "$WORK/$name.xml" --html "$WORK/$name.html" \
        "$@" >"$WORK/$name.txt" || true
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    echo "== $name =="
    awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/$name.txt"
}

play rest --only HDR,TOK,SIG,CLM,AUD,ISS,SCP,DPP,DPB,RPN,RES
play keys --only KEY
echo "reports in $WORK"
