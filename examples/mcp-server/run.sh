#!/usr/bin/env bash
# An MCP server in Rust (src/main.rs) protected by oauth2-jwt-bearer, and the official MCP
# TypeScript SDK's OAuth client (@modelcontextprotocol/sdk, pinned, unmodified) starting from
# nothing but the server's URL: 401 and resource_metadata (RFC 9728), tenant discovery (RFC
# 8414), dynamic registration (RFC 7591) or, in a second run, a client ID metadata document the
# client serves itself (draft-ietf-oauth-client-id-metadata-document), a user login (`mock-idp serve --auto-login`), a token
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
DOC_PORT=${DOC_PORT:-18462}
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
# The client's own HTTPS certificate for its metadata document, and the tenant's trust in it:
# a certificate the tenant accepts for documents, and 127.0.0.1 exempted from the SSRF rule.
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -days 2 -subj /CN=client-metadata-test-ca \
    -keyout "$WORK/doc-ca-key.pem" -out "$WORK/doc-ca.pem" 2>/dev/null
openssl req $ec -subj /CN=127.0.0.1 -keyout "$WORK/doc-key.pem" -out "$WORK/doc.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$WORK/doc.ext"
openssl x509 -req -in "$WORK/doc.csr" -CA "$WORK/doc-ca.pem" -CAkey "$WORK/doc-ca-key.pem" \
    -CAcreateserial -days 2 -extfile "$WORK/doc.ext" -out "$WORK/doc-cert.pem" 2>/dev/null
{
    echo
    echo '[client_id_metadata_documents]'
    echo 'enabled = true'
    echo 'allow_hosts = ["127.0.0.1"]'
    printf 'ca_pem = """\n%s\n"""\n' "$(cat "$WORK/doc-ca.pem")"
} >>"$WORK/tenant.toml"
$mock serve --port "$TENANT_PORT" --config "$WORK/tenant.toml" --auto-login user@example.com \
    >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ca="$WORK/state/ca.pem"
[ -f "$ca" ] || ca=$($mock ca)

AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_CA_FILE="$ca" PORT="$MCP_PORT" \
    "$target/debug/mcp-server-example" >"$WORK/mcp.log" 2>&1 &
for _ in $(seq 100); do grep -q "MCP server at" "$WORK/mcp.log" 2>/dev/null && break; sleep 0.1; done

echo "-- dynamic client registration"
(cd "$WORK" && NODE_EXTRA_CA_CERTS="$ca" node client.mjs "$url")
echo "-- client ID metadata document"
(cd "$WORK" && NODE_EXTRA_CA_CERTS="$ca" CLIENT_METADATA_PORT="$DOC_PORT" \
    CLIENT_METADATA_KEY="$WORK/doc-key.pem" CLIENT_METADATA_CERT="$WORK/doc-cert.pem" \
    node client.mjs "$url")
