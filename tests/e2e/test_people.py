"""People in the real window, against a slixmpp contact: the avatar the contact publishes
(XEP-0084, by slixmpp's xep_0084) appears on its row in the contact list, served from the
engine's store (the picture really decodes: the protocol and the CSP let it through); ours,
picked from a file in the window, reaches the contact's client, which reads it back both as
PEP data and from the vCard. A contact's profile (XEP-0292, by slixmpp's xep_0292), nickname
(XEP-0172) and client (XEP-0092) show in the chat's Details, renaming there changes the roster
on the server, and our profile saved from the account reaches the contact in every form."""

import base64
import hashlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting
from linnet_harness import peer_avatar, peer_profile
from test_files import png

# Hands the avatar file input one picture, as the file dialog would (WebKitWebDriver has no
# file upload endpoint for Selenium's send_keys).
PICK_JS = """
const [b64, name] = arguments;
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const data = new DataTransfer();
data.items.add(new File([bytes], name, { type: 'image/png' }));
const input = document.querySelector('[data-testid^="avatar-file-"]');
input.files = data.files;
input.dispatchEvent(new Event('change', { bubbles: true }));
"""

# Whether an <img> has decoded (a broken one has no natural size).
LOADED_JS = "const i = arguments[0]; return i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0;"


def avatar_of(driver, row_testid: str, jid: str):
    row = driver.find_element(*by_testid(row_testid))
    return row.find_element(*by_testid(f"avatar-{jid}"))


def test_a_contacts_avatar_shows_and_ours_reaches_them(linnet, prosody):
    prosody.register("ivy", "ivy-pw")
    prosody.register("jack", "jack-pw")
    sign_in(linnet, prosody, "ivy@localhost", "ivy-pw")
    wait = waiting(linnet, 30)
    jack = Peer.for_server(prosody, "jack", "jack-pw", auto_accept=True)
    try:
        # ivy adds jack; jack (auto-accepting) approves and asks back; ivy approves.
        linnet.find_element(*by_testid("add-contact")).click()
        wait.until(EC.visibility_of_element_located(by_testid("contact-jid-input"))).send_keys(
            "jack@localhost")
        linnet.find_element(*by_testid("add-contact-submit")).click()
        wait.until(EC.element_to_be_clickable(by_testid("approve-jack@localhost"))).click()
        face = wait.until(lambda d: avatar_of(d, "contact-jack@localhost", "jack@localhost"))
        assert face.tag_name == "span", "a coloured initial before any picture"
        assert face.text.strip() == "J"

        picture = png(80, 60)
        digest = hashlib.sha1(picture).hexdigest()
        jack.run(peer_avatar.publish_pep(jack.client, picture, "image/png", 80, 60), 15)
        wait.until(lambda d: avatar_of(d, "contact-jack@localhost", "jack@localhost")
                   .get_attribute("data-hash") == digest)
        img = avatar_of(linnet, "contact-jack@localhost", "jack@localhost")
        assert img.tag_name == "img"
        # The engine keeps it square, at most 128 px: 60 x 60 here.
        wait.until(lambda d: linnet.execute_script(LOADED_JS, img) == 60)

        # Ours: a picture file handed to the window's file input, as the file dialog would.
        linnet.execute_script(PICK_JS, base64.b64encode(png(300, 200)).decode(), "me.png")
        own = wait.until(lambda d: d.find_element(
            "css selector", '[data-testid^="set-avatar-"] img[data-hash]'))
        own_hash = own.get_attribute("data-hash")
        wait.until(lambda d: linnet.execute_script(LOADED_JS, own) > 0)
        screenshot(linnet, "people-avatars")
        seen = jack.run(peer_avatar.fetch(jack.client, "ivy@localhost"), 15)
        assert seen["pep_hash"] == own_hash, seen
        published = base64.b64decode(seen["pep_b64"])
        assert hashlib.sha1(published).hexdigest() == own_hash
        assert hashlib.sha1(base64.b64decode(seen["vcard_b64"])).hexdigest() == own_hash, seen
    finally:
        jack.close()


def _befriend(linnet, wait, jid):
    """Adds ``jid`` in the window; the auto-accepting peer approves and asks back; approved."""
    linnet.find_element(*by_testid("add-contact")).click()
    wait.until(EC.visibility_of_element_located(by_testid("contact-jid-input"))).send_keys(jid)
    linnet.find_element(*by_testid("add-contact-submit")).click()
    wait.until(EC.element_to_be_clickable(by_testid(f"approve-{jid}"))).click()
    # Subscribed both ways once their presence shows: from then on their PEP reaches us.
    wait.until(lambda d: d.find_element(*by_testid(f"contact-{jid}")).find_element(
        "css selector", '[data-presence="available"]'))


def test_a_contacts_details_and_our_profile(linnet, prosody):
    prosody.register("kim", "kim-pw")
    prosody.register("leo", "leo-pw")
    sign_in(linnet, prosody, "kim@localhost", "kim-pw")
    wait = waiting(linnet, 30)
    leo = Peer.for_server(prosody, "leo", "leo-pw", auto_accept=True)
    try:
        _befriend(linnet, wait, "leo@localhost")
        fields = {"full_name": "Leo <i>Lion</i>", "nickname": "leo", "email": "leo@example.org",
                  "phone": None, "note": "Roars at noon"}
        leo.run(peer_profile.publish_vcard4(leo.client, fields), 15)
        leo.run(peer_profile.software(leo.client, "Peer Client", "2.5", "Plan 9"), 15)
        leo.run(peer_profile.publish_nick(leo.client, "Leo the Lion"), 15)
        # The nickname names the contact we gave no name.
        row = by_testid("contact-leo@localhost")
        # textContent: WebKitWebDriver's visible text of the row leaves out the ellipsised name.
        wait.until(lambda d: "Leo the Lion" in d.find_element(*row).get_attribute("textContent"))

        linnet.find_element(*row).click()
        wait.until(EC.element_to_be_clickable(by_testid("contact-details-button"))).click()
        details = wait.until(EC.visibility_of_element_located(by_testid("contact-details")))
        name = wait.until(lambda d: details.find_element(*by_testid("profile-full_name")))
        assert name.text == "Leo <i>Lion</i>", "remote text shown as text"
        assert details.find_element(*by_testid("profile-note")).text == "Roars at noon"
        wait.until(lambda d: "Peer Client 2.5 (Plan 9)" in details.text)
        screenshot(linnet, "people-details")

        # Renamed and grouped here: the server's roster changes, and its push names them.
        name_input = details.find_element(*by_testid("contact-name-input"))
        name_input.clear()
        name_input.send_keys("Leonard")
        details.find_element(*by_testid("contact-groups-input")).send_keys("Zoo")
        details.find_element(*by_testid("save-contact")).click()
        # The name comes back with the server's roster push (the dialog keeps the rest inert).
        wait.until(lambda d: d.find_element(By.ID, "chat-heading").get_attribute("textContent")
                   == "Leonard")
        details.find_element(*by_testid("close-details")).click()

        # Ours, saved from the account's Profile dialog, read back by leo's client.
        linnet.find_element("css selector", '[data-testid^="edit-profile-"]').click()
        dialog = wait.until(EC.visibility_of_element_located(
            ("css selector", '[data-testid^="profile-dialog-"]')))
        full_name = dialog.find_element(*by_testid("profile-input-full_name"))
        wait.until(lambda d: full_name.is_enabled())
        full_name.send_keys("Kim Keeper")
        dialog.find_element(*by_testid("profile-input-nickname")).send_keys("kim")
        dialog.find_element(*by_testid("save-profile")).click()
        wait.until(lambda d: dialog.find_element(*by_testid("profile-saved")))
        seen = leo.run(peer_profile.fetch(leo.client, "kim@localhost"), 15)
        assert seen["vcard4"]["full_name"] == "Kim Keeper", seen
        assert seen["vcard_temp"]["full_name"] == "Kim Keeper", seen
        assert seen["nick"] == "kim", seen
    finally:
        leo.close()
