#!/usr/bin/env bash
# Auth0's Express middleware (express-oauth2-jwt-bearer) against a mock-idp tenant, unmodified:
# it trusts the tenant's CA through NODE_EXTRA_CA_CERTS. Not part of CI (needs npm).
# Usage: examples/express/run.sh   (from the repository root)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
state="$work/state"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build -q --release -p mock-idp-cli
idp="$root/target/release/mock-idp"
(cd "$work" && npm init -y >/dev/null && npm install --silent express@4 express-oauth2-jwt-bearer >/dev/null)
cp "$root/examples/express/server.js" "$work/"
"$idp" --state-dir "$state" serve --port 8443 >/dev/null &
sleep 1
(cd "$work" && NODE_EXTRA_CA_CERTS="$state/ca.pem" AUTH0_DOMAIN=localhost:8443 \
  AUTH0_AUDIENCE=https://my-flask-api exec node server.js) &
sleep 1
token=$("$idp" --state-dir "$state" token --scope read:messages)
echo "Bearer:            $(curl -s -H "Authorization: Bearer $token" http://127.0.0.1:5020/api/private)"
echo "scoped:            $(curl -s -H "Authorization: Bearer $token" http://127.0.0.1:5020/api/private-scoped)"
"$idp" --state-dir "$state" proof --url http://127.0.0.1:5020/ >/dev/null   # creates the CLI's DPoP key
bound=$("$idp" --state-dir "$state" token --dpop-key "$state/dpop-key.pem")
proof=$("$idp" --state-dir "$state" proof --url http://127.0.0.1:5020/api/private --token "$bound")
echo "DPoP:              $(curl -s -H "Authorization: DPoP $bound" -H "DPoP: $proof" http://127.0.0.1:5020/api/private)"
other=$("$idp" --state-dir "$state" token --scope write:messages)
echo "missing scope:     $(curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}' -H "Authorization: Bearer $other" http://127.0.0.1:5020/api/private-scoped)"
