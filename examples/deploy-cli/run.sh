#!/usr/bin/env bash
# The real auth0-deploy-cli (npm, pinned, unmodified) against `mock-idp serve` over HTTPS:
# `a0deploy import` of tenant.yaml (clients, resource servers, client grants, roles,
# organizations; AUTH0_INCLUDED_ONLY), then `a0deploy export`, and the export must give back
# every imported field (compare.mjs). Then Actions: `a0deploy import` of the directory export
# actions-export/ (an Action with a secret, bound to credentials-exchange) creates, deploys and
# binds it through /api/v2/actions/; the next client_credentials token carries its claim; and
# `a0deploy export -f directory` writes the Action, its code and its binding back
# (compare_actions.mjs). `.ci/run` calls it; it installs from npm.
#
#   examples/deploy-cli/run.sh
#
# The Deploy CLI logs in as an application of the tenant granted the Management API's scopes
# (management-client.toml) and trusts the tenant's CA through NODE_EXTRA_CA_CERTS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# WORK (kept) or a temporary directory (removed at exit): node_modules, the state, the logs.
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d); clean=$WORK; fi
PORT=${TENANT_PORT:-18455}
DEPLOY_CLI=8.44.0
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${clean:-}" ] && rm -rf "$clean"' EXIT

echo "installing auth0-deploy-cli $DEPLOY_CLI in $WORK"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
    "auth0-deploy-cli@$DEPLOY_CLI" >/dev/null)
cp "$here/compare.mjs" "$here/compare_actions.mjs" "$WORK/"

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="${CARGO_TARGET_DIR:-$root/target}/debug/mock-idp --state-dir $WORK/state --fixture-keys"
rm -f "$WORK/serve.log"
$mock serve --port "$PORT" --config "$here/management-client.toml" >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "Press Ctrl-C" "$WORK/serve.log" || { cat "$WORK/serve.log"; exit 1; }

cat >"$WORK/config.json" <<JSON
{
  "AUTH0_DOMAIN": "localhost:$PORT",
  "AUTH0_CLIENT_ID": "deploy-cli",
  "AUTH0_CLIENT_SECRET": "deploy-cli-secret-for-tests-only",
  "AUTH0_INCLUDED_ONLY": ["clients", "resourceServers", "clientGrants", "roles", "organizations"],
  "AUTH0_ALLOW_DELETE": false
}
JSON
a0deploy="$WORK/node_modules/.bin/a0deploy"
export NODE_EXTRA_CA_CERTS="$WORK/state/ca.pem"
status=0
if "$a0deploy" import -c "$WORK/config.json" -i "$here/tenant.yaml" >"$WORK/import.log" 2>&1; then
  echo "PASS a0deploy import"
else
  echo "FAIL a0deploy import"; tail -30 "$WORK/import.log"; exit 1
fi
if "$a0deploy" export -c "$WORK/config.json" -f yaml -o "$WORK/export" >"$WORK/export.log" 2>&1; then
  echo "PASS a0deploy export"
else
  echo "FAIL a0deploy export"; tail -30 "$WORK/export.log"; exit 1
fi
(cd "$WORK" && node compare.mjs "$here/tenant.yaml" "$WORK/export/tenant.yaml") || status=1

# Actions, through the Management API's /api/v2/actions/ routes.
cat >"$WORK/actions.json" <<JSON
{
  "AUTH0_DOMAIN": "localhost:$PORT",
  "AUTH0_CLIENT_ID": "deploy-cli",
  "AUTH0_CLIENT_SECRET": "deploy-cli-secret-for-tests-only",
  "AUTH0_INCLUDED_ONLY": ["actions", "triggers"],
  "AUTH0_ALLOW_DELETE": false,
  "AUTH0_KEYWORD_REPLACE_MAPPINGS": {"STAMP": "stamped"}
}
JSON
if "$a0deploy" import -c "$WORK/actions.json" -i "$here/actions-export" >"$WORK/import-actions.log" 2>&1; then
  echo "PASS a0deploy import of an Action and its trigger binding"
else
  echo "FAIL a0deploy import of an Action and its trigger binding"; tail -30 "$WORK/import-actions.log"; exit 1
fi
# The bound Action runs on the next client_credentials token (here the Deploy CLI's own).
claim=$(curl -s --cacert "$WORK/state/ca.pem" "https://localhost:$PORT/oauth/token" \
  -d grant_type=client_credentials -d client_id=deploy-cli \
  -d client_secret=deploy-cli-secret-for-tests-only -d "audience=https://localhost:$PORT/api/v2/" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).access_token.split(".")[1];console.log(JSON.parse(Buffer.from(t,"base64url"))["https://example.com/stamp"])})')
if [ "$claim" = "stamped:auth0-deploy-cli-extension" ]; then
  echo "PASS the imported Action's claim is in the next token"
else
  echo "FAIL the imported Action's claim is in the next token (got: $claim)"; status=1
fi
if "$a0deploy" export -c "$WORK/actions.json" -f directory -o "$WORK/actions-export" >"$WORK/export-actions.log" 2>&1; then
  echo "PASS a0deploy export of Actions"
else
  echo "FAIL a0deploy export of Actions"; tail -30 "$WORK/export-actions.log"; exit 1
fi
(cd "$WORK" && node compare_actions.mjs "$here/actions-export" "$WORK/actions-export") || status=1
exit $status
