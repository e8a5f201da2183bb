"""Voice messages and inline audio through the real window, on the harness Prosody (XEP-0363
HTTP File Upload over HTTPS) with a slixmpp contact: a voice message the contact's client
uploads is not fetched on display, and after Play the webview's own player has decoded it
(its length read from the file); a voice message recorded in the composer (GStreamer's test
tone stands in for the microphone: no sound hardware here) goes up as an Ogg Opus file that
the contact's client fetches and finds to be one (RFC 7845 `OpusHead`), and it plays in our
chat."""

import io
import math
import struct
import time
import wave

from selenium.webdriver.support import expected_conditions as EC

from conftest import Peer, screenshot
from flows import by_testid, sign_in, waiting


def wav(seconds: float, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone, written with the standard library."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)))
    return out.getvalue()


def file_cards(driver):
    return driver.find_elements("css selector", '[data-testid^="file-card-"]')


def media_state(driver, element):
    return driver.execute_script(
        "const m = arguments[0]; return {ready: m.readyState, duration: m.duration,"
        " error: m.error && m.error.code};", element)


def played(driver, wait, message_id):
    """Presses Play on a card and waits until the player has read the file: its state."""
    wait.until(EC.element_to_be_clickable(by_testid(f"file-play-{message_id}"))).click()
    player = wait.until(EC.presence_of_element_located(by_testid(f"file-player-{message_id}")))
    wait.until(lambda d: media_state(d, player)["ready"] >= 1 or media_state(d, player)["error"])
    return media_state(driver, player)


def test_a_voice_message_plays_after_play_and_one_recorded_here_reaches_the_contact(linnet, prosody):
    prosody.register("kira", "kira-pw")
    prosody.register("lena", "lena-pw")
    sign_in(linnet, prosody, "kira@localhost", "kira-pw")
    wait = waiting(linnet, 30)
    peer = Peer.for_server(prosody, "lena", "lena-pw", auto_accept=True)
    try:
        # The contact's voice message: a 1.5 s WAV uploaded by slixmpp, sent as OOB data.
        url = peer.upload("hello.wav", wav(1.5), content_type="audio/wav")["url"]
        peer.send("kira@localhost", url, oob_url=url)
        wait.until(EC.element_to_be_clickable(by_testid("conversation-lena@localhost"))).click()
        wait.until(lambda d: len(file_cards(d)) == 1)
        message_id = file_cards(linnet)[0].get_attribute("data-testid").removeprefix("file-card-")
        wait.until(EC.element_to_be_clickable(by_testid(f"file-play-{message_id}")))
        assert not linnet.find_elements(*by_testid(f"file-player-{message_id}")), "nothing on display"
        state = played(linnet, wait, message_id)
        assert state["error"] is None, state
        assert abs(state["duration"] - 1.5) < 0.1, state
        screenshot(linnet, "media-voice-received")

        # Recorded here: nothing records before the press; Send ends it and uploads it.
        wait.until(EC.element_to_be_clickable(by_testid("voice-record"))).click()
        wait.until(EC.visibility_of_element_located(by_testid("voice-recording")))
        time.sleep(2.5)
        screenshot(linnet, "media-voice-recording")
        linnet.find_element(*by_testid("voice-send")).click()
        got = peer.wait_for(lambda e: e.get("event") == "message" and e.get("oob_url"), timeout=30)
        assert got["oob_url"].endswith(".ogg"), got
        assert (got.get("sfs") or {}).get("media_type") == "audio/ogg", got
        data = peer.fetch(got["oob_url"])["data"]
        assert data[:4] == b"OggS" and b"OpusHead" in data[:100], data[:64]
        assert len(data) > 5000, f"{len(data)} bytes for 2.5 s"
        wait.until(lambda d: len(file_cards(d)) == 2)
        ours_id = file_cards(linnet)[1].get_attribute("data-testid").removeprefix("file-card-")
        state = played(linnet, wait, ours_id)
        assert state["error"] is None, state
        assert 2.0 < state["duration"] < 4.0, state
        screenshot(linnet, "media-voice-sent")
    finally:
        peer.close()
