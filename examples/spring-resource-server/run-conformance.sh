#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's Spring Boot API quickstart: Spring Boot
# 3.5.7 with spring-boot-starter-oauth2-resource-server (Spring Security 6.5.6, Nimbus JOSE+JWT
# 9.37.4), `issuer-uri` and the quickstart's AudienceValidator (src/, pom.xml). Not part of CI: it
# needs java 17 and maven (Maven Central the first time; MAVEN_REPO picks the local repository).
# JwtDecoders.fromOidcIssuerLocation reads discovery when the app starts, so the tenant must be up
# first: the script runs `mock-idp serve` on the tenant port until the app has started, then the
# runner runs the same tenant (same state directory: same keys, CA and domain). The decoder
# refetches the JWKS on every unknown kid (RES-05 counts 30 fetches for 30 random kids), so the
# runner does not wait (COOLDOWN_MS, default 0); about 30 s, most of it the app's start.
#
#   examples/spring-resource-server/run-conformance.sh
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18458}
APP_PORT=${APP_PORT:-5092}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

mvn -q -B ${MAVEN_REPO:+-Dmaven.repo.local="$MAVEN_REPO"} -f "$here/pom.xml" -DskipTests package
jar=$(ls "$here"/target/spring-resource-server-*.jar)
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)
rm -f "$WORK/truststore.p12"
keytool -importcert -noprompt -alias mock-idp -file "$ca" -keystore "$WORK/truststore.p12" \
    -storetype PKCS12 -storepass changeit >/dev/null

$mock serve --port "$TENANT_PORT" --host localhost >"$WORK/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 50); do
    curl -fsS --cacert "$ca" "https://localhost:$TENANT_PORT/.well-known/openid-configuration" >/dev/null 2>&1 && break
    sleep 0.2
done
(AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" PORT="$APP_PORT" \
    exec java -Djavax.net.ssl.trustStore="$WORK/truststore.p12" -Djavax.net.ssl.trustStorePassword=changeit \
    -jar "$jar" >"$WORK/spring.log" 2>&1) &
for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/api/public")" = 000 ] || break
    sleep 0.2
done
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true

$mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
    --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
    --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
    --json "$WORK/spring.json" --junit "$WORK/spring.xml" --html "$WORK/spring.html" \
    "$@" >"$WORK/spring.txt" || true
awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/spring.txt"
echo "reports in $WORK"
