#!/usr/bin/env bash
# The living tenant under load (release build, plain HTTP so the client's TLS is not measured):
# creating 1,000 users and 100 roles through the Management API, then client_credentials and
# password-grant token requests with the default users and with 10,000 users.
#
#   cargo build --release -p mock-idp-cli && bench/management.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="${CARGO_TARGET_DIR:-$root/target}/release/mock-idp"
WORK=$(mktemp -d)
PORT=${PORT:-18470}
SECRET=bench-admin-secret-0123456789
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

serve() {
  "$bin" --state-dir "$WORK/state" --fixture-keys serve --http --port "$PORT" --ephemeral \
    --admin-secret "$SECRET" --config "$root/examples/auth0-management/tenant.toml" >"$WORK/serve.log" 2>&1 &
  for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
}
tokens() {
  echo "client_credentials:"; CLIENT_ID=mgmt-client CLIENT_SECRET=mgmt-secret wrk -t2 -c32 -d10s -s "$root/bench/token.lua" "http://127.0.0.1:$PORT/oauth/token" | grep -E "Requests/sec|Non-2xx"
  echo "password:"; wrk -t2 -c32 -d10s -s "$root/bench/password.lua" "http://127.0.0.1:$PORT/oauth/token" | grep -E "Requests/sec|Non-2xx"
}

serve
echo "== the default users"
tokens
echo "== 1,000 users and 100 roles through the API"
python3 "$root/bench/management_load.py" "127.0.0.1:$PORT" "$SECRET" 1000 100
echo "== 9,000 more users (10,001 in all)"
python3 "$root/bench/management_load.py" "127.0.0.1:$PORT" "$SECRET" 9000 0 more
echo "== 10,001 users"
tokens
