#!/usr/bin/env bash
# Builds Linnet's installers for this platform: on Linux the .deb and .rpm (release build,
# the UI embedded; the app's icon, a desktop entry that handles xmpp: links, and the packages
# it depends on declared). Usage: scripts/bundle.sh [--debug]
# Output: $CARGO_TARGET_DIR/{release,debug}/bundle/{deb,rpm}/. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/linnet-target}
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh run
profile=()
[ "${1:-}" = --debug ] && profile=(--debug)
npm --prefix ui run build
ui/node_modules/.bin/tauri build "${profile[@]}" --bundles deb,rpm
ls -l "$CARGO_TARGET_DIR"/*/bundle/deb/*.deb "$CARGO_TARGET_DIR"/*/bundle/rpm/*.rpm
