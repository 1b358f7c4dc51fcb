#!/usr/bin/env bash
# Proves the dotnet new templates from an empty folder, against the packages in artifacts/packages (dotnet pack first;
# tests/run-all.sh calls this after its pack): installs GrpcPlugins.Templates into a private template hive, generates
# every template, builds them and runs their generated tests (one solution, one restore), then packs the generated
# storage plugin with `dotnet publish -p:GrpcPluginPackage=true`, installs it into the generated host through the
# management API and checks that it runs with the project's version. The machine's own templates are untouched.
# NuGet packages go to artifacts/template-packages (kept between runs, except GrpcPlugins' own, which are rebuilt),
# with the machine's own NuGet cache as a read-only fallback.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
feed="$repo/artifacts/packages"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -1)
template_package="$feed/GrpcPlugins.Templates.$version.nupkg"
[ -f "$template_package" ] || { echo "templates: $template_package is missing: run dotnet pack GrpcPlugins.sln first"; exit 1; }

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/grpcplugins-templates.XXXXXX")
host_pid=""
cleanup() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export NUGET_PACKAGES="$repo/artifacts/template-packages"
rm -rf "$NUGET_PACKAGES"/grpcplugins.*
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
hive="$work/.hive"
cd "$work"

# GrpcPlugins.* come only from the local feed; everything else from nuget.org.
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="GrpcPlugins.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
  <fallbackPackageFolders>
    <!-- Read only: the packages this machine already has are not downloaded again. -->
    <add key="machine" value="${HOME}/.nuget/packages" />
  </fallbackPackageFolders>
</configuration>
XML

echo "== templates: dotnet new install $(basename "$template_package")"
dotnet new install "$template_package" --debug:custom-hive "$hive" >/dev/null

dotnet new sln -n Generated --debug:custom-hive "$hive" >/dev/null
for t in auth storage protocol monitor custom; do
  dotnet new "grpcplugin-$t" -o "$t" -n "Acme.${t^}" --debug:custom-hive "$hive" >/dev/null
done
dotnet new grpcplugins-host -o host -n MyHost --debug:custom-hive "$hive" >/dev/null
dotnet sln Generated.sl* add $(find . -name '*.csproj' -not -path './.hive/*' | sort) >/dev/null

echo "== templates: build and run the generated tests"
dotnet build Generated.sl* --nologo -v q
dotnet test Generated.sl* --nologo --no-build

echo "== templates: pack the generated storage plugin, install it into the generated host"
dotnet publish storage/Acme.Storage --nologo -v q -c Debug -p:GrpcPluginPackage=true -p:GrpcPluginPackageOutput="$work/acme.storage.zip"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd host && AdminToken=ci-token PluginManagement__AllowUnsigned=true PluginManagement__PluginsPath="$work/plugins" \
  exec dotnet bin/Debug/net10.0/MyHost.dll --urls "$base" >"$work/host.log" 2>&1) &
host_pid=$!
for _ in $(seq 1 120); do curl -sf "$base/" >/dev/null && break; sleep 1; done
curl -sf "$base/" >/dev/null || { cat "$work/host.log"; echo "templates: the generated host did not start"; exit 1; }
auth=(-H "Authorization: Bearer ci-token")
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/plugins")
[ "$status" = 401 ] || { echo "templates: the management API answered $status without the token, not 401"; exit 1; }
curl -sf "${auth[@]}" -H 'Content-Type: application/zip' --data-binary "@$work/acme.storage.zip" "$base/v1/plugins/upload" >/dev/null
curl -sf "${auth[@]}" -X PUT -H 'Content-Type: application/json' -d '{"status":"running"}' "$base/v1/plugins/acme.storage" >/dev/null
plugin=$(curl -sf "${auth[@]}" "$base/v1/plugins/acme.storage")
echo "$plugin" | grep -q '"status":"running"' || { cat "$work/host.log"; echo "templates: acme.storage is not running: $plugin"; exit 1; }
echo "$plugin" | grep -q '"version":"0.1.0"' || { echo "templates: acme.storage does not report the project's version 0.1.0: $plugin"; exit 1; }
echo "templates: every template built and passed its tests; acme.storage 0.1.0 runs under the generated host ($(( $(date +%s) - started )) s)"
