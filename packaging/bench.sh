#!/usr/bin/env bash
# The figures in BENCHMARKS.md ("pip and npm packages"): package sizes with the release binary,
# and the fixture's cold start (from starting `mock-idp serve` to holding the first token minted
# through the control API), timed inside Python and Node, then whole processes with hyperfine
# (when installed). Not part of CI.
#
#   cargo build --release -p mock-idp-cli && packaging/bench.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
bin=${MOCK_IDP_BIN:-${CARGO_TARGET_DIR:-target}/release/mock-idp}
unset MOCK_IDP_BIN
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wheel=$(python3 packaging/python/build_wheel.py --binary "$bin" --out "$work/dist")
mapfile -t tarballs < <(node packaging/node/build.mjs --binary "$bin" --out "$work/dist")
echo "== sizes (bytes)"
stat -c '%s %n' "$bin" "$wheel" "${tarballs[@]}" | sed "s|$work/dist/||"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
stat -c '%s installed %n' "$work/venv/bin/mock-idp" | sed "s|$work/||"
mkdir "$work/node" && (cd "$work/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "${tarballs[@]}")

echo "== cold start inside the process: start() to the first token, $runs runs each (ms)"
"$work/venv/bin/python" - "$runs" <<'EOF'
import statistics, sys, time
import mock_idp
for label, opts in (("fresh RSA key", {}), ("fixture_keys", {"fixture_keys": True})):
    times = []
    for _ in range(int(sys.argv[1])):
        t0 = time.perf_counter()
        tenant = mock_idp.start(**opts)
        tenant.token()
        times.append((time.perf_counter() - t0) * 1000)
        tenant.stop()
    times.sort()
    print(f"python {label:14} median {statistics.median(times):6.1f}  min {times[0]:6.1f}  max {times[-1]:6.1f}")
EOF
(cd "$work/node" && node - "$runs" <<'EOF'
const { startTenant } = require('mock-idp');
(async () => {
  for (const [label, opts] of [['fresh RSA key', {}], ['fixtureKeys', { fixtureKeys: true }]]) {
    const times = [];
    for (let i = 0; i < Number(process.argv[2]); i++) {
      const t0 = process.hrtime.bigint();
      const tenant = await startTenant(opts);
      await tenant.token();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await tenant.stop();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(`node   ${label.padEnd(14)} median ${median.toFixed(1).padStart(6)}  min ${times[0].toFixed(1).padStart(6)}  max ${times.at(-1).toFixed(1).padStart(6)}`);
  }
})();
EOF
)

if command -v hyperfine >/dev/null; then
  echo "== whole processes: interpreter start, tenant start, first token, stop"
  hyperfine -N --warmup 2 --runs "$runs" \
    -n "python: start(), token(), stop()" \
    "$work/venv/bin/python -c 'import mock_idp; t = mock_idp.start(); t.token(); t.stop()'" \
    -n "node: startTenant(), token(), stop()" \
    "node -e 'require(\"$work/node/node_modules/mock-idp\").startTenant().then(async (t) => { await t.token(); await t.stop(); })'" \
    -n "python -c pass (interpreter alone)" "$work/venv/bin/python -c pass" \
    -n "node -e 0 (interpreter alone)" "node -e 0"
fi
