#!/bin/sh
# Generates the Python code of the protos this plugin uses into gen/ (not committed): the shared ../python/build.sh
# with the HTTP route and host callback protos. Usage: build.sh [--force]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../python/build.sh" "$here" PythonShareLinks "$@" grpcplugins/http/v1/http.proto grpcplugins/host/v1/host_callbacks.proto
