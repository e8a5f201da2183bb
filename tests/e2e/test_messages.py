"""What messages do to each other, in the real window against a slixmpp contact: a correction
shown in place as edited (and ours made with the Up arrow), a reaction shown and one of ours
sent from the picker, a reply shown with its quote and one of ours sent with the reply
button, and "typing…" while the contact types."""

import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def text_of(element) -> str:
    """The element's text content (WebKitWebDriver's visible text is empty for some styled
    elements, e.g. line-clamped quotes)."""
    return element.get_attribute("textContent") or ""


def message_row(driver, text):
    """The message row whose text contains `text` (None when there is none)."""
    for row in driver.find_elements(*by_testid("message")):
        if text in text_of(row):
            return row
    return None


def hover_action(driver, row, action):
    """Hovers the row and clicks one of its actions."""
    ActionChains(driver).move_to_element(row).perform()
    button = waiting(driver, 10).until(lambda d: row.find_element(*by_testid(action)))
    driver.execute_script("arguments[0].click()", button)


def test_corrections_reactions_replies_and_typing(linnet, prosody):
    prosody.register("cleo", "cleo-pw")
    prosody.register("dan", "dan-pw")
    sign_in(linnet, prosody, "cleo@localhost", "cleo-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "dan", "dan-pw", auto_accept=True)
    try:
        first = peer.send("cleo@localhost", "Lunch at noon?")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-dan@localhost"))).click()
        wait.until(lambda d: message_row(d, "Lunch at noon?"))

        # Dan types: the window says so under the messages.
        peer.chat_state("cleo@localhost", "composing")
        typing = wait.until(lambda d: [t.get_attribute("textContent") for t in d.find_elements(
            *by_testid("typing")) if "typing" in t.get_attribute("textContent").lower()])
        assert "dan" in typing[0].lower(), typing
        screenshot(linnet, "typing")

        # Dan corrects his message (XEP-0308): shown in place, marked edited, one row.
        peer.correct("cleo@localhost", first, "Lunch at one?")
        wait.until(lambda d: message_row(d, "Lunch at one?") is not None)
        row = message_row(linnet, "Lunch at one?")
        assert row.get_attribute("data-edited") == "true"
        assert row.find_elements(*by_testid("message-edited")), "an edited mark"
        assert message_row(linnet, "Lunch at noon?") is None, "the old text is not a second message"

        # Cleo reacts from the picker; dan's client gets the reaction by his message's id.
        hover_action(linnet, row, "action-react")
        picker = wait.until(EC.visibility_of_element_located(by_testid("emoji-picker")))
        emoji = picker.find_elements(*by_testid("emoji"))[0]
        chosen = emoji.get_attribute("data-emoji")
        emoji.click()
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("reactions"), timeout=20)
        assert got["reactions"]["id"] == first and got["reactions"]["emojis"] == [chosen], got
        wait.until(lambda d: message_row(d, "Lunch at one?").find_elements(
            By.CSS_SELECTOR, f'[data-testid="reaction"][data-ours="true"]'))

        # Dan reacts to it too: the count shows both.
        peer.react("cleo@localhost", first, [chosen])
        wait.until(lambda d: any(r.get_attribute("data-count") == "2" for r in message_row(
            d, "Lunch at one?").find_elements(*by_testid("reaction"))))

        # Dan replies to it (XEP-0461 with a quoted fallback): shown with the quote, not twice.
        peer.reply("cleo@localhost", first, peer.jid, "Or at two", quote="Lunch at one?", quote_nick="dan")
        wait.until(lambda d: message_row(d, "Or at two") is not None)
        reply = message_row(linnet, "Or at two")
        quote = reply.find_element(*by_testid("reply-quote"))
        assert "Lunch at one?" in text_of(quote)
        body = text_of(reply).replace(text_of(quote), "")
        assert "> " not in body, "the fallback quote is not shown as text"

        # Cleo answers with the reply button; dan sees a reply to his message.
        hover_action(linnet, reply, "action-reply")
        wait.until(EC.visibility_of_element_located(by_testid("reply-banner")))
        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys("Two is fine")
        composer.send_keys(Keys.ENTER)
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("reply"), timeout=20)
        assert got["fallback_stripped_body"] == "Two is fine", got

        # Cleo fixes her last message with the Up arrow (XEP-0308 from our side).
        wait.until(lambda d: message_row(d, "Two is fine") is not None)
        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys(Keys.ARROW_UP)
        wait.until(EC.visibility_of_element_located(by_testid("edit-banner")))
        composer.send_keys(Keys.CONTROL, "a")
        composer.send_keys("Two is perfect")
        composer.send_keys(Keys.ENTER)
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("replace"), timeout=20)
        assert got["body"] == "Two is perfect", got
        wait.until(lambda d: message_row(d, "Two is perfect") is not None)
        assert message_row(linnet, "Two is perfect").get_attribute("data-edited") == "true"
        time.sleep(0.3)
        screenshot(linnet, "message-facets")
    finally:
        peer.close()
