#!/usr/bin/env bash
# The README's first command: the whole flow on this machine, in a new folder under demo-output/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/ensure-deps.sh
npm run --silent build
exec node bin/sox-report.js demo --dir "demo-output/$(date -u +%Y%m%dT%H%M%SZ)" "$@"
