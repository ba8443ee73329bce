#!/usr/bin/env bash
# Builds bin/{{NAME}} offline from Debian's Go packages, as the runner's Go example does: Go code
# generated from proto/plugin.proto (a copy of the runner's, made by `runner plugins new`; never
# edit it, the runner speaks exactly this contract) into .build/, then a GOPATH-mode build
# against /usr/share/gocode. No module download, no jank-runner checkout needed.
set -euo pipefail
plugin_dir="$(pwd)"

missing=()
for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ] || [ ! -d /usr/share/gocode/src/github.com/hashicorp/go-plugin ]; then
  echo "{{NAME}} needs the Go toolchain and libraries (missing: ${missing[*]:-go-plugin sources})." >&2
  echo "Install them with:" >&2
  echo "  apt-get install golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev \\" >&2
  echo "    golang-github-golang-protobuf-1-5-dev golang-google-protobuf-dev protobuf-compiler protoc-gen-go protoc-gen-go-grpc" >&2
  exit 1
fi

build="$plugin_dir/.build"
gopath="$build/gopath"
rm -rf "$gopath/src/jank-runner"
mkdir -p "$gopath/src" bin
# go_package "jank-runner/plugin": the generated package lands in $gopath/src/jank-runner/plugin.
protoc -I "$plugin_dir/proto" --go_out="$gopath/src" --go-grpc_out="$gopath/src" "$plugin_dir/proto/plugin.proto"

export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$build/cache" GOFLAGS= CGO_ENABLED=0
go build -o bin/{{NAME}} ./main.go
echo "built $plugin_dir/bin/{{NAME}}"
