#!/usr/bin/env bash
# Installs the two nats-server binaries the test suite runs against:
#
#   * 2.9.10  - Debian bookworm's own package, installed system-wide.
#               Note: Debian ships the binary as /usr/sbin/nats-server (not
#               /usr/bin); /usr/bin/nats-server is accepted too if present.
#   * 2.10.27 - Debian trixie's package, downloaded with apt using throw-away
#               apt state (the machine's apt configuration is not modified) and
#               unpacked with `dpkg -x` into
#               ${NATS_CACHE_DIR:-<repo>/.cache/nats-server}/2.10.27/usr/bin/nats-server
#               (the package itself ships usr/sbin/nats-server; a usr/bin
#               symlink is added so the path above is stable).
#
# The Debian mirror is read from the machine's own apt configuration at run
# time, so the script works behind whatever mirror/proxy the host uses.
#
# Environment:
#   NATS_CACHE_DIR   where unpacked server versions are kept
#                    (default: <repo>/.cache/nats-server)
#   The tests (test/support/nats-binaries.ts) honour NATS_SERVER_2_9 and
#   NATS_SERVER_2_10 to override the binary paths.
#
# Must run as root (uses apt-get). Idempotent: does nothing if both binaries
# are already present and report the expected versions.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
CACHE_DIR="${NATS_CACHE_DIR:-$REPO/.cache/nats-server}"

OLD_VERSION="2.9.10"
OLD_BIN_CANDIDATES=(/usr/sbin/nats-server /usr/bin/nats-server)
OLD_BIN=""
NEW_VERSION="2.10.27"
NEW_SUITE="trixie"
NEW_BIN="$CACHE_DIR/$NEW_VERSION/usr/bin/nats-server"

log() { printf '[install-nats-servers] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# has_version BIN VERSION: true if BIN exists, runs, and reports VERSION.
has_version() {
  local bin="$1" want="$2" out
  [[ -x "$bin" ]] || return 1
  out="$("$bin" --version 2>&1)" || return 1
  [[ "$out" == *"v$want"* || "$out" == *" $want"* ]]
}

need_root() {
  [[ "$(id -u)" -eq 0 ]] || die "must run as root (needs apt-get); re-run with sudo"
}

# ---------------------------------------------------------------------------
# 1. bookworm nats-server (system package)
# ---------------------------------------------------------------------------
# Set OLD_BIN to the first candidate reporting OLD_VERSION; false if none.
find_old_bin() {
  local b
  for b in "${OLD_BIN_CANDIDATES[@]}"; do
    if has_version "$b" "$OLD_VERSION"; then OLD_BIN="$b"; return 0; fi
  done
  return 1
}

install_old() {
  if find_old_bin; then
    log "nats-server $OLD_VERSION already installed at $OLD_BIN"
    return
  fi
  local b
  for b in "${OLD_BIN_CANDIDATES[@]}"; do
    [[ -e "$b" ]] && die "$b exists but does not report version $OLD_VERSION: $("$b" --version 2>&1 || true)"
  done
  need_root
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package lists if apt does not know a candidate yet.
  # (Output captured first: `| grep -q` would SIGPIPE apt-cache under pipefail.)
  local policy
  policy="$(apt-cache policy nats-server 2>/dev/null || true)"
  if [[ "$policy" != *"Candidate: "[0-9]* ]]; then
    log "apt-get update"
    apt-get update -qq
  fi
  log "apt-get install nats-server"
  apt-get install -y -qq --no-install-recommends nats-server >/dev/null
  find_old_bin \
    || die "no nats-server $OLD_VERSION in ${OLD_BIN_CANDIDATES[*]} after install (package files: $(dpkg -L nats-server | grep -E '/s?bin/' | tr '\n' ' '))"
}

# ---------------------------------------------------------------------------
# 2. trixie nats-server, unpacked into the cache folder
# ---------------------------------------------------------------------------

# Print the URI of the machine's main (non-security) bookworm Debian mirror.
find_mirror() {
  local f uri
  shopt -s nullglob
  # deb822 *.sources files: take the first enabled "deb" stanza whose Suites
  # contain exactly "bookworm" (so the -security archive is never chosen).
  for f in /etc/apt/sources.list.d/*.sources; do
    uri="$(awk '
      function flush() {
        if (uri != "" && is_deb && has_suite && enabled) { print uri; found = 1; exit }
        uri = ""; is_deb = 0; has_suite = 0; enabled = 1
      }
      BEGIN { IGNORECASE = 1; enabled = 1 }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = $1; sub(/:$/, "", key); key = tolower(key)
        if (key == "types")   { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
        if (key == "uris")    { if (uri == "") uri = $2 }
        if (key == "suites")  { for (i = 2; i <= NF; i++) if ($i == "bookworm") has_suite = 1 }
        if (key == "enabled") { if (tolower($2) == "no") enabled = 0 }
      }
      END { if (!found) flush() }
    ' "$f")"
    if [[ -n "$uri" ]]; then printf '%s\n' "$uri"; return 0; fi
  done
  # One-line format: "deb [options] URI bookworm component..."
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    uri="$(awk '
      /^[ \t]*deb[ \t]/ {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ((i + 1) <= NF && $(i + 1) == "bookworm") { print $i; exit }
      }
    ' "$f")"
    if [[ -n "$uri" ]]; then printf '%s\n' "$uri"; return 0; fi
  done
  return 1
}

install_new() {
  if has_version "$NEW_BIN" "$NEW_VERSION"; then
    log "nats-server $NEW_VERSION already unpacked at $NEW_BIN"
    return
  fi
  need_root

  local mirror
  mirror="$(find_mirror)" || die "could not find the bookworm Debian mirror in /etc/apt/sources.list(.d)"
  mirror="${mirror%/}"
  log "using the machine's Debian mirror for suite $NEW_SUITE"

  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"

  # bookworm's debian-archive-keyring (2023.3+) ships the trixie archive keys,
  # so trixie's Release file can be verified properly; with an older keyring
  # fall back to trusted=yes (the .deb is still checked against the index).
  local signed="trusted=yes"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [[ -s "$keyring" && -s /usr/share/keyrings/debian-archive-trixie-stable.gpg ]]; then
    signed="signed-by=$keyring"
  fi
  printf 'deb [%s] %s %s main\n' "$signed" "$mirror" "$NEW_SUITE" >"$tmp/sources.list"

  # Everything apt writes goes to $tmp; the system's sources, lists, caches
  # and preferences are neither read (sources/preferences) nor modified.
  local -a apt_opts=(
    -o "Dir::Etc::SourceList=$tmp/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::Cache=$tmp/cache"
    -o "APT::Sandbox::User=root"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false"
  )

  log "apt-get update ($NEW_SUITE, temporary state)"
  apt-get "${apt_opts[@]}" update -qq

  local version
  version="$(apt-cache "${apt_opts[@]}" madison nats-server \
    | awk -F'|' -v want="$NEW_VERSION" '{ gsub(/ /, "", $2); if (index($2, want "-") == 1 || $2 == want) { print $2; exit } }')"
  if [[ -z "$version" ]]; then
    die "nats-server $NEW_VERSION not found in $NEW_SUITE; available: $(apt-cache "${apt_opts[@]}" madison nats-server | awk -F'|' '{gsub(/ /,"",$2); print $2}' | tr '\n' ' ')"
  fi

  log "apt-get download nats-server=$version"
  (cd "$tmp/deb" && apt-get "${apt_opts[@]}" download -qq "nats-server=$version")
  local deb
  deb="$(find "$tmp/deb" -maxdepth 1 -name 'nats-server_*.deb' | head -n1)"
  [[ -n "$deb" ]] || die "apt-get download produced no .deb"

  # Unpack next to the final location, then swap it in atomically-ish.
  local dest="$CACHE_DIR/$NEW_VERSION"
  mkdir -p "$CACHE_DIR"
  local staging
  staging="$(mktemp -d "$CACHE_DIR/.$NEW_VERSION.XXXXXX")"
  dpkg -x "$deb" "$staging"
  chmod 755 "$staging"
  # Debian ships the server in usr/sbin; expose it at the stable usr/bin path.
  if [[ ! -e "$staging/usr/bin/nats-server" && -x "$staging/usr/sbin/nats-server" ]]; then
    mkdir -p "$staging/usr/bin"
    ln -s ../sbin/nats-server "$staging/usr/bin/nats-server"
  fi
  has_version "$staging/usr/bin/nats-server" "$NEW_VERSION" \
    || { rm -rf "$staging"; die "unpacked binary does not report $NEW_VERSION"; }
  rm -rf "$dest"
  mv "$staging" "$dest"

  rm -rf "$tmp"
  trap - EXIT
}

install_old
install_new

log "done"
echo "NATS_SERVER_2_9=$OLD_BIN"
echo "NATS_SERVER_2_10=$NEW_BIN"
