#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo use, only those missing:
#   poppler-utils (pdfsig, pdftotext, pdffonts, pdftoppm, pdfinfo), qpdf, openssl,
#   libnss3-tools (certutil, for the trusted-certificate check of pdfsig), chromium (the HTML report's browser test),
#   jq (the demo shows how to read an evidence file with zcat and jq, and its test runs that command).
set -euo pipefail

declare -A PACKAGE_OF=(
  [pdfsig]=poppler-utils
  [qpdf]=qpdf
  [openssl]=openssl
  [certutil]=libnss3-tools
  [chromium]=chromium
  [jq]=jq
)

missing=()
for command in "${!PACKAGE_OF[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "[install-system-packages] missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "[install-system-packages] installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
