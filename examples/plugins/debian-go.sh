# Shared by every script that builds Go code in this repository from Debian's Go packages only: GOPATH mode over
# /usr/share/gocode, no module proxy, no network. Source it from bash, then:
#   debian_go_install [EXTRA_PACKAGE...]   installs what is missing (apt-get, with sudo when not root)
#   debian_go_env WORK [CACHE]             exports GOPATH=WORK:/usr/share/gocode and the build cache CACHE (default
#                                          WORK/cache; a lasting one saves rebuilding grpc-go each time)
#   debian_go_protoc OUT PROTO...          generates Go code (protoc-gen-go 1.3 with its grpc plugin) of protos under
#                                          the repository's proto/ into OUT, by their path relative to proto/
# Used by examples/plugins/GoStorage/build.sh, tests/goplugin/build.sh and tests/Benchmarks/peer-goplugin/run.sh.

debian_go_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

debian_go_install() {
  local packages=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev protobuf-compiler golang-goprotobuf-dev "$@")
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    local as_root=()
    [[ $(id -u) -eq 0 ]] || as_root=(sudo)
    echo "installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >&2
  fi
}

debian_go_env() {
  local cache="${2:-$1/cache}"
  mkdir -p "$1/src" "$cache"
  export GOPATH="$1:/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$cache"
}

debian_go_protoc() {
  local out="$1"
  shift
  # Debian's protobuf-compiler ships the well-known protos with go_packages that Debian's Go tree lacks; the APIv1
  # paths have them. go-plugin's own services (proto/third_party/goplugin) become the package "third_party/goplugin".
  local m="Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp"
  m+=",Mgoogle/protobuf/struct.proto=github.com/golang/protobuf/ptypes/struct"
  m+=",Mgoogle/protobuf/empty.proto=github.com/golang/protobuf/ptypes/empty"
  local proto
  for proto in "$@"; do
    case "$proto" in
      third_party/goplugin/*) m+=",M$proto=third_party/goplugin" ;;
    esac
  done
  mkdir -p "$out"
  for proto in "$@"; do
    # One protoc run per package: protoc-gen-go 1.3 wants one package per run.
    protoc -I "$debian_go_repo/proto" -I /usr/include --go_out="plugins=grpc,paths=source_relative,$m:$out" "$debian_go_repo/proto/$proto"
  done
}
