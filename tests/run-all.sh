#!/usr/bin/env bash
# Runs every check of the repository: Protobuf lint, then all unit and functional tests.
# Set-up included: it installs buf from npm and restores NuGet packages. Usage: bash tests/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# buf and playwright-core come from npm; Debian's nodejs and npm are installed first on a machine without them, and
# Debian's chromium is the browser of the dashboard test (tests/tools/dashboard.browser.mjs). The go-plugin tests
# (GoPluginTests, and the conformance kit's test of the Go plugin) build tests/goplugin with Debian's Go, go-plugin, grpc-go, protoc and protoc-gen-go; setpriv
# (util-linux) gives every plugin its death signal.
apt_missing=()
command -v npm >/dev/null || apt_missing+=(nodejs npm)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || apt_missing+=(chromium)
[ -x /usr/bin/setpriv ] || apt_missing+=(util-linux)
for p in golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev protobuf-compiler golang-goprotobuf-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$p")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "== Installing ${apt_missing[*]} from Debian"
  sudo_cmd=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "${apt_missing[@]}"
fi

# playwright-core drives the chromium above; it must never download a browser of its own.
echo "== Installing test tools (buf, playwright-core) from npm"
(cd tests/tools && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
buf=tests/tools/node_modules/.bin/buf

echo "== buf lint"
"$buf" lint

# Breaking-change check of the released contracts against the previous commit, when there is one.
if git rev-parse --verify --quiet HEAD~1 >/dev/null && git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then
  echo "== buf breaking (against HEAD~1)"
  "$buf" breaking --against '.git#ref=HEAD~1'
fi

# The whole solution is built once, first: dotnet test builds only test projects, and the benchmark smoke below runs
# the Benchmarks executable, which is not one.
echo "== dotnet build"
dotnet build GrpcPlugins.sln --nologo

echo "== dotnet test"
log=$(mktemp)
status=0
dotnet test GrpcPlugins.sln --nologo --no-build 2>&1 | tee "$log" || status=$?

# The benchmark suite's smoke mode: every measurement path once at tiny sizes, on the build made above.
# It fails the run only when benchmark code breaks (an exception, a wrong byte count); a timing never fails it.
echo "== benchmarks smoke (tests/Benchmarks -- smoke)"
smoke_log=$(mktemp)
if dotnet run --no-build --project tests/Benchmarks -- smoke >"$smoke_log" 2>&1; then
  sed -n '/GrpcPlugins benchmarks/,$p' "$smoke_log"
else
  cat "$smoke_log"
  echo "benchmarks smoke FAILED"
  status=1
fi
rm -f "$smoke_log"

# One closing line for the whole run, summed over the test assemblies.
passed=$(grep -aEo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -aEo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -aEo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
