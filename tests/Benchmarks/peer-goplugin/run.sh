#!/usr/bin/env bash
# Builds and runs the HashiCorp go-plugin peer of the benchmarks from Debian's Go packages only
# (examples/plugins/debian-go.sh): no module proxy, no network. Prints the peer's JSON result on stdout; any argument
# is passed to it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../../examples/plugins/debian-go.sh"
debian_go_install

# GOPATH mode over Debian's source tree: the peer lives in a private GOPATH beside /usr/share/gocode.
work="${PEER_WORK:-${TMPDIR:-/tmp}/grpcplugins-goplugin-peer}"
debian_go_env "$work"
mkdir -p "$work/src/peer"
cp "$here/main.go" "$work/src/peer/main.go"
(cd "$work/src/peer" && go build -o "$work/peer" .) >&2
exec "$work/peer" "$@"
