"""Group chat (XEP-0045) in the real Linnet window: join a room, read and write group messages,
see the occupants. Real Prosody MUC component, slixmpp peer."""

import time

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def test_join_a_room_talk_and_see_occupants(linnet, prosody):
    prosody.register("anna", "anna-pw")
    prosody.register("ben", "ben-pw")
    room = f"lounge@{prosody.muc}"
    wait = waiting(linnet, 30)
    sign_in(linnet, prosody, "anna@localhost", "anna-pw")

    ben = Peer.for_server(prosody, "ben", "ben-pw")
    try:
        ben.send_raw(f"<presence to='{room}/Ben'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        ben.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == f"{room}/Ben", timeout=10)

        linnet.find_element(*by_testid("join-room")).click()
        address = wait.until(EC.visibility_of_element_located(by_testid("join-room-address")))
        address.send_keys(room)
        nick = linnet.find_element(*by_testid("join-room-nick"))
        nick.clear()
        nick.send_keys("Anna")
        linnet.find_element(*by_testid("join-room-submit")).click()

        row = wait.until(EC.element_to_be_clickable(by_testid(f"room-{room}")))
        row.click()
        occupants = wait.until(EC.visibility_of_element_located(by_testid("occupants")))
        wait.until(lambda d: occupants.find_elements(*by_testid("occupant-Ben"))
                   and occupants.find_elements(*by_testid("occupant-Anna")))

        ben.send_raw(f"<message to='{room}' type='groupchat'><body>Welcome, Anna &lt;b&gt;!</body></message>")
        wait.until(lambda d: any("Welcome, Anna <b>!" in m.text for m in d.find_elements(*by_testid("message"))))
        senders = [s.text for s in linnet.find_elements(*by_testid("message-sender"))]
        assert "Ben" in senders, f"group messages show the sender's nickname: {senders}"

        composer = linnet.find_element(*by_testid("composer"))
        composer.send_keys("Thanks, Ben")
        composer.send_keys(Keys.ENTER)
        got = ben.wait_for(lambda e: e.get("event") == "message" and e.get("body") == "Thanks, Ben", timeout=20)
        assert got["type"] == "groupchat"
        assert got["from"] == f"{room}/Anna"
        # Our message comes back from the room once (reflection), not twice.
        wait.until(lambda d: any(m.get_attribute("data-outgoing") == "true" and m.get_attribute("data-state") == "delivered"
                                 for m in d.find_elements(*by_testid("message"))))
        ours = [m for m in linnet.find_elements(*by_testid("message")) if "Thanks, Ben" in m.text]
        assert len(ours) == 1, "our own message is shown once"
        screenshot(linnet, "room")

        # Ben invites Anna to a second room (mediated, XEP-0045 §7.8.2): she joins from the card.
        party = f"party@{prosody.muc}"
        ben.send_raw(f"<presence to='{party}/Ben'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        ben.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == f"{party}/Ben", timeout=10)
        ben.send_raw(f"<message to='{party}'><x xmlns='http://jabber.org/protocol/muc#user'>"
                     f"<invite to='anna@localhost'><reason>party time</reason></invite></x></message>")
        card = wait.until(EC.visibility_of_element_located(by_testid("room-invite")))
        assert "party time" in card.text
        screenshot(linnet, "room-invite")
        card.find_element(*by_testid("room-invite-join")).click()
        wait.until(EC.visibility_of_element_located(by_testid(f"room-{party}")))
        ben.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == f"{party}/anna", timeout=15)
    finally:
        ben.close()


def test_an_owner_changes_the_room_settings(linnet, prosody):
    """Anna creates a room by joining it, then renames it and makes it persistent through the
    room's own configuration form (XEP-0045 §10.2); another client sees the change."""
    prosody.register("anna", "anna-pw")
    prosody.register("ben", "ben-pw")
    room = f"studio@{prosody.muc}"
    wait = waiting(linnet, 30)
    sign_in(linnet, prosody, "anna@localhost", "anna-pw")

    linnet.find_element(*by_testid("join-room")).click()
    address = wait.until(EC.visibility_of_element_located(by_testid("join-room-address")))
    address.send_keys(room)
    linnet.find_element(*by_testid("join-room-submit")).click()

    settings = wait.until(EC.element_to_be_clickable(by_testid("room-settings")))
    settings.click()
    dialog = wait.until(EC.visibility_of_element_located(by_testid("room-settings-dialog")))
    name = wait.until(lambda d: dialog.find_element(*by_testid("room-config-muc#roomconfig_roomname")))
    name.clear()
    name.send_keys("Studio <Ops>")
    persistent = dialog.find_element(*by_testid("room-config-muc#roomconfig_persistentroom"))
    if not persistent.is_selected():
        persistent.click()
    screenshot(linnet, "room-settings")
    dialog.find_element(*by_testid("room-settings-save")).click()
    wait.until(EC.invisibility_of_element_located(by_testid("room-settings-dialog")))

    ben = Peer.for_server(prosody, "ben", "ben-pw")
    try:
        info = ben.iq(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
        assert info["type"] == "result", info
        assert "Studio &lt;Ops&gt;" in info["xml"], info["xml"]
        assert "muc_persistent" in info["xml"], info["xml"]
    finally:
        ben.close()


def _join(driver, room: str, nick: str) -> None:
    """Joins `room` as `nick` through the Join room dialog."""
    wait = waiting(driver, 30)
    driver.find_element(*by_testid("join-room")).click()
    address = wait.until(EC.visibility_of_element_located(by_testid("join-room-address")))
    address.send_keys(room)
    nick_input = driver.find_element(*by_testid("join-room-nick"))
    nick_input.clear()
    nick_input.send_keys(nick)
    driver.find_element(*by_testid("join-room-submit")).click()
    wait.until(lambda d: d.find_element(*by_testid(f"room-{room}")).get_attribute("data-joined") == "true")


def test_a_mention_notifies_and_a_plain_group_message_does_not(linnet, prosody, notifications):
    prosody.register("anna", "anna-pw")
    prosody.register("ben", "ben-pw")
    room = f"newsroom@{prosody.muc}"
    other = f"kitchen@{prosody.muc}"
    sign_in(linnet, prosody, "anna@localhost", "anna-pw")
    ben = Peer.for_server(prosody, "ben", "ben-pw")
    try:
        ben.send_raw(f"<presence to='{room}/Ben'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        ben.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == f"{room}/Ben", timeout=10)
        _join(linnet, room, "Anna")
        # Another room is on screen, so the newsroom's messages are not.
        _join(linnet, other, "Anna")
        ben.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == f"{room}/Anna", timeout=10)
        before = len(notifications.calls())

        ben.send_raw(f"<message to='{room}' type='groupchat'><body>just chatting</body></message>")
        waiting(linnet, 15).until(
            lambda d: d.find_element(*by_testid(f"room-{room}")).find_elements(*by_testid("unread-badge")))
        time.sleep(2)
        assert len(notifications.calls()) == before, "a plain group message does not notify"

        ben.send_raw(f"<message to='{room}' type='groupchat'><body>Anna, the proofs are in</body></message>")
        call = notifications.wait_for_call(lambda c: "proofs" in c.get("body", ""), timeout=15)
        assert call["summary"] == f"Message from Ben in {room}", call
        badge = waiting(linnet, 15).until(
            lambda d: d.find_element(*by_testid(f"room-{room}")).find_elements(*by_testid("mention-badge")))
        assert badge[0].text == "@1"
        screenshot(linnet, "room-mention")
    finally:
        ben.close()
