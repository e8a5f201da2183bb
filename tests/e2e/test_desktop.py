"""Linnet on the desktop, through the real window: closing the window keeps Linnet running in
the tray (where the session has one) with the unread count on the icon; one instance per
data folder. A second
launch with an `xmpp:` link (RFC 5122 `?message;body=`) on the same data folder hands the link
to the running Linnet and exits; the window opens that chat with the text in the composer,
and nothing is sent until the user presses Enter (the contact's slixmpp client sees nothing
before, and the message after)."""

import os
import subprocess
import time

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def test_a_second_launch_with_an_xmpp_link_fills_the_first_windows_composer(launcher, prosody):
    prosody.register("mona", "mona-pw")
    prosody.register("nico", "nico-pw")
    data = launcher.new_data_dir()
    linnet = launcher.start(data)
    sign_in(linnet, prosody, "mona@localhost", "mona-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "nico", "nico-pw", auto_accept=True)
    try:
        env = dict(os.environ, LINNET_DATA_DIR=str(data), LINNET_EXTRA_CA=str(prosody.ca_cert))
        second = subprocess.run(
            [launcher.app_binary, "xmpp:nico@localhost?message;body=Hello%20from%20a%20link"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        assert second.returncode == 0, "the second launch hands over and exits"
        chat = wait.until(EC.visibility_of_element_located(by_testid("chat-view")))
        assert chat.get_attribute("data-peer") == "nico@localhost"
        composer = linnet.find_element(*by_testid("composer"))
        wait.until(lambda d: composer.get_attribute("value") == "Hello from a link")
        screenshot(linnet, "desktop-xmpp-link")
        try:
            early = peer.wait_for(lambda e: e.get("event") == "message" and e.get("body"), timeout=2)
        except TimeoutError:
            early = None
        assert early is None, f"nothing sent before Enter: {early}"
        composer.send_keys(Keys.ENTER)
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("body"), timeout=30)
        assert got["body"] == "Hello from a link", got

        # The dark theme, pinned in the settings, applies at once (the README's screenshot).
        linnet.find_element(*by_testid("open-settings")).click()
        Select(wait.until(EC.visibility_of_element_located(by_testid("setting-theme")))) \
            .select_by_value("dark")
        linnet.find_element(*by_testid("settings-dialog")).find_element(
            "css selector", ".actions button").click()
        background = linnet.execute_script(
            "return getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(22, 24, 28)", background
        screenshot(linnet, "desktop-dark")
        # The webview's storage outlives this data folder: back to the system's theme.
        linnet.find_element(*by_testid("open-settings")).click()
        Select(wait.until(EC.visibility_of_element_located(by_testid("setting-theme")))) \
            .select_by_value("system")
        linnet.find_element(*by_testid("settings-dialog")).find_element(
            "css selector", ".actions button").click()
    finally:
        peer.close()


def test_closing_the_window_keeps_linnet_running_in_the_tray(launcher, prosody, notifications):
    """With a tray in the session (a StatusNotifierWatcher: here a fake panel on the test's
    D-Bus), closing the window (WM_DELETE_WINDOW, as a close button) hides it and says once
    that Linnet keeps running; a message then arrives, the tray item's label (its
    StatusNotifierItem property, read over D-Bus) becomes 1, the notification is shown, and
    clicking it brings the window back on that chat."""
    from fake_tray import FakeTray, close_window, is_viewable

    prosody.register("olga", "olga-pw")
    prosody.register("paul", "paul-pw")
    with FakeTray() as tray:
        linnet = launcher.start()
        sign_in(linnet, prosody, "olga@localhost", "olga-pw")
        wait = waiting(linnet, 30)
        peer = Peer.for_server(prosody, "paul", "paul-pw", auto_accept=True)
        try:
            assert tray.item_property("XAyatanaLabel") == "", "nothing unread yet"
            close_window("Linnet")
            wait.until(lambda d: not is_viewable("Linnet"))
            notifications.wait_for_call(lambda c: c["summary"] == "Linnet is still running",
                                        timeout=10)
            peer.send("olga@localhost", "Are you still there?")
            deadline = time.monotonic() + 30
            while tray.item_property("XAyatanaLabel") != "1":
                assert time.monotonic() < deadline, tray.item_property("XAyatanaLabel")
                time.sleep(0.2)
            call = notifications.wait_for_call(
                lambda c: c["summary"] == "Message from paul@localhost"
                and c["body"] == "Are you still there?", timeout=15)
            notifications.invoke_action(call["id"])
            wait.until(lambda d: is_viewable("Linnet"))
            chat = wait.until(EC.visibility_of_element_located(by_testid("chat-view")))
            assert chat.get_attribute("data-peer") == "paul@localhost"
            screenshot(linnet, "desktop-back-from-tray")
        finally:
            peer.close()


def test_starting_at_login_writes_and_removes_the_autostart_entry(launcher, prosody, tmp_path, monkeypatch):
    """The settings' "Start Linnet when I log in" (off by default) writes an XDG autostart
    entry that starts this binary with --autostart (Linnet then stays in the tray), and
    removes it when turned off."""
    # auto-launch writes into $HOME/.config/autostart: a home of the test's own.
    monkeypatch.setenv("HOME", str(tmp_path))
    prosody.register("quin", "quin-pw")
    linnet = launcher.start()
    sign_in(linnet, prosody, "quin@localhost", "quin-pw")
    wait = waiting(linnet, 30)
    wait.until(EC.element_to_be_clickable(by_testid("open-settings"))).click()
    box = wait.until(EC.presence_of_element_located(by_testid("setting-autostart")))
    wait.until(lambda d: box.is_enabled())
    assert not box.is_selected(), "off by default"
    box.click()
    entry = tmp_path / ".config" / "autostart" / "Linnet.desktop"
    deadline = time.monotonic() + 10
    while not entry.exists():
        assert time.monotonic() < deadline, list(tmp_path.rglob("*"))
        time.sleep(0.1)
    text = entry.read_text()
    assert f"Exec={launcher.app_binary} --autostart" in text or \
        (launcher.app_binary in text and "--autostart" in text), text
    box.click()
    deadline = time.monotonic() + 10
    while entry.exists():
        assert time.monotonic() < deadline, "the entry stays"
        time.sleep(0.1)
