"""Files through the real window (XEP-0363 HTTP File Upload on the harness Prosody, over
HTTPS, with a slixmpp contact): an image pasted into the composer is shown in the send dialog
and, once sent, goes up, shows inline as a
preview, and the contact's client gets it as out-of-band data and fetches the very bytes; a
file the contact uploads shows
as a card, is not downloaded on display, and "Download" saves it into Downloads with the bytes
uploaded; an image from someone outside the roster shows only after "Show image"; a file the
contact's client offers peer to peer (Jingle) waits for Accept and then arrives in Downloads."""

import base64
import os
import struct
import threading
import time
import zlib
from pathlib import Path

from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting



def png(width: int, height: int) -> bytes:
    """A real RGB PNG (a gradient), written with zlib and struct as the format says."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + bytes((x * 4 % 256, y * 5 % 256, 120) [c] for x in range(width) for c in range(3))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


# What the clipboard would hand over for a screenshot.
PASTED = png(640, 360)

# Hands the composer a paste event whose clipboard holds one image file, as a screenshot
# pasted with Ctrl+V does (WebDriver cannot write the system clipboard).
PASTE_JS = """
const [b64, name] = arguments;
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const file = new File([bytes], name, { type: 'image/png' });
const data = new DataTransfer();
data.items.add(file);
const event = new Event('paste', { bubbles: true, cancelable: true });
Object.defineProperty(event, 'clipboardData', { value: data });
document.querySelector('[data-testid="composer"]').dispatchEvent(event);
"""


def file_cards(driver):
    return driver.find_elements("css selector", '[data-testid^="file-card-"]')


def test_a_pasted_image_goes_up_and_a_received_file_is_saved(linnet, prosody):
    prosody.register("gina", "gina-pw")
    prosody.register("hugo", "hugo-pw")
    sign_in(linnet, prosody, "gina@localhost", "gina-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "hugo", "hugo-pw", auto_accept=True)
    saved = None
    try:
        peer.send("gina@localhost", "Send me the screenshot?")
        wait.until(EC.element_to_be_clickable(by_testid("conversation-hugo@localhost"))).click()
        wait.until(EC.visibility_of_element_located(by_testid("composer")))

        # Paste: uploaded, then sent with out-of-band data; the contact fetches the same bytes.
        linnet.execute_script(PASTE_JS, base64.b64encode(PASTED).decode(), "screenshot.png")
        # Shown before it goes: the file and the metadata choice (on), then Send.
        wait.until(EC.visibility_of_element_located(by_testid("send-file-0")))
        assert linnet.find_element(*by_testid("send-files-strip")).is_selected()
        screenshot(linnet, "files-send-dialog")
        linnet.find_element(*by_testid("send-files-send")).click()
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("oob_url"), timeout=30)
        assert got["body"] == got["oob_url"] and got["body"].startswith("https://"), got
        assert got["body"].endswith("/screenshot.png"), got
        assert peer.fetch(got["body"])["data"] == PASTED
        wait.until(lambda d: len(file_cards(d)) == 1)
        assert "screenshot.png" in (file_cards(linnet)[0].get_attribute("textContent") or "")
        # Our image shows inline: a preview the engine made from the file (fitted into 480 px).
        preview = wait.until(lambda d: d.find_elements("css selector", '[data-testid^="file-preview-"]'))[0]
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", preview) == 480)
        assert linnet.execute_script("return arguments[0].naturalHeight", preview) == 270

        # The contact's upload arrives as a card; nothing is fetched until "Download".
        report = bytes((i * 11) % 251 for i in range(300_000))
        url = peer.upload("quarterly report.pdf", report, content_type="application/pdf")["url"]
        peer.send("gina@localhost", url, oob_url=url)
        wait.until(lambda d: len(file_cards(d)) == 2)
        card = file_cards(linnet)[1]
        assert "quarterly report.pdf" in (card.get_attribute("textContent") or "")
        message_id = card.get_attribute("data-testid").removeprefix("file-card-")
        screenshot(linnet, "files-received")
        linnet.find_element(*by_testid(f"file-download-{message_id}")).click()
        wait.until(EC.visibility_of_element_located(by_testid(f"file-show-{message_id}")))
        downloads = Path(os.environ.get("XDG_DOWNLOAD_DIR") or Path.home() / "Downloads")
        deadline = time.monotonic() + 10
        while saved is None:
            found = sorted(downloads.glob("quarterly report*.pdf"), key=lambda p: p.stat().st_mtime)
            saved = found[-1] if found else None
            assert saved or time.monotonic() < deadline, f"nothing saved in {downloads}"
            time.sleep(0.2)
        assert saved.read_bytes() == report, "the bytes the contact uploaded"
        screenshot(linnet, "files-saved")

        # Hugo is not in Gina's roster: his photo is not fetched until she asks to see it.
        photo = png(800, 600)
        url = peer.upload("harbour.png", photo, content_type="image/png")["url"]
        peer.send("gina@localhost", url, oob_url=url)
        wait.until(lambda d: len(file_cards(d)) == 3)
        photo_id = file_cards(linnet)[2].get_attribute("data-testid").removeprefix("file-card-")
        ask = wait.until(EC.element_to_be_clickable(by_testid(f"file-show-image-{photo_id}")))
        ask.click()
        shown = wait.until(EC.presence_of_element_located(by_testid(f"file-preview-{photo_id}")))
        wait.until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", shown) == 480)
        screenshot(linnet, "files-stranger-image-shown")
    finally:
        if saved is not None:
            saved.unlink(missing_ok=True)
        peer.close()


def test_a_file_offered_peer_to_peer_is_accepted_in_the_window(linnet, prosody):
    """Jingle (XEP-0234 over IBB, XEP-0261): the contact's client offers a file; it shows as
    an offer with Accept and Decline, nothing moves until Accept, then it arrives in Downloads
    with the very bytes, and the contact hears the session ended with success."""
    prosody.register("ivan", "ivan-pw")
    prosody.register("jane", "jane-pw")
    sign_in(linnet, prosody, "jane@localhost", "jane-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "ivan", "ivan-pw", auto_accept=True)
    saved = None
    outcome = {}
    try:
        # Our full JID (the offer goes to one client): the one that acknowledges a receipt.
        peer.send("jane@localhost", "A big file is coming your way", request_receipt=True)
        jane = peer.wait_for(lambda e: e.get("event") == "receipt", timeout=30)["from"]
        assert jane.startswith("jane@localhost/"), jane
        wait.until(EC.element_to_be_clickable(by_testid("conversation-ivan@localhost"))).click()

        data = bytes((i * 7) % 253 for i in range(500_000))
        sender = threading.Thread(target=lambda: outcome.update(
            peer.jingle_send(jane, "holiday video.mp4", data, media_type="video/mp4")))
        sender.start()
        wait.until(lambda d: len(file_cards(d)) == 1)
        card = file_cards(linnet)[0]
        message_id = card.get_attribute("data-testid").removeprefix("file-card-")
        status = linnet.find_element(*by_testid(f"file-status-{message_id}"))
        assert status.text == "Offered peer to peer", status.text
        assert "holiday video.mp4" in (card.get_attribute("textContent") or "")
        screenshot(linnet, "files-direct-offer")
        linnet.find_element(*by_testid(f"file-accept-{message_id}")).click()
        wait.until(EC.visibility_of_element_located(by_testid(f"file-show-{message_id}")))
        sender.join(30)
        assert outcome.get("outcome") == "success", outcome
        downloads = Path(os.environ.get("XDG_DOWNLOAD_DIR") or Path.home() / "Downloads")
        found = sorted(downloads.glob("holiday video*.mp4"), key=lambda p: p.stat().st_mtime)
        saved = found[-1] if found else None
        assert saved is not None, f"nothing saved in {downloads}"
        assert saved.read_bytes() == data, "the very bytes the contact sent"
        screenshot(linnet, "files-direct-received")
    finally:
        if saved is not None:
            saved.unlink(missing_ok=True)
        peer.close()
