"""Group chat benchmark (not a test; run with `LINNET_BENCH=tests/e2e/bench_room.py
scripts/bench-app.sh`): a room with 1,000 occupants and 5,000 messages of history; the app
joins it through the window. Figures: time from the Join click until the occupant list holds
everyone and the newest message is on screen, and the longest gap between animation frames in
the webview (requestAnimationFrame) while joining and then while scrolling back through history
(which pages from the room's archive). Then a live burst with the room open at its newest messages: an occupant posts 1,000 messages
(`LINNET_BENCH_LIVE`) as fast as slixmpp writes them; figures: time until the room reflected
the last to its sender, until the last is on screen in the app, the app's and Prosody's CPU
over that, and the app's memory (PSS) before and after. Prints a JSON line; writes
tests/artifacts/bench-room.json."""

import json
import os
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bench_common import app_pid, cpu_delta, cpu_snapshot, pss_mib
from conftest import ARTIFACTS
from flows import by_testid, sign_in
from linnet_harness.crowd import Crowd, quiet_room

OCCUPANTS = int(os.environ.get("LINNET_BENCH_OCCUPANTS", "1000"))
MESSAGES = int(os.environ.get("LINNET_BENCH_MESSAGES", "5000"))
LIVE = int(os.environ.get("LINNET_BENCH_LIVE", "1000"))
LAST_SHOWN = """
return Array.from(document.querySelectorAll('[data-testid="message"] .body'))
  .some(e => e.textContent === arguments[0]);
"""

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


def test_join_a_big_room(launcher, prosody, app_binary):
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

        # Back at the newest messages, then a live burst into the open room.
        driver.execute_script(
            "arguments[0].scrollTop = arguments[0].scrollHeight;"
            " arguments[0].dispatchEvent(new Event('scroll'));", scroll)
        time.sleep(3)
        pid = app_pid(app_binary)
        pss_before, _ = pss_mib(pid)
        cpu0, srv0 = cpu_snapshot(pid), prosody.cpu_seconds()
        driver.execute_script(RESET)
        t1 = time.monotonic()
        crowd.post(LIVE, prefix="live")
        reflected_s = time.monotonic() - t1
        WebDriverWait(driver, 300, poll_frequency=0.05).until(
            lambda d: d.execute_script(LAST_SHOWN, f"live {LIVE - 1}"))
        live_s = time.monotonic() - t1
        cpu1, srv1 = cpu_snapshot(pid), prosody.cpu_seconds()
        live_gap = driver.execute_script(RESET)
        time.sleep(5)
        pss_after, _ = pss_mib(pid)
        figures = {"occupants": OCCUPANTS, "messages": MESSAGES, "crowd_join_s": round(fill_s, 1),
                   "join_to_rendered_ms": round(join_ms), "longest_frame_join_ms": round(join_gap),
                   "longest_frame_scroll_ms": round(scroll_gap), "messages_in_dom_after_scroll": shown,
                   "live_messages": LIVE, "live_reflected_s": round(reflected_s, 2),
                   "live_on_screen_s": round(live_s, 2),
                   "live_client_cpu_s": round(cpu_delta(cpu0, cpu1), 2),
                   "live_server_cpu_s": round(srv1 - srv0, 2),
                   "live_longest_frame_ms": round(live_gap),
                   "pss_mib_before_live": pss_before, "pss_mib_after_live": pss_after,
                   "live_memory_growth_pct": round((pss_after - pss_before) / pss_before * 100, 1)}
        print("BENCH " + json.dumps(figures))
        (ARTIFACTS / "bench-room.json").write_text(json.dumps(figures, indent=2) + "\n")
        launcher.stop(driver, shot="bench-room")
    finally:
        crowd.close()
