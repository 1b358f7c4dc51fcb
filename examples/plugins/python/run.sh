#!/bin/sh
# Runs a Python plugin for a host: generates its protos' code on first use (or after a proto changed), then execs
# <script> with Debian's Python 3 (python3-grpcio, python3-protobuf), gen/ and grpcplugins_runtime.py on its path.
# Set PYTHON to use another interpreter. Usage: run.sh <plugin folder> <script> [args...] (a plugin's launcher calls it)
set -eu
here=$(cd "$1" && pwd)
script=$2
shift 2
runtime=$(cd "$(dirname "$0")" && pwd)
"$here/build.sh"
PYTHONPATH="$here/gen:$runtime${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-/usr/bin/python3}" "$here/$script" "$@"
