#!/usr/bin/env bash
# Builds the go-plugin test programs from Debian's Go packages only (examples/plugins/debian-go.sh: GOPATH mode over
# /usr/share/gocode, no module proxy, no network): the Go plugin (auth and storage, Go code generated from proto/ with
# protoc and Debian's protoc-gen-go 1.3 and its grpc plugin) and the Go host that runs a GrpcPlugins plugin.
# Usage: build.sh OUT_DIR. Prints nothing on success; OUT_DIR/goplugin-plugin and OUT_DIR/goplugin-host are the binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
source "$here/../../examples/plugins/debian-go.sh"
debian_go_install

work="$out/gopath"
rm -rf "$work/src"
debian_go_env "$work"
mkdir -p "$work/src/goplugintest/plugin" "$work/src/goplugintest/host"
debian_go_protoc "$work/src/grpcplugins" grpcplugins/auth/v1/auth.proto grpcplugins/storage/v1/storage.proto grpcplugins/host/v1/host_callbacks.proto
# go-plugin's stdio service, from GrpcPlugins' own copy of its wire contract (go-plugin 1.0.1 has none to import).
debian_go_protoc "$work/src" third_party/goplugin/grpc_stdio.proto
cp "$here/plugin/main.go" "$work/src/goplugintest/plugin/"
cp "$here/host/main.go" "$work/src/goplugintest/host/"
(cd "$work/src/goplugintest/plugin" && go build -o "$out/goplugin-plugin" .)
(cd "$work/src/goplugintest/host" && go build -o "$out/goplugin-host" .)
