#!/usr/bin/env bash
# Instructions per request of the API and of the limit server (bench/limit.rs), per route, under
# valgrind's callgrind: the count of instructions executed while N requests are answered,
# divided by N. Unlike requests/s it does not move when other processes share the machine, so it
# shows what a change to the request path costs or saves. With --annotate, also the functions
# that execute the most instructions (inclusive) on /api/private.
# Usage: bench/callgrind.sh [requests per route (2000)] [--annotate]
#        (needs valgrind; builds the release binaries as bench/ratio.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
annotate=${2:-}
api_port=${API_PORT:-5200}
limit_port=${LIMIT_PORT:-5201}
[ -n "${SKIP_BUILD:-}" ] || nice -n 5 cargo build --release -p protected-api --bin demo --example limit
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/callgrind.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && echo "callgrind: files kept in $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# The tenant's keys and CA are made once, natively (key generation under valgrind is slow).
PORT=$api_port MOCK_IDP_STATE_DIR=$work/tenant RUST_LOG=warn "$target/release/demo" >"$work/native.out" 2>&1 &
native=$!
for _ in $(seq 300); do grep -qs 'READ_TOKEN=' "$work/native.out" && break; sleep 0.1; done
kill "$native"; wait "$native" 2>/dev/null || true

# `n` keep-alive GETs on one connection; every answer must be 200.
load() {
  python3 - "$1" "$2" "$3" "${4:-}" <<'PY'
import http.client, sys
port, path, n, token = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": "Bearer " + token} if token else {}
for _ in range(n):
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status}")
PY
}

# Starts "$@" under callgrind with instrumentation off (fast start-up); echoes its pid.
start() {
  local name=$1
  shift
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/$name.%p" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  echo $!
}

# Instructions executed while `n` requests to `path` are answered (collection toggled around).
measure() {
  local name=$1 pid=$2 port=$3 path=$4 token=${5:-}
  load "$port" "$path" 50 "$token" # warm: caches filled, connections set up
  callgrind_control --zero "$pid" >/dev/null
  callgrind_control --instr=on "$pid" >/dev/null
  load "$port" "$path" "$n" "$token"
  callgrind_control --instr=off "$pid" >/dev/null
  callgrind_control --dump="$name$path" "$pid" >/dev/null
  # The dump is written when the process next runs, after callgrind_control returns.
  local file=
  for _ in $(seq 100); do
    file=$(grep -ls "^desc: Trigger: dump $name$path\$" "$work"/"$name".* | tail -n1)
    [ -n "$file" ] && grep -q '^totals:' "$file" && break
    sleep 0.2
  done
  awk -v n="$n" '/^totals:/ { print int($2 / n); exit }' "$file"
}

api=$(PORT=$api_port MOCK_IDP_STATE_DIR=$work/tenant RUST_LOG=warn start api "$target/release/demo")
pids+=("$api")
for _ in $(seq 600); do grep -q 'READ_TOKEN=' "$work/api.out" 2>/dev/null && break; sleep 0.2; done
token=$(sed -n 's/.*READ_TOKEN="\([^"]*\)".*/\1/p' "$work/api.out" | head -n1)
[ -n "$token" ] || { echo "callgrind: the demo printed no READ_TOKEN" >&2; exit 1; }
limit=$(TOKEN=$token PORT=$limit_port start limit "$target/release/examples/limit")
pids+=("$limit")
for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$limit_port") 2>/dev/null && break; sleep 0.2; done

api_public=$(measure api "$api" "$api_port" /api/public)
limit_public=$(measure limit "$limit" "$limit_port" /api/public)
api_private=$(measure api "$api" "$api_port" /api/private "$token")
limit_private=$(measure limit "$limit" "$limit_port" /api/private "$token")
echo "| route | API, instructions/request | limit | API / limit |"
echo "|---|---|---|---|"
awk -v a="$api_public" -v b="$limit_public" 'BEGIN { printf "| /api/public | %d | %d | %.2f |\n", a, b, a / b }'
awk -v a="$api_private" -v b="$limit_private" 'BEGIN { printf "| /api/private | %d | %d | %.2f |\n", a, b, a / b }'
if [ "$annotate" = "--annotate" ]; then
  file=$(grep -l "^desc: Trigger: dump api/api/private\$" "$work"/api.* | tail -n1)
  callgrind_annotate --inclusive=yes --threshold=95 "$file" | head -n 60
fi
