#!/usr/bin/env bash
# Soak: the release API under steady Bearer and DPoP load for 90 s while its mock tenant rotates
# its signing key, goes down for 20 s and comes back, and one client floods 200,000 distinct DPoP
# proofs; then a proof another client sent before the flood is replayed. The run itself is
# bench/soak.rs (it starts the tenant in-process, the API as a child process, and wrk with
# bench/soak.lua); it prints a Markdown summary and exits non-zero if a valid credential got a
# non-2xx, the replay was accepted or the API's peak RSS reached 200 MiB.
# Usage: bench/soak.sh [output directory]   (needs wrk: apt-get install -y wrk)
# Knobs: SOAK_FLOOD, SOAK_CLIENTS, SOAK_DPOP_PER_SEGMENT, SOAK_BEARER_CONNS (see bench/soak.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "soak: wrk is not installed (apt-get install -y wrk)" >&2
  exit 2
fi
nice -n 5 cargo build --release -p protected-api --bin protected-api --example soak
# Absolute paths: the example starts the API from the output directory, where a relative
# `target/...` (or a relative CARGO_TARGET_DIR) would name nothing.
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "soak: output in $out" >&2
"$target/release/examples/soak" "$target/release/protected-api" "$out"
