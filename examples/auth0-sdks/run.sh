#!/usr/bin/env bash
# Auth0's own SDKs, unmodified, against `mock-idp serve`: auth0-python, @auth0/auth0-auth-js and
# the generic OIDC client openid-client, each at a pinned version. Prints one PASS/FAIL line per
# check and exits non-zero on any FAIL. `.ci/run` calls it; it installs from PyPI and npm.
#
#   examples/auth0-sdks/run.sh
#
# What it checks, per SDK: a client-credentials token (that auth0-api-python, the quickstart's
# verifier, accepts), a user login with PKCE, refresh and userinfo (the Node SDKs; a second
# tenant logs the user in without the form), and that each refusal
# reaches the caller as Auth0's error code (wrong secret, unknown audience, ungranted scope, a
# grant the application may not use); and the Resource Owner Password login of auth0-python
# (`GetToken.login`) and auth0-auth-js (`getTokenByPassword`), with both grants; and, with the
# tenant's MFA policy on, auth0-auth-js's MFA client enrolling a user (`mfa.enrollAuthenticator`,
# `mfa.verify`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
WORK=${WORK:-$(mktemp -d)}
PORT=${TENANT_PORT:-18445}
AUTH0_PYTHON=6.8.0
AUTH0_API_PYTHON=1.0.0b10
AUTH0_AUTH_JS=1.16.1
OPENID_CLIENT=6.9.0
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

echo "installing auth0-python $AUTH0_PYTHON, auth0-api-python $AUTH0_API_PYTHON, @auth0/auth0-auth-js $AUTH0_AUTH_JS, openid-client $OPENID_CLIENT in $WORK"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "auth0-python==$AUTH0_PYTHON" "auth0-api-python==$AUTH0_API_PYTHON"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent \
    "@auth0/auth0-auth-js@$AUTH0_AUTH_JS" "openid-client@$OPENID_CLIENT" >/dev/null)
cp "$here/check_auth0_python.py" "$here/check_node.mjs" "$WORK/"

cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
bin="${CARGO_TARGET_DIR:-$root/target}/debug/mock-idp"
# One tenant per state directory (a second `serve` on one is refused): each tenant has its own.
mock="$bin --state-dir $WORK/state --fixture-keys"
$mock serve --port "$PORT" --config "$root/mock-idp/fixtures/tenant.example.toml" >"$WORK/serve.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ca="$WORK/state/ca.pem"
[ -f "$ca" ] || ca=$($mock ca)

# A second tenant with the default configuration (browser apps, the default user) that logs
# the user in without a form, for the login, refresh and userinfo checks.
LOGIN_PORT=$((PORT + 1))
$bin --state-dir "$WORK/state-login" --fixture-keys serve --port "$LOGIN_PORT" --auto-login user@example.com >"$WORK/serve-login.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve-login.log" 2>/dev/null && break; sleep 0.1; done

# A third with a Default Directory and an application allowed the password grants.
PASSWORD_PORT=$((PORT + 2))
$bin --state-dir "$WORK/state-password" --fixture-keys serve --port "$PASSWORD_PORT" --config "$here/password-tenant.toml" >"$WORK/serve-password.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve-password.log" 2>/dev/null && break; sleep 0.1; done

# A fourth with the MFA policy on (every user must use MFA) and a user with no authenticator.
MFA_PORT=$((PORT + 3))
$bin --state-dir "$WORK/state-mfa" --fixture-keys serve --port "$MFA_PORT" --config "$here/mfa-policy-tenant.toml" >"$WORK/serve-mfa.log" 2>&1 &
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/serve-mfa.log" 2>/dev/null && break; sleep 0.1; done

# The four tenants' CAs in one bundle the clients trust.
cat "$ca" "$WORK/state-login/ca.pem" "$WORK/state-password/ca.pem" "$WORK/state-mfa/ca.pem" >"$WORK/cas.pem"
ca="$WORK/cas.pem"

export DOMAIN="localhost:$PORT" LOGIN_DOMAIN="localhost:$LOGIN_PORT" PASSWORD_DOMAIN="localhost:$PASSWORD_PORT" MFA_DOMAIN="localhost:$MFA_PORT"
status=0
# requests (auth0-python) trusts REQUESTS_CA_BUNDLE, httpx (auth0-api-python) SSL_CERT_FILE;
# Node trusts NODE_EXTRA_CA_CERTS.
REQUESTS_CA_BUNDLE="$ca" SSL_CERT_FILE="$ca" "$WORK/venv/bin/python" "$WORK/check_auth0_python.py" || status=1
(cd "$WORK" && NODE_EXTRA_CA_CERTS="$ca" node check_node.mjs) || status=1
exit $status
