#!/usr/bin/env bash
# App-level benchmark: launch to a 500-contact list from local data, and idle memory (PSS) of
# every app process, measured on the release build under Xvfb (see tests/e2e/bench_launch.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/linnet-target}
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh test
npm --prefix ui run build
(cd src-tauri && ../ui/node_modules/.bin/tauri build --no-bundle)
export LINNET_APP="$CARGO_TARGET_DIR/release/linnet"
# LINNET_BENCH picks another app-level benchmark, e.g. tests/e2e/bench_room.py.
LINNET_E2E_PATHS=${LINNET_BENCH:-tests/e2e/bench_launch.py} exec tests/e2e/run.sh -s "$@"
