"""Group chat benchmark (not a test; run with `LINNET_BENCH=tests/e2e/bench_room.py
scripts/bench-app.sh`): a room with 1,000 occupants and 5,000 messages of history; the app
joins it through the window. Figures: time from the Join click until the occupant list holds
everyone and the newest message is on screen, and the longest gap between animation frames in
the webview (requestAnimationFrame) while joining and then while scrolling back through history
(which pages from the room's archive). Prints a JSON line; writes tests/artifacts/bench-room.json."""

import json
import os
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ARTIFACTS
from flows import by_testid, sign_in
from linnet_harness.crowd import Crowd, quiet_room

OCCUPANTS = int(os.environ.get("LINNET_BENCH_OCCUPANTS", "1000"))
MESSAGES = int(os.environ.get("LINNET_BENCH_MESSAGES", "5000"))

FRAMES = """
window.__maxGap = 0; window.__gaps = 0; let last = performance.now();
const tick = t => { const g = t - last; if (g > window.__maxGap) window.__maxGap = g;
  if (g > 50) window.__gaps++; last = t; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""
RESET = "const m = window.__maxGap; window.__maxGap = 0; return m;"
STATE = """
const list = document.querySelector('[data-testid="occupants"]');
const rows = document.querySelectorAll('[data-testid^="occupant-user"]').length;
const occ = list && list.dataset.count ? (rows > 0 ? Number(list.dataset.count) - 1 : 0) : rows;
const msgs = Array.from(document.querySelectorAll('[data-testid="message"]')).map(m => m.textContent);
return [occ, msgs.some(t => t.includes(arguments[0]))];
"""


def test_join_a_big_room(launcher, prosody):
    room = f"crowded@{prosody.muc}"
    prosody.register("anna", "anna-pw")
    prosody.register("crowd", "crowd-pw")
    t = time.monotonic()
    crowd = Crowd.for_server(prosody, "crowd", "crowd-pw", room, OCCUPANTS)
    try:
        crowd.join(1)
        crowd.post(MESSAGES)
        with quiet_room(prosody, room):
            crowd.join()
        fill_s = time.monotonic() - t
        driver = launcher.start(launcher.new_data_dir())
        sign_in(driver, prosody, "anna@localhost", "anna-pw")
        driver.execute_script(FRAMES)
        driver.find_element(*by_testid("join-room")).click()
        address = WebDriverWait(driver, 30).until(EC.visibility_of_element_located(by_testid("join-room-address")))
        address.send_keys(room)
        nick = driver.find_element(*by_testid("join-room-nick"))
        nick.clear()
        nick.send_keys("Anna")
        driver.execute_script(RESET)
        t0 = time.monotonic()
        driver.find_element(*by_testid("join-room-submit")).click()
        last = f"history {MESSAGES - 1}"
        WebDriverWait(driver, 300, poll_frequency=0.05).until(
            lambda d: (lambda s: s[0] >= OCCUPANTS and s[1])(d.execute_script(STATE, last)))
        join_ms = (time.monotonic() - t0) * 1000
        time.sleep(2)
        join_gap = driver.execute_script(RESET)

        # Scroll back through history: each step at the top loads an older page.
        scroll = driver.find_element(By.CSS_SELECTOR, ".messages")
        for _ in range(10):
            driver.execute_script("arguments[0].scrollTop = 0; arguments[0].dispatchEvent(new Event('scroll'));", scroll)
            time.sleep(0.5)
        scroll_gap = driver.execute_script(RESET)
        shown = len(driver.find_elements(*by_testid("message")))
        figures = {"occupants": OCCUPANTS, "messages": MESSAGES, "crowd_join_s": round(fill_s, 1),
                   "join_to_rendered_ms": round(join_ms), "longest_frame_join_ms": round(join_gap),
                   "longest_frame_scroll_ms": round(scroll_gap), "messages_in_dom_after_scroll": shown}
        print("BENCH " + json.dumps(figures))
        (ARTIFACTS / "bench-room.json").write_text(json.dumps(figures, indent=2) + "\n")
        launcher.stop(driver, shot="bench-room")
    finally:
        crowd.close()
