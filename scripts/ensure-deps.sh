#!/usr/bin/env bash
# Installs what the demo and the tests need on a bare Debian machine, and nothing twice:
# both nats-server versions, the PDF/browser tools, the npm packages (which also builds dist/ through "prepare").
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/install-nats-servers.sh >/dev/null
bash scripts/install-system-packages.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
