#!/usr/bin/env bash
# Runs the end-to-end tests in a private D-Bus session with an unlocked GNOME Keyring (where
# the app stores passwords) and a virtual X display. HOME and XDG folders point into a temp
# folder so nothing touches the user's own keyring. LINNET_E2E_PATHS picks other test files
# (scripts/bench-app.sh runs the app-level benchmark through it).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/linnet-target}
export LINNET_APP="${LINNET_APP:-$CARGO_TARGET_DIR/debug/linnet}"
export PATH="$HOME/.cargo/bin:$PATH"
export LINNET_ARTIFACTS="${LINNET_ARTIFACTS:-$PWD/tests/artifacts}"
mkdir -p "$LINNET_ARTIFACTS"
scratch=$(mktemp -d /tmp/linnet-e2e-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
  XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
py="$PWD/.venv/bin/python"
exec dbus-run-session -- bash -c '
  set -euo pipefail
  eval "$(printf linnet-test | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" -m pytest -q -p no:cacheprovider ${LINNET_E2E_PATHS:-tests/e2e} "$@"
' "$py" "$@"
