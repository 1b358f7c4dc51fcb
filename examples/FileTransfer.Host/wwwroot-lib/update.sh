#!/usr/bin/env bash
# Updates the dashboard's vendored browser libraries: installs exactly what package-lock.json pins (npm ci), then
# copies the built files and their licence into ../wwwroot/lib/, which is committed so `dotnet run` needs no npm.
# To move to a newer uPlot: change its version in package.json, run `npm install` once to update the lock, then this.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
lib=../wwwroot/lib/uplot
mkdir -p "$lib"
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE "$lib/"
echo "uPlot $(node -p "require('./node_modules/uplot/package.json').version") copied to $lib"
