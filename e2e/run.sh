#!/usr/bin/env bash
# Browser journeys: e2e/run.sh [--bin PATH-TO-wangge] [journey ...]
# Builds nothing: the wangge binary defaults to ${CARGO_TARGET_DIR:-target}/debug/wangge.
# Needs `npm ci` in e2e/ once, and Debian's /usr/bin/chromium (no browser is downloaded).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "e2e: run 'npm ci --no-audit --no-fund' in e2e/ first" >&2
  exit 2
fi
cd "$repo"
exec node "$here/run.mjs" "$@"
