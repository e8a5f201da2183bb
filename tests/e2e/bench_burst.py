"""Message burst benchmark (not a test; run with `LINNET_BENCH=tests/e2e/bench_burst.py
scripts/bench-app.sh`): a contact sends 10,000 chat messages (`LINNET_BENCH_BURST`) as fast as
slixmpp writes them, each asking for a receipt (XEP-0184) as a normal client does, then pings
the receiver's full JID (XEP-0199). Prints the figures and a "TARGET" line (never asserted);
writes tests/artifacts/bench-burst.json.

One Prosody (under eatmydata when installed, as the engine's burst benchmark) and one run:

1. Set-up: anna signs in through the window; a second client of hers adds 500 contacts and
   shares presence both ways with bob (the sender) and carol (whose chat is the "other" one).
2. Floors: bob bursts to a null receiver: a slixmpp client of a third account, in a process of
   its own, with stream management (XEP-0198), that only receives (counts the messages, answers
   no receipts; it answers the ping). Wall time from the first send until the ping is answered,
   and Prosody's CPU time (/proc/PID/stat) over that interval. Then the same to a second null
   receiver that answers every receipt request (XEP-0184), as the app does: the floor for a
   client that answers receipts ("receipt floor").
3. The app with bob's chat open: bob bursts to anna (the app answers the receipts), then pings
   her full JID. Times from the first send until the last message is rendered (a
   MutationObserver in the page notes the frame after the last body appears), until bob has
   the receipt for the last message, until the ping is answered; "done" is the latest of the
   three. CPU time of the app and its WebKit processes and of Prosody from before the burst
   until done, plus the app's CPU in the following settle period (LINNET_BENCH_SETTLE, 5 s);
   PSS summed over the app's processes before the burst and after the settle period.
4. The same with carol's chat open instead: "rendered" is then bob's row in the conversation
   list showing the last message; desktop notifications recorded by the fake notification
   service during the burst are counted (coalesced, not one per message, is the target).
5. bob's chat open again, the same burst: the first one also grows the app's caches to what a
   burst needs (WebKit's heaps, the allocator's arenas, SQLite's page cache); this one shows
   what a further 10,000 messages cost once they have (memory that keeps growing would show
   here too). PSS by process before and after every case is in the JSON.

Ratios are against both floors (wall: done / floor's ping; server CPU: app case / floor). The
target is within 1.25x of the receipt floor for both, memory growth under 10 %, and at most one
notification per 1,000 messages in the other-chat case. The plain floor leaves out the receipts
the app sends back, which Prosody routes to bob and, as 0.12's mod_mam does with receipts,
archives for both accounts (about 2x the plain floor's server CPU on its own), so its ratios
are printed for comparison only.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bench_common import (COUNT_ROWS, add_contacts, app_pid, cpu_delta, cpu_seconds, cpu_snapshot,
                          pss_mib)
from conftest import ARTIFACTS, ROOT, Peer, ProsodyServer
from flows import by_testid, sign_in

N = int(os.environ.get("LINNET_BENCH_BURST", "10000"))
CONTACTS = 500
SETTLE_S = float(os.environ.get("LINNET_BENCH_SETTLE", "5"))
TIMEOUT = 600  # s, for the burst and the ping
AFTER_PING = 300  # s, for the last receipt and the last message on screen after the ping
PING = "<ping xmlns='urn:xmpp:ping'/>"
EATMYDATA = shutil.which("eatmydata") is not None
TARGET_RATIO, TARGET_GROWTH_PCT = 1.25, 10.0
TARGET_NOTIFICATIONS = max(1, N // 1000)

# Notes Date.now() when an element matching arguments[0] first has the text arguments[1]
# exactly (checked on every DOM change: window.__burstDom) and at the animation frame after
# that (window.__burstSeen, "rendered").
WATCH = """
const sel = arguments[0], text = arguments[1];
window.__burstDom = null; window.__burstSeen = null;
if (window.__burstObs) window.__burstObs.disconnect();
const found = () => Array.from(document.querySelectorAll(sel)).some(e => e.textContent === text);
const obs = new MutationObserver(() => {
  if (!found()) return;
  obs.disconnect();
  window.__burstDom = Date.now();
  requestAnimationFrame(() => { window.__burstSeen = Date.now(); });
});
window.__burstObs = obs;
obs.observe(document.body, { childList: true, subtree: true, characterData: true });
"""
SEEN = "return [window.__burstDom, window.__burstSeen];"


@pytest.fixture(scope="module")
def prosody():
    """This benchmark's own Prosody (overrides conftest's for the launcher too), under
    eatmydata when installed: the figures are the clients' and Prosody's, not fsync's."""
    with ProsodyServer(eatmydata=EATMYDATA) as server:
        yield server


class PeerProcess:
    """The harness's peer CLI (linnet_harness.peer) in a process of its own, so that as the
    receiver it does not compete with the sender in this interpreter for its lock."""

    def __init__(self, prosody, user, password, *flags, timeout=30.0):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "linnet_harness.peer", "--jid", prosody.jid(user),
             "--password", password, "--host", prosody.host, "--port", str(prosody.ports.c2s),
             "--ca", prosody.ca_cert, *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "harness")))
        self.lines = queue.Queue()
        self._id = 0
        threading.Thread(target=self._read, daemon=True).start()
        first = self._next(timeout)
        if first.get("event") != "online":
            self.close()
            raise RuntimeError(f"{user}: {first}")
        self.jid = first["jid"]

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def _next(self, timeout):
        obj = self.lines.get(timeout=timeout)
        if obj is None:
            raise RuntimeError(f"peer process exited ({self.proc.wait(5)})")
        return obj

    def cmd(self, name, timeout=30.0, **fields):
        self._id += 1
        self.proc.stdin.write(json.dumps({"id": self._id, "cmd": name, **fields}) + "\n")
        self.proc.stdin.flush()
        while True:
            obj = self._next(timeout)
            if obj.get("id") == self._id:
                if not obj.get("ok"):
                    raise RuntimeError(f"{name}: {obj.get('error')}")
                return obj

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class ReceiptClock:
    """The sender's on_event (runs on its thread): counts receipts whose id starts with the
    armed prefix and notes when the one for the last id arrives."""

    def __init__(self):
        self.prefix, self.last_id, self.count, self.at = None, None, 0, None

    def arm(self, prefix, last_id):
        self.count, self.at = 0, None
        self.prefix, self.last_id = prefix, last_id

    def __call__(self, ev):
        rid = ev.get("id") or ""
        if ev.get("event") != "receipt" or self.prefix is None or not rid.startswith(self.prefix):
            return
        self.count += 1
        if rid == self.last_id and self.at is None:
            self.at = time.time()


def until(what, check, timeout=TIMEOUT, every=0.05):
    """Polls check() until it returns something truthy; returns it, or None after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    print(f"bench-burst: gave up waiting for {what} after {timeout} s")
    return None


def ping(sender, jid):
    """Pings `jid`; returns time.time() when answered (any answer), None without one."""
    try:
        sender.iq(jid, PING, timeout=TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - reported as a missing figure
        print(f"bench-burst: no answer to the ping of {jid}: {exc}")
        return None
    return time.time()


def befriend(seeder, friend):
    """Presence shared both ways between the seeder's account and `friend` (auto-accepting)."""
    bare = friend.jid.split("/")[0]
    seeder.subscribe(bare)
    seeder.wait_for({"event": "presence", "from": bare, "type": "subscribe"}, timeout=30)
    seeder.approve(bare)
    seeder.wait_for(lambda e: e.get("event") == "roster" and any(
        i["jid"] == bare and i["subscription"] == "both" for i in e["items"]), timeout=30)


def open_chat(driver, peer_jid):
    """Clicks the conversation with `peer_jid` in the list; waits until the chat shows it."""
    WebDriverWait(driver, 30).until(
        EC.element_to_be_clickable(by_testid(f"conversation-{peer_jid}"))).click()
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(*by_testid("chat-view")).get_attribute("data-peer") == peer_jid)


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def app_case(driver, pid, prosody, bob, clock, anna_full, notifications, name, selector):
    """One burst from bob to the app; `selector` matches where the last body shows."""
    prefix = f"{name} "
    last = f"{prefix}{N - 1}"
    clock.arm(f"{name}-", f"{name}-{N - 1}")
    time.sleep(3)  # the window settles after opening the chat
    pss_before, per_before = pss_mib(pid)
    calls_before = len(notifications.calls())
    driver.execute_script(WATCH, selector, last)
    cpu0, srv0 = cpu_snapshot(pid), prosody.cpu_seconds()
    t0 = time.time()
    bob.burst("anna@localhost", N, prefix, request_receipt=True, id_prefix=f"{name}-",
              timeout=TIMEOUT)
    written = time.time()
    pinged = ping(bob, anna_full)
    receipt = until("the last receipt", lambda: clock.at, timeout=AFTER_PING)

    def on_screen():  # the frame after; the DOM change alone if no frame came within 10 s
        dom, frame = driver.execute_script(SEEN)
        return frame or (dom if dom and time.time() * 1000 - dom > 10_000 else None)
    seen_ms = until("the last message on screen", on_screen, timeout=AFTER_PING, every=0.25)
    dom_ms = driver.execute_script(SEEN)[0]
    cpu1, srv1 = cpu_snapshot(pid), prosody.cpu_seconds()
    time.sleep(SETTLE_S)
    cpu2 = cpu_snapshot(pid)
    pss_after, per = pss_mib(pid)
    calls = notifications.calls()[calls_before:]  # only bob writes meanwhile
    rendered = seen_ms / 1000 if seen_ms else None
    marks = [pinged, receipt, rendered]
    done = max(marks) if None not in marks else None
    rel = lambda t: round(t - t0, 2) if t else None  # noqa: E731
    return {
        "written_s": rel(written), "in_dom_s": rel(dom_ms / 1000 if dom_ms else None),
        "rendered_s": rel(rendered), "last_receipt_s": rel(receipt),
        "ping_s": rel(pinged), "done_s": rel(done), "receipts": clock.count,
        "client_cpu_s": round(cpu_delta(cpu0, cpu1), 2),
        "client_cpu_settle_s": round(cpu_delta(cpu1, cpu2), 2),
        "server_cpu_s": round(srv1 - srv0, 2),
        "pss_mib_before": pss_before, "pss_mib_after": pss_after,
        "memory_growth_pct": round((pss_after - pss_before) / pss_before * 100, 1),
        "notifications": len(calls),
        "notifications_new": sum(1 for c in calls if not c["replaces_id"]),
        "processes_before": per_before, "processes_after": per,
    }


def floor_case(prosody, bob, sink, user, clock=None):
    """bob bursts to a null receiver (account `user`) and pings it; with `clock`, waits for
    the receipt of the last message too (a receiver answering receipts)."""
    time.sleep(3)
    before = sink.cmd("received")["count"]
    rx0, srv0 = cpu_seconds(sink.proc.pid), prosody.cpu_seconds()
    if clock is not None:
        clock.arm(f"{user}-", f"{user}-{N - 1}")
    t0 = time.time()
    bob.burst(f"{user}@localhost", N, "floor ", request_receipt=True, id_prefix=f"{user}-",
              timeout=TIMEOUT)
    written = time.time()
    pinged = ping(bob, sink.jid)
    if clock is not None:
        receipt = until("the floor's last receipt", lambda: clock.at, timeout=AFTER_PING)
        pinged = max(pinged, receipt) if pinged and receipt else None
    srv1, rx1 = prosody.cpu_seconds(), cpu_seconds(sink.proc.pid)
    got = sink.cmd("received")
    return {
        "written_s": round(written - t0, 2),
        "ping_s": round(pinged - t0, 2) if pinged else None,
        "receipts": clock.count if clock is not None else 0,
        "server_cpu_s": round(srv1 - srv0, 2), "receiver_cpu_s": round(rx1 - rx0, 2),
        "received": got["count"] - before, "last_body": got["last_body"],
    }


def targets(case, floor, plain):
    """Targets against the receipt floor; ratios to the plain floor are only reported."""
    wall = ratio(case["done_s"], floor["ping_s"])
    server = ratio(case["server_cpu_s"], floor["server_cpu_s"])
    case["ratios"] = {"wall": wall, "ping": ratio(case["ping_s"], floor["ping_s"]),
                      "server_cpu": server,
                      "wall_plain": ratio(case["done_s"], plain["ping_s"]),
                      "server_cpu_plain": ratio(case["server_cpu_s"], plain["server_cpu_s"])}
    return {
        "wall": wall is not None and wall <= TARGET_RATIO,
        "server_cpu": server is not None and server <= TARGET_RATIO,
        "memory": case["memory_growth_pct"] < TARGET_GROWTH_PCT,
    }


def met(ok):
    return "met" if ok else "NOT met"


def summarize(plain, floor, cases):
    """Ratios and targets of `cases` ((label, JSON key, case), in run order); prints them,
    writes tests/artifacts/bench-burst.json."""
    met_by_key = {key: targets(case, floor, plain) for _, key, case in cases}
    for _, key, case in cases:
        if key == "other_chat":
            met_by_key[key]["notifications"] = case["notifications"] <= TARGET_NOTIFICATIONS
    result = {
        "messages": N, "contacts": CONTACTS, "eatmydata": EATMYDATA,
        "cores": os.cpu_count(), "settle_s": SETTLE_S,
        "floor": plain, "receipt_floor": floor, **{key: case for _, key, case in cases},
        "target": {"ratio": TARGET_RATIO, "memory_growth_pct": TARGET_GROWTH_PCT,
                   "notifications": TARGET_NOTIFICATIONS, **met_by_key},
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "bench-burst.json").write_text(json.dumps(result, indent=2) + "\n")
    print("BENCH " + json.dumps(result))
    for label, key, case in cases:
        ok, r = met_by_key[key], case["ratios"]
        line = (f"TARGET {label}: wall {r['wall']}x of the receipt-answering null receiver "
                f"(<= {TARGET_RATIO}x: {met(ok['wall'])}), server CPU {r['server_cpu']}x "
                f"(<= {TARGET_RATIO}x: {met(ok['server_cpu'])}), memory "
                f"{case['memory_growth_pct']:+}% (< {TARGET_GROWTH_PCT:g}%: {met(ok['memory'])})"
                f"; against the plain null receiver: wall {r['wall_plain']}x, server CPU "
                f"{r['server_cpu_plain']}x")
        if "notifications" in ok:
            line += (f", {case['notifications']} notifications for {N} messages "
                     f"(<= {TARGET_NOTIFICATIONS}: {met(ok['notifications'])})")
        print(line)
    return result


def test_burst(launcher, prosody, app_binary, notifications):
    for user in ("anna", "bob", "carol", "sink", "acker"):
        prosody.register(user, f"{user}-pw")
    driver = launcher.start(launcher.new_data_dir())
    pid = app_pid(app_binary)
    sign_in(driver, prosody, "anna@localhost", "anna-pw")
    clock = ReceiptClock()
    bob = Peer.for_server(prosody, "bob", "bob-pw", auto_accept=True, on_event=clock)
    carol = Peer.for_server(prosody, "carol", "carol-pw", auto_accept=True)
    sink = None
    try:
        seeder = Peer.for_server(prosody, "anna", "anna-pw", resource="seeder")
        try:
            add_contacts(seeder, CONTACTS)
            befriend(seeder, bob)
            befriend(seeder, carol)
        finally:
            seeder.close()  # a second resource of anna would get every message too
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(COUNT_ROWS) >= CONTACTS + 2)

        sink = PeerProcess(prosody, "sink", "sink-pw", "--stream-management", "--null-receiver")
        plain = floor_case(prosody, bob, sink, "sink")
        print("bench-burst floor: " + json.dumps(plain))
        sink.close()
        sink = PeerProcess(prosody, "acker", "acker-pw", "--stream-management",
                           "--null-receiver", "--answer-receipts")
        floor = floor_case(prosody, bob, sink, "acker", clock)
        print("bench-burst receipt floor: " + json.dumps(floor))

        # bob's chat open: his first message names anna's full JID (its receipt's sender).
        hello = bob.send("anna@localhost", "hello from bob", request_receipt=True)
        anna_full = bob.wait_for({"event": "receipt", "id": hello}, timeout=30)["from"]
        open_chat(driver, "bob@localhost")
        open_case = app_case(driver, pid, prosody, bob, clock, anna_full, notifications,
                             "open", '[data-testid="message"] .body')
        print("bench-burst open chat: " + json.dumps(open_case))

        # carol's chat open: bob's burst shows in the conversation list.
        carol.send("anna@localhost", "hello from carol")
        open_chat(driver, "carol@localhost")
        other_case = app_case(driver, pid, prosody, bob, clock, anna_full, notifications,
                              "other", '[data-testid="conversation-bob@localhost"] .preview')
        other_case["unread_badge"] = driver.find_element(
            *by_testid("conversation-bob@localhost")).get_attribute("data-unread")
        print("bench-burst other chat: " + json.dumps(other_case))

        # bob's chat open again (step 5 above).
        open_chat(driver, "bob@localhost")
        again_case = app_case(driver, pid, prosody, bob, clock, anna_full, notifications,
                              "again", '[data-testid="message"] .body')
        print("bench-burst open chat again: " + json.dumps(again_case))

        summarize(plain, floor, [("open chat", "open_chat", open_case),
                                 ("other chat", "other_chat", other_case),
                                 ("open chat again", "open_chat_again", again_case)])
        launcher.stop(driver, shot="bench-burst")
        # Arrival, not speed: every message reached the null receiver, every one the app
        # (each answered with a receipt).
        assert plain["received"] == N and floor["received"] == N, (plain, floor)
        assert floor["receipts"] == N, floor
        assert all(c["receipts"] == N for c in (open_case, other_case, again_case)), (
            open_case, other_case, again_case)
    finally:
        if sink is not None:
            sink.close()
        bob.close()
        carol.close()
