"""App-level benchmark (not a test; run with scripts/bench-app.sh): launch to a usable contact
list from local data with 500 contacts, and memory (PSS) summed over every app process, idle
after login. Prints a JSON line of figures and writes tests/artifacts/bench-launch.json.

Method: launch 1 signs in through the UI (password into the keyring) while a second client
of the same account adds 500 roster items; the app is quit. Launches 2..N start the app on
that data folder; "launch" is from the app process's start (/proc/PID/stat) to the moment a
MutationObserver in the page sees the contact list holding all 500 contacts with its first rows
rendered (the list is virtual: rows off screen are not in the DOM). Then the account comes online, the
app idles 10 s, and PSS is summed over the app process and its WebKit children
(/proc/PID/smaps_rollup)."""

import json
import os
import statistics
import time

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bench_common import (COUNT_JS, COUNT_ROWS, add_contacts, app_pid, process_name, pss_kib,
                          start_epoch, tree)
from conftest import ARTIFACTS, Peer
from flows import by_testid, sign_in, wait_account_state

CONTACTS = 500
RUNS = int(os.environ.get("LINNET_BENCH_RUNS", "3"))

# Resolves with Date.now() once the list holds `n` contacts (checked on every DOM mutation).
WAIT_ROWS = """
const n = arguments[0], done = arguments[arguments.length - 1];
const count = () => {""" + COUNT_JS + """};
if (count() >= n) { done(Date.now()); return; }
const obs = new MutationObserver(() => {
  if (count() >= n) { obs.disconnect(); done(Date.now()); }
});
obs.observe(document.documentElement, { childList: true, subtree: true });
"""


def test_launch_and_memory(launcher, prosody, app_binary):
    prosody.register("bench", "bench-pw")
    data = launcher.new_data_dir()
    driver = launcher.start(data)
    sign_in(driver, prosody, "bench@localhost", "bench-pw")
    other = Peer.for_server(prosody, "bench", "bench-pw", resource="seeder")
    try:
        add_contacts(other, CONTACTS)
    finally:
        other.close()
    WebDriverWait(driver, 120).until(lambda d: d.execute_script(COUNT_ROWS) >= CONTACTS)
    launcher.stop(driver)

    runs = []
    for n in range(RUNS):
        driver = launcher.start(data)
        pid = app_pid(app_binary)
        started = start_epoch(pid)
        driver.set_script_timeout(60)
        ready_ms = driver.execute_async_script(WAIT_ROWS, CONTACTS)
        launch_ms = ready_ms - started * 1000
        wait_account_state(driver, "bench@localhost", "online")
        time.sleep(10)
        pids = tree(pid)
        per = {f"{process_name(p)}[{p}]": pss_kib(p) for p in pids}
        total_mib = sum(per.values()) / 1024
        runs.append({"launch_ms": round(launch_ms), "pss_mib": round(total_mib, 1), "processes": per})
        launcher.stop(driver, shot=f"bench-launch-{n}" if n == 0 else None)

    result = {
        "contacts": CONTACTS,
        "runs": runs,
        "launch_ms_median": statistics.median(r["launch_ms"] for r in runs),
        "pss_mib_median": statistics.median(r["pss_mib"] for r in runs),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "bench-launch.json").write_text(json.dumps(result, indent=2))
    print("\nBENCH " + json.dumps(result))
    assert all(r["launch_ms"] > 0 for r in runs)
