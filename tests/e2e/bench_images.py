"""Image chat benchmark (not a test; run with `LINNET_BENCH=tests/e2e/bench_images.py
scripts/bench-app.sh`): a contact in the roster has shared 500 images (`LINNET_BENCH_IMAGES`;
PNG photos of 1280x720, each its own HTTP File Upload on the harness Prosody, sent with
out-of-band data); the app opens the chat at its newest message and the window is scrolled up
through all of them, a screen at a time, the way a person drags the scrollbar, then back
down. The engine makes each preview when the window first asks for it (downloaded over HTTPS,
decoded, fitted into 480 px, kept in the database). Figures: time until the newest image's
preview is on screen, the longest gap between animation frames in the webview
(requestAnimationFrame) and how many gaps passed 100 ms while scrolling up (previews being
made), and again while scrolling down (previews kept), previews shown, and the app's memory
(PSS) before and after. Prints a JSON line; writes tests/artifacts/bench-images.json."""

import json
import os
import struct
import time
import zlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bench_common import app_pid, pss_mib
from conftest import ARTIFACTS, Peer
from flows import by_testid, sign_in

IMAGES = int(os.environ.get("LINNET_BENCH_IMAGES", "500"))

FRAMES = """
window.__maxGap = 0; window.__janks = 0; let last = performance.now();
const tick = t => { const g = t - last; if (g > window.__maxGap) window.__maxGap = g;
  if (g > 100) window.__janks++; last = t; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""
RESET = ("const r = [window.__maxGap, window.__janks]; window.__maxGap = 0; window.__janks = 0;"
         " return r;")
# Every preview seen loaded while scrolling (the list is virtual: few rows exist at a time).
SEEN = """
window.__seen = window.__seen || new Set();
for (const i of document.querySelectorAll('[data-testid^="file-preview-"]')) {
  if (i.complete && i.naturalWidth > 0) window.__seen.add(i.dataset.testid);
}
return window.__seen.size;
"""
OLDEST_SHOWN = """
return Array.from(document.querySelectorAll('[data-testid="message"]'))
  .some(m => (m.textContent || '').includes(arguments[0]));
"""
NEWEST_SHOWN = """
const imgs = Array.from(document.querySelectorAll('[data-testid^="file-preview-"]'));
const last = imgs[imgs.length - 1];
return !!last && last.complete && last.naturalWidth > 0
  && (last.closest('[data-testid="message"]')?.textContent || '').includes(arguments[0]);
"""


def photo(width: int, height: int, seed: int) -> bytes:
    """An RGB PNG (a gradient that differs per seed), written with zlib and struct."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + bytes(((x + seed) % 256, (y * 3) % 256, (x ^ y) % 256)[c]
                                  for x in range(width) for c in range(3))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def test_scroll_through_500_images(launcher, prosody, app_binary):
    prosody.register("iris", "iris-pw")
    prosody.register("jon", "jon-pw")
    t = time.monotonic()
    # Jon is in Iris's roster (added by another client of hers): previews come by themselves.
    with Peer.for_server(prosody, "iris", "iris-pw") as other:
        other.iq("iris@localhost", "<query xmlns='jabber:iq:roster'><item jid='jon@localhost' "
                 "name='Jon'/></query>", type="set")
    pictures = [photo(1280, 720, s) for s in range(8)]
    jon = Peer.for_server(prosody, "jon", "jon-pw", auto_accept=True)
    try:
        for i in range(IMAGES):
            url = jon.upload(f"photo {i:03}.png", pictures[i % len(pictures)],
                             content_type="image/png")["url"]
            jon.send("iris@localhost", url, oob_url=url)
        fill_s = time.monotonic() - t
        driver = launcher.start(launcher.new_data_dir())
        sign_in(driver, prosody, "iris@localhost", "iris-pw")
        wait = WebDriverWait(driver, 120, poll_frequency=0.05)
        wait.until(EC.element_to_be_clickable(by_testid("conversation-jon@localhost")))
        driver.execute_script(FRAMES)
        time.sleep(1)
        pid = app_pid(app_binary)
        pss_before, _ = pss_mib(pid)
        driver.execute_script(RESET)
        t0 = time.monotonic()
        driver.find_element(*by_testid("conversation-jon@localhost")).click()
        wait.until(lambda d: d.execute_script(NEWEST_SHOWN, f"photo {IMAGES - 1:03}.png"))
        open_ms = (time.monotonic() - t0) * 1000
        open_gap, open_janks = driver.execute_script(RESET)

        # Up through every image, a screen at a time (older pages load at the top).
        scroll = driver.find_element(By.CSS_SELECTOR, ".messages")
        t1 = time.monotonic()
        seen_top = 0
        for _ in range(IMAGES * 2):
            at_top = driver.execute_script(
                "const s = arguments[0]; s.scrollTop = Math.max(0, s.scrollTop - s.clientHeight);"
                " s.dispatchEvent(new Event('scroll')); return s.scrollTop === 0;", scroll)
            time.sleep(0.05)
            driver.execute_script(SEEN)
            seen_top = seen_top + 1 if at_top else 0
            if seen_top >= 40:  # two seconds at the top: nothing older came
                break
        up_s = time.monotonic() - t1
        up_gap, up_janks = driver.execute_script(RESET)
        shown_messages = len(driver.find_elements(*by_testid("message")))
        oldest = driver.execute_script(OLDEST_SHOWN, "photo 000.png")
        seen_up = driver.execute_script(SEEN)

        # Down again to the newest, over previews made before.
        t2 = time.monotonic()
        for _ in range(IMAGES * 2):
            at_bottom = driver.execute_script(
                "const s = arguments[0]; s.scrollTop = s.scrollTop + s.clientHeight;"
                " s.dispatchEvent(new Event('scroll'));"
                " return s.scrollTop + s.clientHeight >= s.scrollHeight - 2;", scroll)
            time.sleep(0.05)
            driver.execute_script(SEEN)
            if at_bottom:
                break
        down_s = time.monotonic() - t2
        down_gap, down_janks = driver.execute_script(RESET)
        previews = driver.execute_script(SEEN)
        time.sleep(3)
        pss_after, _ = pss_mib(pid)
        figures = {"images": IMAGES, "fill_s": round(fill_s, 1),
                   "open_to_newest_preview_ms": round(open_ms),
                   "open_longest_frame_ms": round(open_gap), "open_frames_over_100ms": open_janks,
                   "scroll_up_s": round(up_s, 1), "scroll_up_longest_frame_ms": round(up_gap),
                   "scroll_up_frames_over_100ms": up_janks,
                   "scroll_down_s": round(down_s, 1),
                   "scroll_down_longest_frame_ms": round(down_gap),
                   "scroll_down_frames_over_100ms": down_janks,
                   "messages_in_dom": shown_messages, "oldest_reached": oldest,
                   "previews_seen_scrolling_up": seen_up, "previews_seen_in_all": previews,
                   "pss_mib_before": pss_before, "pss_mib_after": pss_after}
        print("BENCH " + json.dumps(figures))
        (ARTIFACTS / "bench-images.json").write_text(json.dumps(figures, indent=2) + "\n")
        launcher.stop(driver, shot="bench-images")
    finally:
        jon.close()
