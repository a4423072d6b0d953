#!/usr/bin/env bash
# Auth0's Management API clients, unmodified, against `mock-idp serve`: the npm `auth0`
# ManagementClient and the PyPI `auth0-python` ManagementClient, each at a pinned version. Prints
# one PASS/FAIL line per check and exits non-zero on any FAIL. `.ci/run` calls it; it installs
# from PyPI and npm.
#
#   examples/auth0-management/run.sh
#
# What it checks, per client: an API, an M2M application and its client grant created over the
# API, then a client_credentials token for it; a user created with a password, a role with a
# permission assigned to them, and that permission in the user's next token (password grant);
# paging with include_totals and users-by-email; and the errors a client branches on (404, 409,
# 400, 403, 401) as Auth0 answers them. The npm client also creates an Action, deploys it and
# binds it (actions.create, actions.deploy, actions.triggers.bindings.updateMany): the next
# client_credentials token carries its claim, and its secret never comes back. It also invites a
# user to an organization (`organizations.invitations`), follows the invitation's link through
# /authorize and the sign-up page, and finds the invitee a member with the invitation's role.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-$(mktemp -d)}
PORT=${TENANT_PORT:-18455}
AUTH0_NODE=7.1.0
AUTH0_PYTHON=6.8.0
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

echo "installing auth0 $AUTH0_NODE (npm) and auth0-python $AUTH0_PYTHON (PyPI) in $WORK"
[ -x "$WORK/venv/bin/python" ] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "auth0-python==$AUTH0_PYTHON"
if [ ! -d "$WORK/node_modules/auth0" ]; then
  (cd "$WORK" && npm init -y >/dev/null && npm install --silent "auth0@$AUTH0_NODE" >/dev/null)
fi
cp "$here/check_node.mjs" "$here/check_auth0_python.py" "$WORK/"

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="${CARGO_TARGET_DIR:-$root/target}/debug/mock-idp --state-dir $WORK/state --fixture-keys"
$mock serve --port "$PORT" --config "$here/tenant.toml" >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ca="$WORK/state/ca.pem"

export DOMAIN="localhost:$PORT"
status=0
# httpx (auth0-python) trusts SSL_CERT_FILE; Node trusts NODE_EXTRA_CA_CERTS.
SSL_CERT_FILE="$ca" REQUESTS_CA_BUNDLE="$ca" "$WORK/venv/bin/python" "$WORK/check_auth0_python.py" || status=1
(cd "$WORK" && NODE_EXTRA_CA_CERTS="$ca" node check_node.mjs) || status=1
exit $status
