#!/usr/bin/env bash
# Start-up time of `mock-idp serve` with existing state: from exec to the first JWKS answered over
# HTTPS (curl polling every 2 ms, so the figure includes curl's own start-up).
# Usage: bench/startup.sh [runs]   (after `cargo build --release -p mock-idp-cli`)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/mock-idp
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
"$bin" --state-dir "$state" ca >/dev/null          # creates keys and CA: later starts find state
"$bin" --state-dir "$state" token >/dev/null
port=18450
for _ in $(seq "${1:-5}"); do
  start=$(date +%s%N)
  "$bin" --state-dir "$state" serve --port "$port" >/dev/null 2>&1 &
  pid=$!
  until curl -s -o /dev/null --cacert "$state/ca.pem" "https://localhost:$port/.well-known/jwks.json"; do
    sleep 0.002
  done
  end=$(date +%s%N)
  echo "ready in $(( (end - start) / 1000000 )) ms"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
