#!/usr/bin/env bash
# Builds and runs the HashiCorp go-plugin peer of the benchmarks from Debian's Go packages only:
# no module proxy, no network. Prints the peer's JSON result on stdout; any argument is passed to it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packages=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  echo "installing ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi

# GOPATH mode over Debian's source tree: the peer lives in a private GOPATH beside /usr/share/gocode.
work="${PEER_WORK:-${TMPDIR:-/tmp}/grpcplugins-goplugin-peer}"
mkdir -p "$work/src/peer" "$work/cache"
cp "$here/main.go" "$work/src/peer/main.go"
export GOPATH="$work:/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$work/cache"
(cd "$work/src/peer" && go build -o "$work/peer" .) >&2
exec "$work/peer" "$@"
