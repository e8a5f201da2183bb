"""Linnet on the desktop, through the real window: one instance per data folder. A second
launch with an `xmpp:` link (RFC 5122 `?message;body=`) on the same data folder hands the link
to the running Linnet and exits; the window opens that chat with the text in the composer,
and nothing is sent until the user presses Enter (the contact's slixmpp client sees nothing
before, and the message after)."""

import os
import subprocess

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import Peer, screenshot
from flows import by_testid, sign_in


def test_a_second_launch_with_an_xmpp_link_fills_the_first_windows_composer(launcher, prosody):
    prosody.register("mona", "mona-pw")
    prosody.register("nico", "nico-pw")
    data = launcher.new_data_dir()
    linnet = launcher.start(data)
    sign_in(linnet, prosody, "mona@localhost", "mona-pw")
    wait = WebDriverWait(linnet, 30)
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
    finally:
        peer.close()
