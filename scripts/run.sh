#!/usr/bin/env bash
# Builds Linnet (release, UI embedded) and starts it. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/linnet-target}
scripts/setup.sh run
npm --prefix ui run build
CARGO_PROFILE_RELEASE_INCREMENTAL=true ui/node_modules/.bin/tauri build --no-bundle
exec "$CARGO_TARGET_DIR/release/linnet" "$@"
