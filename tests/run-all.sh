#!/usr/bin/env bash
# Runs every check of the repository: Protobuf lint, then all unit and functional tests.
# Set-up included: it installs buf from npm and restores NuGet packages. Usage: bash tests/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# buf comes from npm; Debian's nodejs and npm are installed first on a machine without them.
if ! command -v npm >/dev/null; then
  echo "== Installing nodejs and npm from Debian"
  sudo_cmd=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq nodejs npm
fi

echo "== Installing test tools (buf) from npm"
(cd tests/tools && npm install --no-audit --no-fund --loglevel=error)
buf=tests/tools/node_modules/.bin/buf

echo "== buf lint"
"$buf" lint

# Breaking-change check of the released contracts against the previous commit, when there is one.
if git rev-parse --verify --quiet HEAD~1 >/dev/null && git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then
  echo "== buf breaking (against HEAD~1)"
  "$buf" breaking --against '.git#ref=HEAD~1'
fi

echo "== dotnet test"
log=$(mktemp)
status=0
dotnet test GrpcPlugins.sln --nologo 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
