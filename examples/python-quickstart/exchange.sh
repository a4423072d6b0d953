#!/usr/bin/env bash
# auth0-api-python's token-exchange helpers, unmodified (1.0.0b10 from PyPI), pointed at
# `mock-idp serve` with the exchange tenant: they must get the same answers as our Rust
# `TokenExchangeClient` gets in its tests (same tokens, same statuses, codes and texts).
# Not part of CI: it installs from PyPI. Prints one PASS/FAIL line per check.
#
#   examples/python-quickstart/exchange.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-$(mktemp -d)}
PORT=${TENANT_PORT:-18446}
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "auth0-api-python==1.0.0b10"

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$root/target/debug/mock-idp --state-dir $WORK/state --fixture-keys"
config="$root/mock-idp/fixtures/tenant.exchange.toml"
$mock serve --port "$PORT" --config "$config" >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ca="$WORK/state/ca.pem"
[ -f "$ca" ] || ca=$($mock ca)

export DOMAIN="localhost:$PORT"
export ALICE=$($mock token --config "$config" --sub 'auth0|alice')
export MACHINE=$($mock token --config "$config")
SSL_CERT_FILE="$ca" "$WORK/venv/bin/python" "$here/exchange_check.py"
