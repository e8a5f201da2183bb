#!/usr/bin/env bash
# Runs every check and test: formatting, lints, type checks, UI unit tests, Rust unit and
# integration tests (real Prosody + slixmpp peer), the harness self-test, and the end-to-end
# tests driving the real app under Xvfb. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/linnet-target}
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n=== %s\n' "$*"; }

step setup
scripts/setup.sh test

step "rustfmt"
cargo fmt --all -- --check

step "UI: svelte-check, unit tests, build"
npm --prefix ui run check
npm --prefix ui test
npm --prefix ui run build

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust unit and integration tests"
cargo test --workspace --locked

step "harness self-test"
.venv/bin/python -m pytest -q tests/harness

step "end-to-end: build the app with the UI embedded, and its .deb (test_install.py)"
ui/node_modules/.bin/tauri build --debug --bundles deb

step "end-to-end: the real app under Xvfb through WebDriver"
tests/e2e/run.sh
