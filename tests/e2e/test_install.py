"""The Debian package, installed as a person would (`apt-get install ./linnet_*.deb`, which
also brings what it depends on): it holds the binary and a desktop entry that makes Linnet the
handler of `xmpp:` links (x-scheme-handler/xmpp, `Exec=linnet %u`); the installed binary
starts under Xvfb and shows its first screen (the add-account form). The package is built by
scripts/test.sh (`tauri build --debug --bundles deb`, or `LINNET_DEB` names one) and removed
again afterwards."""

import glob
import os
import subprocess
from pathlib import Path

import pytest
from selenium.webdriver.support import expected_conditions as EC

from conftest import Launcher, screenshot
from flows import by_testid, waiting


def _deb() -> Path:
    named = os.environ.get("LINNET_DEB")
    if named:
        return Path(named)
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache" / "linnet-target")
    found = sorted(glob.glob(f"{target}/*/bundle/deb/*.deb"), key=os.path.getmtime)
    if not found:
        pytest.fail(f"no .deb under {target}/*/bundle/deb: build it with "
                    "`tauri build --debug --bundles deb`")
    return Path(found[-1])


def _root(cmd):
    """``cmd`` as root (directly, or through sudo)."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(prefix + cmd, env=env, capture_output=True, text=True, timeout=600)


def test_the_deb_installs_declares_the_xmpp_handler_and_its_app_starts(prosody, notifications, request):
    deb = _deb()
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    assert " usr/bin/linnet\n" in listing or " ./usr/bin/linnet\n" in listing, listing
    entries = [line.split()[-1] for line in listing.splitlines()
               if "usr/share/applications/" in line and line.endswith(".desktop")]
    assert len(entries) == 1, listing
    desktop = subprocess.run(
        f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO '{entries[0]}'", shell=True,
        capture_output=True, text=True, check=True).stdout
    assert "MimeType=x-scheme-handler/xmpp;" in desktop, desktop
    assert "Exec=linnet %u" in desktop, desktop
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    for needed in ("libwebkit2gtk-4.1-0", "gstreamer1.0-plugins-good", "libayatana-appindicator3-1"):
        assert needed in depends, depends

    installed = _root(["apt-get", "install", "-y", "--no-install-recommends", str(deb.resolve())])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    launcher = Launcher(prosody, "/usr/bin/linnet", request)
    try:
        size = subprocess.run(["dpkg-query", "-W", "-f", "${Installed-Size}", "linnet"],
                              capture_output=True, text=True, check=True).stdout
        print(f"package {deb.stat().st_size / 1e6:.1f} MB, installed {int(size) / 1e3:.1f} MB")
        linnet = launcher.start()
        waiting(linnet, 30).until(
            EC.visibility_of_element_located(by_testid("add-account-form")))
        screenshot(linnet, "installed-first-screen")
    finally:
        launcher.close()
        removed = _root(["apt-get", "remove", "-y", "linnet"])
        assert removed.returncode == 0, removed.stderr
