"""End-to-end fixtures: a throwaway Prosody, tauri-driver, and a WebDriver session on the real
Linnet binary with a fresh data folder. Run through tests/e2e/run.sh (D-Bus, keyring, Xvfb)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from linnet_harness.server import ProsodyServer  # noqa: E402
from linnet_harness.peer import Peer  # noqa: E402

ARTIFACTS = Path(os.environ.get("LINNET_ARTIFACTS", ROOT / "tests" / "artifacts"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"tauri-driver did not listen on {port} within {timeout} s")


@pytest.fixture(scope="session")
def notifications(tmp_path_factory):
    """A fake org.freedesktop.Notifications on the session bus, recording every Notify call."""
    from fake_notifications import FakeNotifications

    with FakeNotifications(tmp_path_factory.mktemp("notify") / "calls.jsonl") as fake:
        yield fake


@pytest.fixture(scope="session")
def prosody():
    # Upload slots over HTTPS: Linnet sends and fetches files only over TLS. Accounts can be
    # created from the window (XEP-0077).
    with ProsodyServer(upload_https=True, allow_registration=True) as server:
        yield server


@pytest.fixture
def app_binary() -> str:
    path = os.environ.get("LINNET_APP")
    if not path or not Path(path).is_file():
        pytest.fail(f"Linnet binary not found at {path!r}: build it with `tauri build --debug --no-bundle`")
    return path


class Launcher:
    """Starts Linnet through tauri-driver, possibly several times on the same data folder (to
    test a restart). Each launch gets its own tauri-driver on free ports."""

    def __init__(self, prosody, app_binary, request):
        self.prosody = prosody
        self.app_binary = app_binary
        self.request = request
        self.running = []  # (driver, driver_proc)
        self.folders = []

    def new_data_dir(self) -> Path:
        data = Path(tempfile.mkdtemp(prefix="linnet-e2e-data-"))
        self.folders.append(data)
        return data

    def start(self, data: Path | None = None, trust_ca: bool = True):
        """Launches the app with `data` as its data folder (a fresh one when None). With
        `trust_ca=False` the app does not know the harness CA, as with a self-signed server."""
        data = data or self.new_data_dir()
        port = _free_port()
        native_port = _free_port()
        # No sound hardware here: voice messages record GStreamer's test tone, not a microphone.
        env = dict(os.environ, LINNET_DATA_DIR=str(data), LINNET_MOCK_CAPTURE="1")
        env.pop("LINNET_EXTRA_CA", None)
        if trust_ca:
            env["LINNET_EXTRA_CA"] = str(self.prosody.ca_cert)
        driver_proc = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(native_port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        driver = None
        try:
            # tauri-driver listens at once but proxies to WebKitWebDriver, which starts a moment
            # later: wait for both before asking for a session.
            _wait_port(port, 20)
            _wait_port(native_port, 20)
            options = ArgOptions()
            options.set_capability("browserName", "wry")
            options.set_capability("tauri:options", {"application": self.app_binary})
            for attempt in range(3):
                try:
                    driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
                    break
                except Exception:  # the native driver dropped the first request: try again
                    if attempt == 2:
                        raise
                    time.sleep(1)
            driver.implicitly_wait(0)
        except BaseException:
            _terminate(driver_proc)
            raise
        self.running.append((driver, driver_proc))
        return driver

    def stop(self, driver, shot: str | None = None) -> None:
        """Quits one launched app (its window closes, the process exits)."""
        for i, (d, proc) in enumerate(self.running):
            if d is driver:
                del self.running[i]
                try:
                    if shot:
                        screenshot(d, shot)
                finally:
                    try:
                        d.quit()
                    finally:
                        _terminate(proc)
                return

    def close(self) -> None:
        name = self.request.node.name
        for n, (driver, _) in enumerate(list(self.running)):
            self.stop(driver, shot=f"{name}-final" + (f"-{n}" if n else ""))
        for data in self.folders:
            shutil.rmtree(data, ignore_errors=True)


def _terminate(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def launcher(prosody, app_binary, notifications, request):
    launcher = Launcher(prosody, app_binary, request)
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.fixture
def linnet(launcher):
    """One launch of Linnet on a fresh data folder; yields the WebDriver."""
    yield launcher.start()


def screenshot(driver, name: str) -> Path:
    """Saves a PNG of the app's window (cut from the Xvfb screen) after two animation frames,
    so fresh text is painted. Taken from X (ImageMagick's ``import -window root``), as a
    person would see it: WebKitWebDriver's own screenshot never returns when WebKit's
    accelerated compositing is off, which the app turns off on Linux."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_async_script(
        "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )
    path = ARTIFACTS / f"{name}.png"
    rect = driver.get_window_rect()
    crop = f"{rect['width']}x{rect['height']}+{max(rect['x'], 0)}+{max(rect['y'], 0)}"
    subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(path)],
                   check=True, timeout=30, capture_output=True)
    return path
