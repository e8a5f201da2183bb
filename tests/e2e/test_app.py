"""The real Linnet window, driven through WebDriver, against a real Prosody and a slixmpp peer."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, waiting


def test_first_screen_is_add_account(linnet):
    form = waiting(linnet, 20).until(EC.visibility_of_element_located(by_testid("add-account-form")))
    assert "Add an XMPP account" in linnet.find_element(By.TAG_NAME, "body").text
    assert form.find_element(*by_testid("jid-input")).is_displayed()
    assert form.find_element(*by_testid("password-input")).get_attribute("type") == "password"
    path = screenshot(linnet, "add-account")
    assert path.stat().st_size > 1000, "the screenshot holds a rendered window"


def test_sign_in_receive_and_reply(linnet, prosody, notifications):
    prosody.register("anna", "anna-pw")
    prosody.register("ben", "ben-pw")
    wait = waiting(linnet, 30)
    wait.until(EC.visibility_of_element_located(by_testid("add-account-form")))
    linnet.find_element(*by_testid("jid-input")).send_keys("anna@localhost")
    linnet.find_element(*by_testid("password-input")).send_keys("anna-pw")
    # Advanced: the harness's Prosody listens on a loopback port of its own.
    for summary in linnet.find_elements(By.TAG_NAME, "summary"):
        summary.click()
    linnet.find_element(*by_testid("host-input")).send_keys("127.0.0.1")
    linnet.find_element(*by_testid("port-input")).send_keys(str(prosody.ports.c2s))
    linnet.find_element(*by_testid("sign-in")).click()
    wait.until(EC.visibility_of_element_located(by_testid("account-list")))
    wait.until(lambda d: d.find_element(*by_testid("connection-state")).get_attribute("data-state") == "online")
    screenshot(linnet, "main-online")

    peer = Peer.for_server(prosody, "ben", "ben-pw", auto_accept=True)
    try:
        peer.send("anna@localhost", "Hello Anna <img src=x onerror=alert(1)>")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-ben@localhost")))
        # The chat was not on screen: a desktop notification was shown (fake service records it).
        call = notifications.wait_for_call(lambda c: "ben@localhost" in c["summary"], timeout=10)
        assert "Hello Anna" in call["body"]
        assert "default" in call["actions"], "the notification can be clicked"
        before = len(notifications.calls())
        # Clicking the notification opens that conversation.
        # The app starts listening for the click just after the notification is shown (a D-Bus
        # match rule notify-rust adds on its own connection); a click sent in that moment is
        # lost, as it would be for a person, who would click again.
        def clicked_open(d):
            notifications.invoke_action(call["id"], "default")
            time.sleep(0.5)
            views = d.find_elements(*by_testid("chat-view"))
            return bool(views) and views[0].get_attribute("data-peer") == "ben@localhost"
        waiting(linnet, 30, poll_frequency=1.5).until(clicked_open)
        msg = wait.until(EC.visibility_of_element_located(by_testid("message")))
        assert "Hello Anna <img src=x onerror=alert(1)>" in msg.text, "remote text is shown as text"
        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys("Hi Ben")
        composer.send_keys(Keys.ENTER)
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("body") == "Hi Ben", timeout=20)
        assert got["origin_id"], "our reply carries an origin-id (XEP-0359)"
        wait.until(lambda d: any(m.get_attribute("data-outgoing") == "true" for m in d.find_elements(*by_testid("message"))))
        # slixmpp answers the receipt request (XEP-0184): the window shows the reply delivered.
        wait.until(lambda d: any(
            m.get_attribute("data-outgoing") == "true" and m.get_attribute("data-state") == "delivered"
            for m in d.find_elements(*by_testid("message"))))
        time.sleep(0.5)
        assert len(notifications.calls()) == before, "our own message never notifies"
        screenshot(linnet, "chat")
    finally:
        peer.close()
