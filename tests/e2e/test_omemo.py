"""OMEMO (XEP-0384) in the real window against a contact on python-omemo (slixmpp-omemo): an
encrypted message shown decrypted with a lock, the chat's toggle saying it is encrypted (turned
on by itself once the contact wrote encrypted), our reply sent encrypted, the contact's
fingerprint compared with what their client says and marked verified, and our own
fingerprint in the account's settings equal to what the contact's client sees."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def our_devices(peer, jid, timeout=20.0):
    """The contact's client's view of our devices, once it sees one (we publish at connect)."""
    deadline = time.monotonic() + timeout
    while True:
        devices = peer.omemo_devices(jid)["devices"]
        if devices:
            return devices
        assert time.monotonic() < deadline, "the contact never saw our OMEMO device"
        time.sleep(0.3)


def row_with(driver, text):
    for row in driver.find_elements(*by_testid("message")):
        if text in (row.get_attribute("textContent") or ""):
            return row
    return None


def test_encrypted_chat_with_a_python_omemo_contact(linnet, prosody):
    prosody.register("erin", "erin-pw")
    prosody.register("finn", "finn-pw")
    sign_in(linnet, prosody, "erin@localhost", "erin-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "finn", "finn-pw", auto_accept=True, omemo=True)
    try:
        devices = our_devices(peer, "erin@localhost")
        peer.omemo_send("erin@localhost", "Only we can read this", "legacy")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-finn@localhost"))).click()
        row = wait.until(lambda d: row_with(d, "Only we can read this"))
        assert row.get_attribute("data-encryption") == "omemo"
        assert row.find_elements(*by_testid("message-encrypted")), "the decrypted message has a lock"
        assert "OMEMO encrypted" not in (row.get_attribute("textContent") or ""), "not the fallback"

        toggle = wait.until(EC.visibility_of_element_located(by_testid("encryption-toggle")))
        wait.until(lambda d: "Encrypted" in (toggle.get_attribute("textContent") or ""))
        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys("Encrypted reply")
        composer.send_keys(Keys.ENTER)
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("body") == "Encrypted reply",
                            timeout=20)
        assert got["encrypted"] == "omemo2", got
        wait.until(lambda d: (r := row_with(d, "Encrypted reply")) is not None
                   and r.get_attribute("data-outgoing") == "true"
                   and r.find_elements(*by_testid("message-encrypted")))
        screenshot(linnet, "omemo-chat")

        # Finn's fingerprint, compared with what his own client says, then marked verified:
        # the chat header says so.
        finn = peer.omemo_info()
        linnet.find_element(*by_testid("omemo-details-button")).click()
        details = wait.until(EC.visibility_of_element_located(by_testid("omemo-details")))
        device = f"omemo-device-{finn['device_id']}"
        wait.until(EC.visibility_of_element_located(by_testid(device)))
        shown = details.find_element(*by_testid(f"omemo-device-fingerprint-{finn['device_id']}"))
        assert "".join((shown.get_attribute("textContent") or "").split()) == finn["fingerprint"]
        details.find_element(*by_testid(f"omemo-verify-{finn['device_id']}")).click()
        wait.until(lambda d: d.find_element(*by_testid(device)).get_attribute("data-trust") == "verified")
        # Our own QR code is drawn in the real window (its prototypes are frozen).
        qr = wait.until(EC.visibility_of_element_located(by_testid("omemo-qr")))
        assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml"), qr.get_attribute("src")
        assert qr.get_attribute("data-text").startswith("xmpp:erin@localhost?omemo-sid-")
        screenshot(linnet, "omemo-verified-device")
        close = [b for b in details.find_elements(By.TAG_NAME, "button")
                 if (b.get_attribute("textContent") or "").strip() == "Close"]
        close[0].click()
        wait.until(EC.visibility_of_element_located(by_testid("omemo-verified")))

        # Our fingerprint, as the window shows it, is the one finn's client read from our bundle.
        shown = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid^='omemo-fingerprint-']")
                           or open_account_settings(d))
        text = "".join((shown[0].get_attribute("textContent") or "").split())
        assert text == devices[0]["fingerprint"], (text, devices)
        screenshot(linnet, "omemo-fingerprint")
    finally:
        peer.close()


def open_account_settings(driver):
    """Opens the account's edit dialog (where the fingerprint is shown); falsy until shown."""
    buttons = driver.find_elements(By.CSS_SELECTOR, "button[data-testid^='edit-account-']")
    if buttons:
        driver.execute_script("arguments[0].click()", buttons[0])
    return False
