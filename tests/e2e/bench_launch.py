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
from pathlib import Path

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ARTIFACTS, Peer
from flows import by_testid, sign_in, wait_account_state

CONTACTS = 500
RUNS = int(os.environ.get("LINNET_BENCH_RUNS", "3"))

# The contact list is virtual: it says how many contacts it holds (data-count) and renders the
# rows in view. "Usable" = all contacts loaded and the first rows on screen.
COUNT_JS = """
const list = document.querySelector('[data-testid="contact-list"]');
const rows = Array.from(document.querySelectorAll('[data-testid^="contact-"]'))
  .filter(e => e.dataset.testid.includes('@')).length;
const total = list && list.dataset.count ? Number(list.dataset.count) : rows;
return rows > 0 ? total : 0;
"""
COUNT_ROWS = "const f = () => {" + COUNT_JS + "}; return f();"

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


def _boot_epoch() -> float:
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return time.time() - uptime


def _start_epoch(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return _boot_epoch() + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _app_pid(binary: str) -> int:
    """The newest process running the app binary."""
    best = None
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            exe = os.readlink(d / "exe")
        except OSError:
            continue
        if os.path.realpath(exe) == os.path.realpath(binary):
            start = _start_epoch(int(d.name))
            if best is None or start > best[0]:
                best = (start, int(d.name))
    if best is None:
        raise RuntimeError("app process not found")
    return best[1]


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def test_launch_and_memory(launcher, prosody, app_binary):
    prosody.register("bench", "bench-pw")
    data = launcher.new_data_dir()
    driver = launcher.start(data)
    sign_in(driver, prosody, "bench@localhost", "bench-pw")
    other = Peer.for_server(prosody, "bench", "bench-pw", resource="seeder")
    try:
        for i in range(CONTACTS):
            other.iq("bench@localhost",
                     f"<query xmlns='jabber:iq:roster'><item jid='contact{i:03}@localhost' "
                     f"name='Contact {i:03}'><group>Group {i % 10}</group></item></query>",
                     type="set")
    finally:
        other.close()
    WebDriverWait(driver, 120).until(lambda d: d.execute_script(COUNT_ROWS) >= CONTACTS)
    launcher.stop(driver)

    runs = []
    for n in range(RUNS):
        driver = launcher.start(data)
        pid = _app_pid(app_binary)
        started = _start_epoch(pid)
        driver.set_script_timeout(60)
        ready_ms = driver.execute_async_script(WAIT_ROWS, CONTACTS)
        launch_ms = ready_ms - started * 1000
        wait_account_state(driver, "bench@localhost", "online")
        time.sleep(10)
        pids = _tree(pid)
        per = {f"{_process_name(p)}[{p}]": _pss_kib(p) for p in pids}
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
