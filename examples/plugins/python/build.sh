#!/bin/sh
# Generates the Python code of a Python plugin's protos into <plugin folder>/gen/ (not committed), with Debian's protoc
# (protobuf-compiler) and grpc_python_plugin (protobuf-compiler-grpc). plugin.proto and grpc's health.proto (which
# grpcplugins_runtime.py uses) are always generated; name the plugin's own protos, relative to proto/. Safe to run
# concurrently: it builds into a temporary folder and renames it into place.
# Usage: build.sh <plugin folder> <name> [--force] [proto ...]   (a plugin's own build.sh calls it)
set -eu
[ $# -ge 2 ] || { echo "usage: build.sh <plugin folder> <name> [--force] [proto ...]" >&2; exit 2; }
here=$(cd "$1" && pwd)
name=$2
shift 2
force=
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
runtime=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$runtime/../../.." && pwd)
gen="$here/gen"
# Up to date unless forced or a proto changed since the last generation (a stale gen/ would lack new fields).
if [ -f "$gen/.complete" ] && [ -z "$force" ] && [ -z "$(find "$repo/proto" -name '*.proto' -newer "$gen/.complete" | head -n 1)" ]; then
  exit 0
fi

# grpc.health.v1's proto: Debian ships grpc's copy with grpc-go (golang-google-grpc-dev), the upstream file
# grpc/grpc-proto grpc/health/v1/health.proto. Override with GRPC_HEALTH_PROTO_DIR (the folder holding grpc/health/v1).
health_dir=${GRPC_HEALTH_PROTO_DIR:-/usr/share/gocode/src/google.golang.org/grpc/debian/missing-sources/grpc/grpc-proto/master}
plugin=$(command -v grpc_python_plugin || true)
if [ -z "$plugin" ] || ! command -v protoc >/dev/null || [ ! -f "$health_dir/grpc/health/v1/health.proto" ]; then
  echo "$name: code generation needs protoc, grpc_python_plugin and grpc/health/v1/health.proto: apt-get install protobuf-compiler protobuf-compiler-grpc golang-google-grpc-dev" >&2
  exit 1
fi

tmp=$(mktemp -d "$here/.gen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The health proto is compiled as grpc_health/v1/health.proto, so that its module is grpc_health.v1.health_pb2 (the
# name pip's grpcio-health-checking uses) and does not hide inside grpcio's own "grpc" package.
mkdir -p "$tmp/.src/grpc_health/v1"
cp "$health_dir/grpc/health/v1/health.proto" "$tmp/.src/grpc_health/v1/health.proto"
protoc -I "$repo/proto" -I "$tmp/.src" -I /usr/include \
  --python_out="$tmp" --grpc_python_out="$tmp" --plugin=protoc-gen-grpc_python="$plugin" \
  grpcplugins/plugin/v1/plugin.proto grpc_health/v1/health.proto "$@"
rm -rf "$tmp/.src"
touch "$tmp/.complete"
rm -rf "$gen.old"
[ -d "$gen" ] && mv "$gen" "$gen.old" 2>/dev/null || true
mv "$tmp" "$gen" 2>/dev/null || true   # a concurrent build that won the race is just as good
rm -rf "$gen.old"
trap - EXIT
rm -rf "$tmp"
