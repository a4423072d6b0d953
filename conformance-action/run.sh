#!/usr/bin/env bash
# The conformance action's one step (action.yml passes its inputs as CONFORMANCE_* variables):
# installs mock-idp, starts `mock-idp conformance` (its own tenant), starts the user's verifier
# with the .env the tenant printed, waits for the run and writes the reports and the step's
# outputs. Runs the same on a GitHub runner and in this repository's tests (which set
# GITHUB_OUTPUT, GITHUB_WORKSPACE, RUNNER_TEMP and GITHUB_ACTION_PATH as a runner does).
set -euo pipefail

: "${CONFORMANCE_VERIFIER_COMMAND:?the verifier-command input is required}"
: "${CONFORMANCE_TARGET:?the target input is required}"
: "${GITHUB_OUTPUT:?not on a GitHub runner (GITHUB_OUTPUT is unset)}"
workspace=${GITHUB_WORKSPACE:-$PWD}
temp=${RUNNER_TEMP:-$(mktemp -d)}
action=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")" && pwd)}
reports="$workspace/${CONFORMANCE_REPORTS_DIR:-conformance-reports}"
mkdir -p "$reports" "$temp/mock-idp"

# 1. mock-idp: a given binary (path or URL), else built from this action's repository.
mock=${CONFORMANCE_MOCK_IDP:-}
case "$mock" in
  "")
    echo "::group::cargo install mock-idp"
    cargo install --locked --quiet --path "$action/../mock-idp-cli" --root "$temp/mock-idp"
    echo "::endgroup::"
    mock="$temp/mock-idp/bin/mock-idp" ;;
  https://*)
    curl --fail --silent --show-error --location "$mock" -o "$temp/mock-idp/mock-idp"
    chmod +x "$temp/mock-idp/mock-idp"
    mock="$temp/mock-idp/mock-idp" ;;
esac
"$mock" --version

# 2. The run, in the background: it starts the tenant, writes the .env, then waits for the
# target to answer.
env_file="$temp/mock-idp/conformance.env"
rm -f "$env_file"
gate=()
if [[ -n "${CONFORMANCE_BASELINE:-}" ]]; then
  if [[ "${CONFORMANCE_WRITE_BASELINE:-false}" == "true" ]]; then
    gate=(--write-baseline "$workspace/$CONFORMANCE_BASELINE")
  else
    gate=(--baseline "$workspace/$CONFORMANCE_BASELINE")
  fi
fi
read -r -a extra <<<"${CONFORMANCE_ARGS:-}"
"$mock" --state-dir "$temp/mock-idp/state" conformance --target "$CONFORMANCE_TARGET" \
  --env-file "$env_file" --fail-on "${CONFORMANCE_FAIL_ON:-M}" "${gate[@]}" \
  --json "$reports/report.json" --junit "$reports/report.xml" --html "$reports/report.html" \
  "${extra[@]}" >"$reports/report.txt" 2>"$temp/mock-idp/conformance.err" &
run=$!
verifier=""
stop() {
  [[ -n "$verifier" ]] && kill -- "-$verifier" 2>/dev/null || true
  kill "$run" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 1 600); do
  [[ -s "$env_file" ]] && break
  kill -0 "$run" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -s "$env_file" ]]; then
  cat "$temp/mock-idp/conformance.err" >&2
  echo "::error::mock-idp conformance did not start its tenant"
  exit 1
fi

# 3. The verifier, with the .env in its environment, in a process group of its own (so the
# whole tree stops at the end).
set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
(cd "$workspace" && exec setsid bash -c "$CONFORMANCE_VERIFIER_COMMAND") >"$reports/verifier.log" 2>&1 &
verifier=$!

# 4. The verdict.
status=0
wait "$run" || status=$?
cat "$reports/report.txt"
cat "$temp/mock-idp/conformance.err" >&2
result=passed
[[ $status -eq 0 ]] || result=failed
{
  echo "result=$result"
  echo "html=$reports/report.html"
  echo "junit=$reports/report.xml"
  echo "json=$reports/report.json"
} >>"$GITHUB_OUTPUT"
if [[ $status -ne 0 ]]; then
  echo "::error::conformance $result (exit $status): $(tail -n 1 "$temp/mock-idp/conformance.err")"
fi
exit "$status"
