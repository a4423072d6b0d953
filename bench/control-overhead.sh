#!/usr/bin/env bash
# Does the control API slow the public endpoints? The same release binary, alternately with the
# control API on and off (--no-control-api), wrk on the JWKS and on client_credentials, same run.
#   cargo build --release -p mock-idp-cli && bench/control-overhead.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
bin=target/release/mock-idp
run() { # $1 = label, rest = serve flags
  local label=$1; shift
  $bin --state-dir "$dir" --fixture-keys serve --http --port 18450 "$@" >/dev/null &
  local pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18450/health >/dev/null && break; sleep 0.1; done
  local jwks token
  jwks=$(wrk -t2 -c32 -d10s http://127.0.0.1:18450/.well-known/jwks.json | awk '/Requests\/sec/ {print $2}')
  token=$(wrk -t2 -c32 -d10s -s bench/token.lua http://127.0.0.1:18450/oauth/token | awk '/Requests\/sec/ {print $2}')
  echo "$label jwks=$jwks token=$token"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for _ in $(seq "$rounds"); do
  run "control-on " 
  run "control-off" --no-control-api
done
