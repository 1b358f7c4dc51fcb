#!/usr/bin/env bash
# Builds the go-plugin test programs from Debian's Go packages only (GOPATH mode over /usr/share/gocode, no module
# proxy, no network): the Go plugin (auth and storage, Go code generated from proto/ with protoc and Debian's
# protoc-gen-go 1.3 and its grpc plugin) and the Go host that runs a GrpcPlugins plugin. Usage: build.sh OUT_DIR.
# Prints nothing on success; OUT_DIR/goplugin-plugin and OUT_DIR/goplugin-host are the binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
packages=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev protobuf-compiler golang-goprotobuf-dev)
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

work="$out/gopath"
rm -rf "$work/src"
mkdir -p "$work/src/grpcplugins" "$work/src/goplugintest/plugin" "$work/src/goplugintest/host" "$work/cache"
# Debian's protobuf-compiler ships timestamp.proto with a go_package that Debian's Go tree lacks; the APIv1 path has it.
ts=Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp
for contract in auth storage; do
  protoc -I "$repo/proto" -I /usr/include --go_out="plugins=grpc,paths=source_relative,$ts:$work/src/grpcplugins" \
    "$repo/proto/grpcplugins/$contract/v1/$contract.proto"
done
# go-plugin's stdio service, from GrpcPlugins' own copy of its wire contract (go-plugin 1.0.1 has none to import).
protoc -I "$repo/proto" -I /usr/include \
  --go_out="plugins=grpc,paths=source_relative,Mgoogle/protobuf/empty.proto=github.com/golang/protobuf/ptypes/empty,Mthird_party/goplugin/grpc_stdio.proto=third_party/goplugin:$work/src" \
  "$repo/proto/third_party/goplugin/grpc_stdio.proto"
cp "$here/plugin/main.go" "$work/src/goplugintest/plugin/"
cp "$here/host/main.go" "$work/src/goplugintest/host/"
export GOPATH="$work:/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$work/cache"
(cd "$work/src/goplugintest/plugin" && go build -o "$out/goplugin-plugin" .)
(cd "$work/src/goplugintest/host" && go build -o "$out/goplugin-host" .)
