#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond ensure-deps.sh, only when it is missing: Go and the nats.go sources
# (Debian's golang-go and golang-github-nats-io-go-nats-dev), to build the Go peer bench/peers/go-replay in GOPATH
# mode without any module download. As root it runs apt-get itself, otherwise through sudo. Where it cannot
# install them it says so and exits 0: the bench then leaves the peer's figures out.
set -euo pipefail

log() { printf '[install-bench-deps] %s\n' "$*" >&2; }

missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -f /usr/share/gocode/src/github.com/nats-io/nats.go/nats.go ] || missing+=(golang-github-nats-io-go-nats-dev)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  log "missing Debian packages: ${missing[*]} (run as root or install them); the bench runs without its Go peer"
  exit 0
fi
log "installing ${missing[*]}"
if ! { "${as_root[@]}" apt-get update -qq >/dev/null &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  log "could not install ${missing[*]}; the bench runs without its Go peer"
fi
