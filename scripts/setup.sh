#!/usr/bin/env bash
# Installs what Linnet needs on a Debian 12 machine, idempotently: Debian packages, the npm
# packages from ui/package-lock.json, and (for tests) a Python venv with the harness's
# packages plus tauri-driver. Usage: scripts/setup.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

run_pkgs=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config libdbus-1-dev gnome-keyring
  libgstreamer1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
test_pkgs=(xvfb xauth webkit2gtk-driver dbus dbus-x11 libsecret-tools imagemagick
  fonts-noto-color-emoji prosody prosody-modules lua-unbound lua-dbi-sqlite3 lua-zlib eatmydata openssl python3-venv)

pkgs=("${run_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Never let the system Prosody service run: tests start their own.
  if [ -x /usr/bin/prosodyctl ] && command -v systemctl >/dev/null && systemctl is-active --quiet prosody 2>/dev/null; then
    $sudo_cmd systemctl stop prosody || true
  fi
fi

# npm packages, exactly as locked; reinstalled only when the lockfile changes.
stamp=ui/node_modules/.linnet-lock-sha
want=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci in ui/"
  (cd ui && npm ci --no-audit --no-fund)
  echo "$want" > "$stamp"
fi

if [ "$mode" = test ]; then
  reqs=(tests/harness/requirements.txt tests/e2e/requirements.txt)
  want=$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.linnet-reqs-sha 2>/dev/null)" != "$want" ]; then
    echo "setup: Python venv for the test harness"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check "${reqs[@]/#/-r}"
    echo "$want" > .venv/.linnet-reqs-sha
  fi
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "setup: cargo install tauri-driver"
    cargo install tauri-driver --locked --version "^2"
  fi
fi
