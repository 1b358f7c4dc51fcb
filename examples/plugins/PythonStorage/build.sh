#!/bin/sh
# Generates the Python code of the protos this plugin uses into gen/ (not committed): the shared ../python/build.sh
# with grpcplugins/storage/v1/storage.proto. Usage: build.sh [--force]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../python/build.sh" "$here" PythonStorage "$@" grpcplugins/storage/v1/storage.proto
