"""Shared pieces of the app-level benchmarks (bench_launch.py, bench_burst.py): the app's
processes from /proc (pid, start time, children, PSS, CPU time), a roster of many contacts
added by a second client of the account, and the script that counts the contact list."""

import os
import time
from pathlib import Path

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


def add_contacts(peer, count: int) -> None:
    """Adds roster items contact000@localhost .. (names "Contact 000" .., ten groups) to the
    account `peer` is signed in to, one roster set each, as another client of it would."""
    bare = peer.jid.split("/")[0]
    for i in range(count):
        peer.iq(bare,
                f"<query xmlns='jabber:iq:roster'><item jid='contact{i:03}@localhost' "
                f"name='Contact {i:03}'><group>Group {i % 10}</group></item></query>",
                type="set")


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 (state) on: the name (field 2) may hold spaces."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def boot_epoch() -> float:
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return time.time() - uptime


def start_epoch(pid: int) -> float:
    return boot_epoch() + int(_stat_fields(pid)[19]) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the app and its WebKit processes)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    return pids


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads) so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_pid(binary: str) -> int:
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
            start = start_epoch(int(d.name))
            if best is None or start > best[0]:
                best = (start, int(d.name))
    if best is None:
        raise RuntimeError("app process not found")
    return best[1]


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def cpu_snapshot(pid):
    """{pid: CPU seconds} for the app and its WebKit processes."""
    out = {}
    for p in tree(pid):
        try:
            out[p] = cpu_seconds(p)
        except OSError:  # exited meanwhile
            pass
    return out


def cpu_delta(before, after):
    """CPU used between two snapshots (a process started meanwhile counts from zero)."""
    return sum(t - before.get(p, 0.0) for p, t in after.items())


def pss_mib(pid):
    per = {}
    for p in tree(pid):
        try:
            per[f"{process_name(p)}[{p}]"] = pss_kib(p)
        except OSError:
            pass
    return round(sum(per.values()) / 1024, 1), per
