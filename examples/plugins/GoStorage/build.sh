#!/usr/bin/env bash
# Builds GoStorage from the committed Go source with Debian's Go packages only (../debian-go.sh: GOPATH mode over
# /usr/share/gocode, no module proxy, no network). The Go code of the storage contract is generated from proto/ by
# protoc in the build, not committed: proto/ is its one home. Output: bin/GoStorage beside this script.
# Safe to run concurrently: it builds in a temporary folder and renames the binary into place. Usage: build.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -x "$here/bin/GoStorage" && "${1:-}" != "--force" && -z "$(find "$here" "$here/../../../proto/grpcplugins/storage" -newer "$here/bin/GoStorage" \( -name '*.go' -o -name '*.proto' \) -print -quit)" ]]; then
  exit 0
fi
source "$here/../debian-go.sh"
debian_go_install

work="$(mktemp -d "${TMPDIR:-/tmp}/gostorage-build-XXXXXX")"
trap 'rm -rf "$work"' EXIT
debian_go_env "$work" "${XDG_CACHE_HOME:-$HOME/.cache}/grpcplugins-go-build"
mkdir -p "$work/src/gostorage" "$here/bin"
debian_go_protoc "$work/src/grpcplugins" grpcplugins/storage/v1/storage.proto
cp "$here"/*.go "$work/src/gostorage/"
(cd "$work/src/gostorage" && go build -o "$work/GoStorage" .)
mv -f "$work/GoStorage" "$here/bin/GoStorage"
