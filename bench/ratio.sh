#!/usr/bin/env bash
# Throughput of the API against the "limit" server (bench/limit.rs: a bare axum server that only
# looks a cached token up and answers the same JSON), side by side in the same run, per route:
# /api/public and /api/private (a valid Bearer token, cached after the first request).
# Prints requests/s of each and the ratios (API / limit). Both run on 127.0.0.1; wrk shares the
# machine's cores with them, so run it on a quiet machine and compare ratios, not absolutes.
# Usage: bench/ratio.sh [seconds per run (10)] [runs (3)]   (needs wrk: apt-get install -y wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "ratio: wrk is not installed (apt-get install -y wrk)" >&2
  exit 2
fi
secs=${1:-10}
runs=${2:-3}
api_port=${API_PORT:-5100}
limit_port=${LIMIT_PORT:-5101}
[ -n "${SKIP_BUILD:-}" ] || nice -n 5 cargo build --release -p protected-api --bin demo --example limit
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ratio.XXXXXX")
api= limit=
cleanup() {
  [ -n "$api" ] && kill "$api" 2>/dev/null
  [ -n "$limit" ] && kill "$limit" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

PORT=$api_port MOCK_IDP_STATE_DIR=$work/tenant RUST_LOG=warn "$target/release/demo" >"$work/demo.out" 2>&1 &
api=$!
for _ in $(seq 300); do grep -q 'READ_TOKEN=' "$work/demo.out" && break; sleep 0.1; done
token=$(sed -n 's/.*READ_TOKEN="\([^"]*\)".*/\1/p' "$work/demo.out" | head -n1)
[ -n "$token" ] || { echo "ratio: the demo printed no READ_TOKEN" >&2; cat "$work/demo.out" >&2; exit 1; }
TOKEN=$token PORT=$limit_port "$target/release/examples/limit" &
limit=$!
for port in "$api_port" "$limit_port"; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done

# requests/s of one wrk run; fails on any non-2xx answer.
rps() {
  local out
  out=$(wrk -t2 -c32 "-d${secs}s" "$@")
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "ratio: non-2xx answers from $*" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

export TOKEN=$token
echo "| run | API /api/public | limit /api/public | ratio | API /api/private | limit /api/private | ratio |"
echo "|---|---|---|---|---|---|---|"
for run in $(seq "$runs"); do
  ours_public=$(rps "http://127.0.0.1:$api_port/api/public")
  limit_public=$(rps "http://127.0.0.1:$limit_port/api/public")
  ours_private=$(rps -s bench/bearer.lua "http://127.0.0.1:$api_port/api/private")
  limit_private=$(rps -s bench/bearer.lua "http://127.0.0.1:$limit_port/api/private")
  awk -v r="$run" -v a="$ours_public" -v b="$limit_public" -v c="$ours_private" -v d="$limit_private" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", r, a, b, a / b, c, d, c / d }'
done
