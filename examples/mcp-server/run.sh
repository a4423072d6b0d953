#!/usr/bin/env bash
# An MCP server in Rust (src/main.rs) protected by oauth2-jwt-bearer, and the official MCP
# TypeScript SDK's OAuth client (@modelcontextprotocol/sdk, pinned, unmodified) starting from
# nothing but the server's URL: 401 and resource_metadata (RFC 9728), tenant discovery (RFC
# 8414), dynamic registration (RFC 7591), a user login (`mock-idp serve --auto-login`), a token
# for the resource (RFC 8707), a tool call. Prints one PASS/FAIL line per step; exits non-zero on
# any FAIL. `.ci/run` calls it; it installs the SDK from npm.
#
#   examples/mcp-server/run.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18461}
MCP_PORT=${MCP_PORT:-18460}
MCP_SDK=1.32.2
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
target="${CARGO_TARGET_DIR:-$root/target}"

echo "installing @modelcontextprotocol/sdk $MCP_SDK in $WORK"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent "@modelcontextprotocol/sdk@$MCP_SDK" >/dev/null)
cp "$here/client.mjs" "$WORK/"

# Outside the workspace (the test build never compiles it), with the repository's versions.
CARGO_TARGET_DIR="$target" cargo build -q --locked --manifest-path "$here/Cargo.toml"
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $WORK/state --fixture-keys"

url="http://127.0.0.1:$MCP_PORT/mcp"
sed "s|http://127.0.0.1:18460/mcp|$url|" "$here/tenant.toml" >"$WORK/tenant.toml"
$mock serve --port "$TENANT_PORT" --config "$WORK/tenant.toml" --auto-login user@example.com \
    >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ca="$WORK/state/ca.pem"
[ -f "$ca" ] || ca=$($mock ca)

AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_CA_FILE="$ca" PORT="$MCP_PORT" \
    "$target/debug/mcp-server-example" >"$WORK/mcp.log" 2>&1 &
for _ in $(seq 100); do grep -q "MCP server at" "$WORK/mcp.log" 2>/dev/null && break; sleep 0.1; done

(cd "$WORK" && NODE_EXTRA_CA_CERTS="$ca" node client.mjs "$url")
