"""Search and new chats in the real window: a word from a contact's older message is found
from the search box and opens the conversation at that message; a chat with an address that
is no contact is started from "New chat" and the message reaches it."""

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def test_search_opens_the_hit_and_a_new_chat_reaches_a_stranger(linnet, prosody):
    prosody.register("erin", "erin-pw")
    prosody.register("finn", "finn-pw")
    prosody.register("gus", "gus-pw")
    sign_in(linnet, prosody, "erin@localhost", "erin-pw")
    wait = waiting(linnet, 30)
    finn = Peer.for_server(prosody, "finn", "finn-pw", auto_accept=True)
    gus = Peer.for_server(prosody, "gus", "gus-pw", auto_accept=True)
    try:
        finn.send("erin@localhost", "the key is under the flowerpot")
        for i in range(5):
            finn.send("erin@localhost", f"later message {i}")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-finn@localhost")))

        linnet.find_element(*by_testid("open-search")).click()
        box = wait.until(EC.visibility_of_element_located(by_testid("search-input")))
        box.send_keys("flowerp")
        hit = wait.until(EC.element_to_be_clickable(by_testid("search-result")))
        assert hit.get_attribute("data-peer") == "finn@localhost"
        assert "flowerpot" in (hit.get_attribute("textContent") or "")
        hit.click()
        wait.until(lambda d: d.find_element(*by_testid("chat-view")).get_attribute("data-peer") == "finn@localhost")
        wait.until(lambda d: any(
            m.get_attribute("data-highlighted") == "true" and "flowerpot" in (m.get_attribute("textContent") or "")
            for m in d.find_elements(*by_testid("message"))))
        screenshot(linnet, "search-hit")

        linnet.find_element(*by_testid("new-chat")).click()
        jid = wait.until(EC.visibility_of_element_located(by_testid("new-chat-jid")))
        jid.send_keys("gus@localhost")
        linnet.find_element(*by_testid("new-chat-start")).click()
        wait.until(lambda d: d.find_element(*by_testid("chat-view")).get_attribute("data-peer") == "gus@localhost")
        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys("hello stranger")
        composer.send_keys(Keys.ENTER)
        got = gus.wait_for(lambda e: e.get("event") == "message" and e.get("body") == "hello stranger", timeout=20)
        assert got["from"].startswith("erin@localhost")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-gus@localhost")))
    finally:
        finn.close()
        gus.close()
