#!/usr/bin/env bash
# Plays the mock-idp conformance catalog against Auth0's java-jwt 4.6.2 with its jwks-rsa 0.23.0
# JwkProvider (src/main/java/example/Api.java, as their READMEs show them) behind the JDK's HTTP
# server. Not part of CI: it needs java 17 and maven (Maven Central the first time; MAVEN_REPO
# picks the local repository). The provider fetches the JWKS on a kid it has not cached (its
# defaults: 5 keys cached 10 h, at most 10 fetches a minute), so the runner does not wait.
#
#   examples/java-jwt/run-conformance.sh          # a few seconds
#
# Two plays, each against a freshly started app, because the provider's rate limit counts every
# key cache miss: the key-set batch asks for more new kids within a minute than the bucket holds,
# and after it the tenant's own key, evicted from the 5-entry cache, is refused for the rest of a
# whole-catalog run (the other cases would not be observed):
#   rest   every group but KEY;
#   keys   the KEY group alone (where that exhaustion is what is measured).
# Extra arguments go to `mock-idp conformance`. Reports (table, JSON, JUnit, HTML) land in $WORK.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
WORK=${WORK:-$(mktemp -d)}
TENANT_PORT=${TENANT_PORT:-18459}
APP_PORT=${APP_PORT:-5093}
state="$WORK/state"
mkdir -p "$WORK"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

mvn -q -B ${MAVEN_REPO:+-Dmaven.repo.local="$MAVEN_REPO"} -f "$here/pom.xml" -DskipTests package
cargo build -q --manifest-path "$root/Cargo.toml" -p mock-idp-cli
mock="$target/debug/mock-idp --state-dir $state --fixture-keys"
ca=$($mock ca)
rm -f "$WORK/truststore.p12"
keytool -importcert -noprompt -alias mock-idp -file "$ca" -keystore "$WORK/truststore.p12" \
    -storetype PKCS12 -storepass changeit >/dev/null

play() {
    local name=$1
    shift
    (AUTH0_DOMAIN="localhost:$TENANT_PORT" AUTH0_AUDIENCE="https://my-flask-api" PORT="$APP_PORT" \
        exec java -Djavax.net.ssl.trustStore="$WORK/truststore.p12" \
        -Djavax.net.ssl.trustStorePassword=changeit \
        -cp "$here/target/java-jwt-api-0.0.0.jar:$here/target/lib/*" example.Api >>"$WORK/java-jwt.log" 2>&1) &
    local app=$!
    $mock conformance --target "http://127.0.0.1:$APP_PORT" --tenant-port "$TENANT_PORT" --host localhost \
        --bearer-route /api/private --scoped-route /api/private-scoped --scope read:messages \
        --dpop-mode disabled --jwks-cooldown-ms "${COOLDOWN_MS:-0}" \
        --json "$WORK/$name.json" --junit "$WORK/$name.xml" --html "$WORK/$name.html" \
        "$@" >"$WORK/$name.txt" || true
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    echo "== $name =="
    awk '/^Conformance of/{p=1} /^HDR \(/{exit} p' "$WORK/$name.txt"
}

play rest --only HDR,TOK,SIG,CLM,AUD,ISS,SCP,DPP,DPB,RPN,RES
play keys --only KEY
echo "reports in $WORK"
