"""Self-test of the Linnet test harness (tests/harness).

Drives both CLIs the way the Rust integration tests do (subprocesses speaking
JSON lines) and checks the Python API once. Run from the repo root:

    .venv/bin/python -m pytest tests/harness -q

Needs Debian's prosody (+ lua-dbi-sqlite3, lua-unbound, lua-zlib), openssl and
the packages of tests/harness/requirements.txt. Takes about 20 s.
"""

import base64
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest

DISCO_INFO = "http://jabber.org/protocol/disco#info"
LEGACY = "eu.siacs.conversations.axolotl"
OMEMO2 = "urn:xmpp:omemo:2"
PUBSUB = "http://jabber.org/protocol/pubsub"
HERE = os.path.dirname(os.path.abspath(__file__))


class JsonProc:
    """A harness CLI as a subprocess: send commands, await lines on stdout."""

    def __init__(self, module, *args):
        env = dict(os.environ, PYTHONPATH=HERE)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=None, text=True, env=env, cwd=HERE)
        self.lines = queue.Queue()
        self.seen = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))  # every stdout line must be JSON
        self.lines.put(None)

    def expect(self, match, timeout=15.0):
        """Return the next line with all fields of ``match`` (others are kept)."""
        for obj in self.seen:
            if all(obj.get(k) == v for k, v in match.items()):
                self.seen.remove(obj)
                return obj
        deadline = time.monotonic() + timeout
        while True:
            try:
                obj = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out waiting for {match}; saw {self.seen}")
            if obj is None:
                raise AssertionError(f"EOF waiting for {match}; saw {self.seen}")
            if all(obj.get(k) == v for k, v in match.items()):
                return obj
            self.seen.append(obj)

    def cmd(self, name, timeout=15.0, ok=True, **fields):
        """Send a command and return its reply; fail the test unless its ok is ``ok``."""
        self._next_id += 1
        self.proc.stdin.write(json.dumps({"id": self._next_id, "cmd": name, **fields}) + "\n")
        self.proc.stdin.flush()
        rep = self.expect({"id": self._next_id}, timeout)
        assert rep["ok"] is ok, rep
        return rep

    def close_stdin(self):
        self.proc.stdin.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie counts as gone
        return f.read().split(") ")[1][0] != "Z"


def procs_using(path):
    """Pids of running processes whose command line mentions ``path``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if path.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture
def procs():
    """Collects JsonProcs and kills any still running at the end."""
    started = []
    yield lambda *a: started.append(JsonProc(*a)) or started[-1]
    for p in started:
        p.kill()


def peer_args(ready, user, *extra):
    return ["linnet_harness.peer", "--jid", f"{user}@{ready['domain']}", "--password", "pw",
            "--host", ready["host"], "--port", str(ready["c2s_port"]),
            "--ca", ready["ca_cert"], *extra]


def test_cli_roundtrip(procs):
    server = procs("linnet_harness.server")
    ready = server.expect({"event": "ready"}, timeout=20)
    assert {"c2s_port", "tls_port", "http_port", "cert_sha256", "pid"} <= ready.keys()
    assert len(ready["cert_sha256"]) == 64 and os.path.isfile(ready["ca_cert"])
    for user in ("alice", "bob"):
        server.cmd("register", user=user, password="pw")
    assert "bob@localhost" in server.cmd("shell", line="user:list('localhost')")["output"]

    alice = procs(*peer_args(ready, "alice", "--auto-accept", "--resource", "desk"))
    bob = procs(*peer_args(ready, "bob"))
    assert alice.expect({"event": "online"})["jid"] == "alice@localhost/desk"
    bob.expect({"event": "online"})

    # Subscription: alice auto-approves and subscribes back; bob approves that.
    bob.cmd("subscribe", to="alice@localhost")
    bob.expect({"event": "presence", "from": "alice@localhost", "type": "subscribed"})
    bob.expect({"event": "presence", "from": "alice@localhost", "type": "subscribe"})
    bob.cmd("approve", to="alice@localhost")
    bob.expect({"event": "presence", "from": "alice@localhost/desk", "type": "available"})
    # The roster push for "both" can trail alice's presence on a loaded machine: poll it.
    deadline = time.monotonic() + 10
    while True:
        items = [(i["jid"], i["subscription"]) for i in bob.cmd("roster")["items"]]
        if items == [("alice@localhost", "both")] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert items == [("alice@localhost", "both")]

    # Chat with a receipt, then a small burst.
    rep = bob.cmd("send", to="alice@localhost", body="hello alice",
                  msg_id="m-1", request_receipt=True)
    assert rep["msg_id"] == "m-1"
    msg = alice.expect({"event": "message", "body": "hello alice"})
    assert msg["from"].startswith("bob@localhost/") and msg["type"] == "chat"
    assert msg["id"] == "m-1" and msg["origin_id"] == "m-1" and msg["stanza_id"]
    assert msg["receipt_request"] is True
    bob.expect({"event": "receipt", "from": "alice@localhost/desk", "id": "m-1"})
    assert bob.cmd("burst", to="alice@localhost", count=50, prefix="b")["count"] == 50
    alice.expect({"event": "message", "body": "b49"})

    # IQs: ping and disco#info to the server, an error answer, a malformed payload.
    rep = bob.cmd("iq", to="localhost", xml="<ping xmlns='urn:xmpp:ping'/>")
    assert rep["type"] == "result" and rep["error"] is None, rep
    iq = ET.fromstring(rep["xml"])
    assert iq.tag == "{jabber:client}iq" and iq.get("type") == "result"
    assert iq.get("from") == "localhost" and iq.get("to").startswith("bob@localhost/")
    rep = bob.cmd("iq", type="get", to="localhost",
                  xml=f"<query xmlns='{DISCO_INFO}'/>")
    assert rep["type"] == "result" and rep["error"] is None, rep
    query = ET.fromstring(rep["xml"]).find(f"{{{DISCO_INFO}}}query")
    features = {f.get("var") for f in query.iter(f"{{{DISCO_INFO}}}feature")}
    assert {"urn:xmpp:ping", DISCO_INFO} <= features, features
    rep = bob.cmd("iq", type="set", to="localhost", xml="<nonsense xmlns='urn:linnet:none'/>")
    assert rep["type"] == "error" and rep["error"] == "service-unavailable", rep
    assert ET.fromstring(rep["xml"]).find("{jabber:client}error") is not None
    assert "well-formed" in bob.cmd("iq", to="localhost", xml="<oops", ok=False)["error"]
    assert "type" in bob.cmd("iq", type="result", to="localhost",
                             xml="<ping xmlns='urn:xmpp:ping'/>", ok=False)["error"]

    # Server restart: peers see the stream end; a new login works afterwards.
    server.cmd("stop")
    assert not pid_alive(ready["pid"])
    alice.expect({"event": "disconnected"})
    pid = server.cmd("start", timeout=25)["pid"]
    again = procs(*peer_args(ready, "bob"))
    again.expect({"event": "online"})
    again.close_stdin()
    assert again.proc.wait(10) == 0

    # Shutdown: the reply, exit 0, no prosody left, folder gone.
    server.cmd("shutdown")
    assert server.proc.wait(10) == 0
    assert not pid_alive(pid)
    assert procs_using(os.path.join(ready["dir"], "prosody.cfg.lua")) == []
    assert not os.path.exists(ready["dir"])
    # Peers notice and exit cleanly on EOF.
    for p in (alice, bob):
        p.close_stdin()
        assert p.proc.wait(10) == 0


def test_cli_rogue_cert_and_bad_password(procs):
    server = procs("linnet_harness.server", "--rogue-cert")
    ready = server.expect({"event": "ready"}, timeout=20)
    server.cmd("register", user="carol", password="pw")
    peer = procs(*peer_args(ready, "carol"))
    err = peer.expect({"event": "error"}, timeout=20)
    assert "certificate" in err["message"].lower() or "ssl" in err["message"].lower(), err
    assert peer.proc.wait(10) == 1
    server.proc.terminate()  # SIGTERM path: clean up and exit
    assert server.proc.wait(10) == 0
    assert not pid_alive(ready["pid"]) and not os.path.exists(ready["dir"])


def request_upload_slot(peer, size):
    """XEP-0363 slot from upload.localhost: (put_url, get_url, put_headers)."""
    from slixmpp.xmlstream import ET

    ns = "urn:xmpp:http:upload:0"

    async def go():
        iq = peer.client.make_iq_get(ito="upload.localhost")
        iq.append(ET.fromstring(f"<request xmlns='{ns}' filename='a.txt' size='{size}' "
                                "content-type='text/plain'/>"))
        slot = (await iq.send(timeout=10)).xml.find(f"{{{ns}}}slot")
        put, get = slot.find(f"{{{ns}}}put"), slot.find(f"{{{ns}}}get")
        return put.get("url"), get.get("url"), {h.get("name"): h.text for h in put}
    return peer.run(go())


def check_iq_api(peer):
    """Peer.iq: disco#info of the server, and a timeout when nobody answers."""
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath

    from linnet_harness import PeerError

    res = peer.iq("localhost", f"<query xmlns='{DISCO_INFO}'/>")
    assert res["type"] == "result" and res["error"] is None
    identity = ET.fromstring(res["xml"]).find(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}identity")
    assert identity.get("category") == "server", res["xml"]
    # An IQ to our own full JID that our client swallows: no answer ever comes.
    peer.client.register_handler(Callback(
        "silent", MatchXPath("{jabber:client}iq/{urn:linnet:silent}q"), lambda _iq: None))
    started = time.monotonic()
    with pytest.raises(PeerError, match="no answer"):
        peer.iq(str(peer.client.boundjid), "<q xmlns='urn:linnet:silent'/>", timeout=1)
    assert time.monotonic() - started < 4


def test_python_api_direct_tls_upload_and_auth_failure():
    import ssl
    import urllib.request

    from linnet_harness import Peer, PeerError, ProsodyServer

    with ProsodyServer() as srv:
        srv.register("dave", "pw")
        with Peer.for_server(srv, "dave", "pw", direct_tls=True) as dave:
            dave.send("dave@localhost", "note to self")
            assert dave.wait_for({"event": "message", "body": "note to self"})["stanza_id"]
            put, get, headers = request_upload_slot(dave, 5)
            assert put.startswith(f"http://127.0.0.1:{srv.ports.http}/")
            req = urllib.request.Request(put, data=b"hello", method="PUT",
                                         headers={**headers, "Content-Type": "text/plain"})
            ctx = ssl.create_default_context(cafile=srv.ca_cert)
            assert urllib.request.urlopen(req, timeout=10, context=ctx).status == 201
            assert urllib.request.urlopen(get, timeout=10).read() == b"hello"
            check_iq_api(dave)
        with pytest.raises(PeerError, match="authentication"):
            Peer.for_server(srv, "dave", "wrong")
        pid, folder = srv.pid, srv.dir
    assert not pid_alive(pid) and not os.path.exists(folder)


def test_cli_upload_encrypted_https(procs):
    """upload_encrypted (XEP-0454 over XEP-0363) to a server started with --upload-https:
    the ciphertext downloads over https (harness CA) and decrypts to the original."""
    import io
    import ssl
    import urllib.parse
    import urllib.request

    from slixmpp.plugins.xep_0454 import XEP_0454

    server = procs("linnet_harness.server", "--upload-https")
    ready = server.expect({"event": "ready"}, timeout=20)
    server.cmd("register", user="erin", password="pw")
    erin = procs(*peer_args(ready, "erin"))
    erin.expect({"event": "online"})

    data = os.urandom(3 * 1024)
    rep = erin.cmd("upload_encrypted", timeout=40, filename="notes.bin",
                   data_b64=base64.b64encode(data).decode())
    https, url = rep["https"], rep["url"]
    assert rep["size"] == len(data) + 16
    parsed = urllib.parse.urlsplit(https)
    assert (parsed.scheme, parsed.hostname, parsed.port) == \
        ("https", ready["host"], ready["https_port"]), https
    assert url.startswith("aesgcm://" + https[len("https://"):] + "#"), url
    fragment = url.split("#", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{88}", fragment), fragment

    ctx = ssl.create_default_context(cafile=ready["ca_cert"])
    body = urllib.request.urlopen(https, timeout=10, context=ctx).read()
    assert len(body) == rep["size"] and body != data
    assert XEP_0454.decrypt(io.BytesIO(body), fragment) == data

    got = erin.cmd("fetch", url=https)
    assert got["status"] == 200 and base64.b64decode(got["data_b64"]) == body
    assert re.fullmatch(r"/file_share/[0-9a-f-]+/notes\.bin", parsed.path), https
    missing = https.replace(parsed.path, "/file_share/00000000-no-such-slot/notes.bin")
    assert erin.cmd("fetch", url=missing)["status"] == 404

    # Explicit service; errors are ok:false with the reason.
    again = erin.cmd("upload_encrypted", timeout=40, filename="b.bin", service=ready["upload"],
                     data_b64=base64.b64encode(b"x").decode())
    assert again["size"] == 17 and again["https"] != https
    bad = erin.cmd("upload_encrypted", ok=False, timeout=40, filename="c.bin",
                   service=ready["domain"], data_b64=base64.b64encode(b"x").decode())
    assert "no upload slot" in bad["error"], bad
    erin.close_stdin()
    assert erin.proc.wait(10) == 0


def test_cli_upload_and_oob(procs):
    """Plain upload (XEP-0363) to a server started with --upload-limit, its URL sent as
    Out-of-Band Data (XEP-0066) to another peer, who fetches the same bytes; a file over the
    limit is refused with the server's condition."""
    import hashlib
    import urllib.parse

    limit = 4096
    server = procs("linnet_harness.server", "--upload-limit", str(limit))
    ready = server.expect({"event": "ready"}, timeout=20)
    for user in ("fay", "gus"):
        server.cmd("register", user=user, password="pw")
    fay, gus = procs(*peer_args(ready, "fay")), procs(*peer_args(ready, "gus"))
    fay.expect({"event": "online"})
    gus.expect({"event": "online"})

    data = os.urandom(limit)  # exactly the limit: still accepted
    rep = fay.cmd("upload", timeout=40, filename="photo.png", content_type="image/png",
                  data_b64=base64.b64encode(data).decode())
    url = rep["url"]
    parsed = urllib.parse.urlsplit(url)
    assert (parsed.scheme, parsed.hostname, parsed.port) == \
        ("http", ready["host"], ready["http_port"]), url
    assert re.fullmatch(r"/file_share/[0-9a-f-]+/photo\.png", parsed.path), url
    assert rep["size"] == limit
    assert base64.b64decode(rep["sha256_b64"]) == hashlib.sha256(data).digest()

    sent = fay.cmd("send", to="gus@localhost", body=url, oob_url=url, oob_desc="a photo")
    msg = gus.expect({"event": "message", "id": sent["msg_id"]})
    assert (msg["body"], msg["oob_url"], msg["oob_desc"]) == (url, url, "a photo"), msg
    sent = fay.cmd("send", to="gus@localhost", body="no file", oob_url=url)
    msg = gus.expect({"event": "message", "id": sent["msg_id"]})
    assert (msg["body"], msg["oob_url"], msg["oob_desc"]) == ("no file", url, None), msg
    sent = fay.cmd("send", to="gus@localhost", body="plain")
    msg = gus.expect({"event": "message", "id": sent["msg_id"]})
    assert (msg["oob_url"], msg["oob_desc"]) == (None, None), msg
    assert "oob_url" in fay.cmd("send", ok=False, to="gus@localhost", body="x",
                                oob_desc="no url")["error"]

    got = gus.cmd("fetch", url=url)
    assert got["status"] == 200 and base64.b64decode(got["data_b64"]) == data

    # One byte over the limit: no slot, and the reason names Prosody's conditions.
    bad = fay.cmd("upload", ok=False, timeout=40, filename="big.bin",
                  data_b64=base64.b64encode(data + b"!").decode())
    assert "no upload slot from upload.localhost: not-acceptable" in bad["error"], bad
    assert f"file-too-large (max {limit} bytes)" in bad["error"], bad
    for p in (fay, gus):
        p.close_stdin()
        assert p.proc.wait(10) == 0


def test_cli_null_receiver_burst_ping_and_cpu(procs):
    """Benchmark pieces: a null receiver with stream management (counts, prints no message
    events, answers no receipts, answers pings), burst ids for receipts, Prosody's CPU time
    (from the pid of Prosody itself, also under eatmydata)."""
    import shutil

    from linnet_harness import ProsodyServer

    eatmydata = shutil.which("eatmydata") is not None
    with ProsodyServer(eatmydata=eatmydata) as srv:
        with open(f"/proc/{srv.pid}/cmdline", "rb") as f:
            assert b"prosody" in f.read()
        if eatmydata:  # the wrapper exec'd Prosody: same pid, its preload in the environment
            with open(f"/proc/{srv.pid}/environ", "rb") as f:
                assert b"eatmydata" in f.read()
        ready = srv.info()
        for user in ("erin", "sink", "rx"):
            srv.register(user, "pw")
        cpu0 = srv.cpu_seconds()
        sink = procs(*peer_args(ready, "sink", "--stream-management", "--null-receiver"))
        sink_jid = sink.expect({"event": "online"})["jid"]
        erin = procs(*peer_args(ready, "erin", "--stream-management"))
        erin.expect({"event": "online"})
        rx = procs(*peer_args(ready, "rx"))
        rx.expect({"event": "online"})

        assert erin.cmd("burst", to="sink@localhost", count=300, prefix="n",
                        request_receipt=True, id_prefix="s-")["count"] == 300
        # Body-less messages (a chat state, reactions) are neither counted nor printed.
        erin.cmd("chat_state", to="sink@localhost", state="composing")
        erin.cmd("react", to="sink@localhost", target_id="s-0", emojis=["👍"])
        # The ping is answered after the receiver read everything sent before it.
        rep = erin.cmd("iq", to=sink_jid, xml="<ping xmlns='urn:xmpp:ping'/>", timeout=30)
        assert rep["type"] == "result" and rep["error"] is None, rep
        assert sink.cmd("received")["count"] == 300
        assert sink.cmd("received")["last_body"] == "n299"
        assert not [e for e in sink.seen if e.get("event") == "message"], "counted, not printed"
        assert not [e for e in erin.seen if e.get("event") == "receipt"], "no receipts answered"

        # A normal receiver answers every receipt request; the ids come from id_prefix.
        erin.cmd("burst", to="rx@localhost", count=20, prefix="r", request_receipt=True,
                 id_prefix="r-")
        erin.expect({"event": "receipt", "id": "r-19"})
        rx.expect({"event": "message", "body": "r19", "id": "r-19", "receipt_request": True})
        # A null receiver that answers receipts: counted, not printed, each receipt sent.
        srv.register("ack", "pw")
        ack = procs(*peer_args(ready, "ack", "--stream-management", "--null-receiver",
                               "--answer-receipts"))
        ack.expect({"event": "online"})
        erin.cmd("burst", to="ack@localhost", count=30, prefix="a", request_receipt=True,
                 id_prefix="a-")
        erin.expect({"event": "receipt", "id": "a-29"})
        assert ack.cmd("received")["count"] == 30
        assert not [e for e in ack.seen if e.get("event") == "message"], "counted, not printed"
        cpu1 = srv.cpu_seconds()
        assert cpu1 > cpu0 >= 0
        for p in (sink, erin, rx, ack):
            p.close_stdin()
            assert p.proc.wait(10) == 0


def test_cli_message_facets(procs):
    """Corrections, reactions, retractions, replies (with the quoted fallback), chat states
    and moderation between two peers, 1:1 and in a room; body-less ones are message events
    too."""
    server = procs("linnet_harness.server")
    ready = server.expect({"event": "ready"}, timeout=20)
    for user in ("alice", "bob"):
        server.cmd("register", user=user, password="pw")
    alice = procs(*peer_args(ready, "alice", "--resource", "desk"))
    bob = procs(*peer_args(ready, "bob", "--resource", "pad"))
    alice_jid = alice.expect({"event": "online"})["jid"]
    bob.expect({"event": "online"})
    to_alice = lambda **m: alice.expect({"event": "message", "from": "bob@localhost/pad", **m})  # noqa: E731

    bob.cmd("send", to="alice@localhost", body="helo", msg_id="m-1")
    first = to_alice(body="helo")
    assert first["encrypted"] is None  # plaintext (and the peer has no --omemo anyway)
    assert first["replace"] is None and first["reactions"] is None and first["retract"] is None
    assert first["reply"] is None and first["fallback_stripped_body"] is None
    assert first["chat_state"] is None and first["occupant_id"] is None

    # XEP-0308: a correction, with its own id (also its origin-id).
    rep = bob.cmd("correct", to="alice@localhost", target_id="m-1", body="hello")
    ev = to_alice(body="hello", replace="m-1")
    assert ev["id"] == rep["msg_id"] == ev["origin_id"] and rep["msg_id"] != "m-1"
    bob.cmd("correct", to="alice@localhost", target_id="m-1", body="hello!", msg_id="c-2")
    to_alice(body="hello!", replace="m-1", id="c-2")

    # XEP-0444: the full set in order, body-less; [] clears it. Any text goes.
    rep = bob.cmd("react", to="alice@localhost", target_id="m-1", emojis=["👍", "🎉", "+1"])
    ev = to_alice(id=rep["msg_id"])
    assert ev["body"] is None and ev["type"] == "chat"
    assert ev["reactions"] == {"id": "m-1", "emojis": ["👍", "🎉", "+1"]}
    bob.cmd("react", to="alice@localhost", target_id="m-1", emojis=[])
    assert to_alice(body=None, chat_state=None)["reactions"] == {"id": "m-1", "emojis": []}

    # XEP-0461 + XEP-0428: the quoted fallback comes first and is marked, so it strips off.
    rep = bob.cmd("reply", to="alice@localhost", target_id="a-1", reply_to=alice_jid,
                  body="yes", quote="are you there?\nhello?", quote_nick="Alice")
    ev = to_alice(id=rep["msg_id"])
    assert ev["body"] == "> Alice:\n> are you there?\n> hello?\nyes", ev
    assert ev["reply"] == {"id": "a-1", "to": alice_jid}
    assert ev["fallback_stripped_body"] == "yes"
    bob.cmd("reply", to="alice@localhost", target_id="a-2", reply_to="alice@localhost",
            body="no quote")
    ev = to_alice(body="no quote")
    assert ev["reply"] == {"id": "a-2", "to": "alice@localhost"}
    assert ev["fallback_stripped_body"] is None

    # XEP-0085: a standalone notification is an event with body null.
    rep = bob.cmd("chat_state", to="alice@localhost", state="composing")
    ev = to_alice(chat_state="composing")
    assert ev["body"] is None and ev["id"] == rep["msg_id"]
    bob.cmd("chat_state", to="alice@localhost", state="paused")
    to_alice(chat_state="paused", body=None)
    assert "ValueError" in bob.cmd("chat_state", to="alice@localhost", state="sleepy",
                                   ok=False)["error"]

    # XEP-0424: slixmpp's retraction, with its fallback body.
    rep = bob.cmd("retract", to="alice@localhost", target_id="m-1")
    ev = to_alice(retract="m-1")
    assert ev["id"] == rep["msg_id"] and ev["body"] and "retract" in ev["body"], ev
    assert ev["replace"] is None and ev["reactions"] is None

    # Bad commands: the target is "target_id" ("id" is the command's), types are checked.
    assert "target_id" in bob.cmd("correct", to="alice@localhost", body="x", ok=False)["error"]
    assert "type" in bob.cmd("retract", to="alice@localhost", target_id="m-1",
                             type="headline", ok=False)["error"]
    assert "emojis" in bob.cmd("react", to="alice@localhost", target_id="m-1",
                               emojis="👍", ok=False)["error"]

    # A body-less direct invitation (XEP-0249) is still reported, once.
    bob.cmd("raw", xml="<message to='alice@localhost'>"
            "<x xmlns='jabber:x:conference' jid='lounge@conference.localhost'/></message>")
    assert to_alice(direct_invite="lounge@conference.localhost")["body"] is None

    # In a room: alice creates it (so she owns it), bob enters; facets travel as groupchat,
    # the room stamps stanza-id and occupant-id.
    room = f"facets@{ready['muc']}"
    for peer, nick in ((alice, "Alice"), (bob, "Bob")):
        peer.cmd("raw", xml=f"<presence to='{room}/{nick}'>"
                 "<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        peer.expect({"event": "presence", "from": f"{room}/{nick}"})
    from_bob = lambda **m: alice.expect({"event": "message", "from": f"{room}/Bob",  # noqa: E731
                                         "type": "groupchat", **m})
    bob.cmd("send", to=room, body="hi room", type="groupchat", msg_id="g-1")
    ev = from_bob(body="hi room")
    sid, occupant = ev["stanza_id"], ev["occupant_id"]
    assert sid and occupant, ev
    bob.cmd("react", to=room, target_id=sid, emojis=["❤️"], type="groupchat")
    ev = from_bob(body=None, chat_state=None)
    assert ev["reactions"] == {"id": sid, "emojis": ["❤️"]} and ev["occupant_id"] == occupant
    bob.cmd("correct", to=room, target_id="g-1", body="hi, room", type="groupchat")
    assert from_bob(body="hi, room")["replace"] == "g-1"
    bob.cmd("reply", to=room, target_id=sid, reply_to=f"{room}/Bob", body="me again",
            quote="hi room", quote_nick="Bob", type="groupchat")
    ev = from_bob(fallback_stripped_body="me again")
    assert ev["reply"] == {"id": sid, "to": f"{room}/Bob"}
    bob.cmd("chat_state", to=room, state="composing", type="groupchat")
    assert from_bob(chat_state="composing")["occupant_id"] == occupant
    bob.cmd("retract", to=room, target_id=sid, type="groupchat")
    assert from_bob(retract=sid)["occupant_id"] == occupant
    # XEP-0425: this Prosody has no mod_muc_moderation, so the room refuses; the answer is
    # a normal reply.
    rep = alice.cmd("moderate", room=room, target_id=sid, reason="spam")
    assert rep["type"] == "error" and rep["error"], rep

    for p in (alice, bob):
        p.close_stdin()
        assert p.proc.wait(10) == 0


def node_config(peer, node):
    """{var: value} of our own PEP node's configuration form (XEP-0060 owner)."""
    rep = peer.cmd("iq", to="alice@localhost",
                   xml=f"<pubsub xmlns='{PUBSUB}#owner'><configure node='{node}'/></pubsub>")
    assert rep["type"] == "result", rep
    fields = ET.fromstring(rep["xml"]).iter("{jabber:x:data}field")
    return {f.get("var"): f.findtext("{jabber:x:data}value") for f in fields}


def legacy_identity_hex(peer, owner, device_id):
    """The Curve25519 identity key in ``owner``'s legacy bundle, read with a plain IQ."""
    node = f"{LEGACY}.bundles:{device_id}"
    rep = peer.cmd("iq", to=owner,
                   xml=f"<pubsub xmlns='{PUBSUB}'><items node='{node}' max_items='1'/></pubsub>")
    ik = ET.fromstring(rep["xml"]).find(f".//{{{LEGACY}}}identityKey").text
    raw = base64.b64decode(ik)
    assert len(raw) == 33 and raw[0] == 5, raw  # 0x05 || Montgomery u
    return raw[1:].hex()


def check_omemo_devices(peer, jid, other):
    """omemo_devices shows the other's one device, on both namespaces, with its fingerprint."""
    rep = peer.cmd("omemo_devices", jid=jid)
    devices = rep["devices"]
    assert rep["list_errors"] == {}, rep
    assert [(d["device_id"], d["fingerprint"]) for d in devices] == \
        [(other["device_id"], other["fingerprint"])], devices
    assert sorted(devices[0]["namespaces"]) == [LEGACY, OMEMO2]
    assert devices[0]["bundles"] == {ns: {"fingerprint": other["fingerprint"], "error": None}
                                     for ns in (LEGACY, OMEMO2)}


def test_cli_omemo(procs):
    """Two --omemo peers (not subscribed to each other: slixmpp-omemo subscribes to the
    device-list nodes itself) exchange legacy and OMEMO 2 messages both ways; empty
    session-completion messages, failures, and the PEP publish-options on the server."""
    server = procs("linnet_harness.server")
    ready = server.expect({"event": "ready"}, timeout=20)
    for user in ("alice", "bob", "carol"):
        server.cmd("register", user=user, password="pw")
    alice = procs(*peer_args(ready, "alice", "--omemo", "--resource", "desk"))
    bob = procs(*peer_args(ready, "bob", "--omemo", "--resource", "pad"))
    alice.expect({"event": "online"})
    bob.expect({"event": "online"})

    infos = {}
    for name, peer in (("alice", alice), ("bob", bob)):
        info = infos[name] = peer.cmd("omemo_info")
        assert isinstance(info["device_id"], int) and info["device_id"] > 0, info
        assert re.fullmatch("[0-9a-f]{64}", info["fingerprint"]), info
    assert legacy_identity_hex(bob, "alice@localhost", infos["alice"]["device_id"]) == \
        infos["alice"]["fingerprint"]
    check_omemo_devices(alice, "bob@localhost", infos["bob"])
    check_omemo_devices(bob, "alice@localhost", infos["alice"])

    pairs = ((alice, bob, "bob@localhost", "alice@localhost/desk"),
             (bob, alice, "alice@localhost", "bob@localhost/pad"))
    for generation in ("legacy", "omemo2"):
        for sender, receiver, to, sender_jid in pairs:
            body = f"{generation} secret from {sender_jid} ✓"
            rep = sender.cmd("omemo_send", to=to, body=body, generation=generation)
            assert rep["errors"] == [], rep
            ev = receiver.expect({"event": "message", "body": body})
            assert ev["encrypted"] == generation and ev["from"] == sender_jid, ev
            assert ev["id"] == rep["msg_id"] == ev["origin_id"] and ev["type"] == "chat", ev
    # alice started both sessions (key exchanges): bob completed each with an empty message.
    for generation in ("legacy", "omemo2"):
        alice.expect({"event": "omemo_empty", "from": "bob@localhost/pad",
                      "generation": generation})

    # Failures: nobody to encrypt for, a bad generation, a malformed OMEMO element (an
    # error event, and no message event for its fallback body).
    rep = alice.cmd("omemo_devices", jid="carol@localhost")  # no OMEMO: Prosody says forbidden
    assert rep["devices"] == [] and sorted(rep["list_errors"]) == [LEGACY, OMEMO2], rep
    err = alice.cmd("omemo_send", to="carol@localhost", body="x", generation="omemo2",
                    ok=False)["error"]
    assert err.startswith("NoEligibleDevices"), err
    assert "generation" in alice.cmd("omemo_send", to="bob@localhost", body="x",
                                     generation="omemo3", ok=False)["error"]
    alice.cmd("raw", xml=f"<message to='bob@localhost' type='chat'><body>fallback</body>"
              f"<encrypted xmlns='{OMEMO2}'><header sid='1'/></encrypted></message>")
    ev = bob.expect({"event": "omemo_error", "generation": "omemo2"})
    assert ev["from"] == "alice@localhost/desk", ev
    assert re.match(r"XMLSchema\w*ValidationError: ", ev["error"]), ev
    assert not [e for e in bob.seen if e.get("body") == "fallback"]

    # What Prosody made of slixmpp-omemo's publish-options.
    bundles = node_config(alice, f"{OMEMO2}:bundles")
    assert bundles["pubsub#access_model"] == "open" and bundles["pubsub#max_items"] == "max"
    assert node_config(alice, f"{OMEMO2}:devices")["pubsub#access_model"] == "open"

    # Without --omemo the commands are refused.
    carol = procs(*peer_args(ready, "carol"))
    carol.expect({"event": "online"})
    assert "not enabled" in carol.cmd("omemo_info", ok=False)["error"]

    for p in (alice, bob, carol):
        p.close_stdin()
        assert p.proc.wait(10) == 0


NOTIFY = {LEGACY: f"{LEGACY}.devicelist+notify", OMEMO2: f"{OMEMO2}:devices+notify"}


def disco_features(peer, jid):
    """The disco#info features of ``jid`` (e.g. another peer's full JID), by a plain IQ."""
    rep = peer.cmd("iq", to=jid, xml=f"<query xmlns='{DISCO_INFO}'/>")
    assert rep["type"] == "result", rep
    return {f.get("var") for f in ET.fromstring(rep["xml"]).iter(f"{{{DISCO_INFO}}}feature")}


def send_both_generations(peer, recipients, body):
    """From an in-process full OMEMO :class:`Peer`: one python-omemo encryption of ``body``
    for all of ``recipients``' devices, OMEMO 2 preferred per device (as a sender speaking
    both does, e.g. in a room); each recipient gets the same stanza with the <encrypted/>
    element of each generation used and a fallback body. Returns the namespaces used."""
    import copy

    import oldmemo.etree
    import twomemo.etree
    from slixmpp import JID

    from linnet_harness.peer_omemo import build_envelope

    serialize = {LEGACY: oldmemo.etree.serialize_message, OMEMO2: twomemo.etree.serialize_message}

    async def go():
        omemo = peer.omemo
        async with omemo._lock:  # as PeerOmemo.encrypt does
            await omemo.xep.refresh_device_lists({JID(r) for r in recipients}, force_download=True)
            sm = await omemo.xep.get_session_manager()
            # (The envelope's <to/> names the last recipient; nobody checks it.)
            plaintexts = {OMEMO2: build_envelope(body, recipients[-1], peer.client.boundjid.bare),
                          LEGACY: body.encode("utf-8")}
            messages, errors = await sm.encrypt(frozenset(recipients), plaintexts,
                                                backend_priority_order=[OMEMO2, LEGACY])
        assert not errors, errors
        elements = [serialize[m.namespace](m) for m in messages]
        for to in recipients:
            stanza = peer.client.make_message(mto=to, mbody="fallback", mtype="chat")
            for element in elements:
                stanza.append(copy.deepcopy(element))
            stanza.enable("store")
            stanza.send()
        await peer._flush()
        return sorted(m.namespace for m in messages)

    return peer.run(go())


@pytest.mark.filterwarnings(  # slixmpp-omemo's own, from the in-process peer
    "ignore:Accessing plugins through the XMPP object:DeprecationWarning")
def test_cli_omemo_only(procs):
    """--omemo-only: a legacy-only peer ("conv", like Conversations) and an OMEMO-2-only one
    ("kaidan") publish and speak their generation alone with a full --omemo peer, refuse
    the other, and decrypt their element of a message that carries both."""
    from linnet_harness import Peer

    server = procs("linnet_harness.server")
    ready = server.expect({"event": "ready"}, timeout=20)
    for user in ("alice", "conv", "kaidan", "dave"):
        server.cmd("register", user=user, password="pw")
    alice = procs(*peer_args(ready, "alice", "--omemo", "--resource", "desk"))
    only = {"legacy": (LEGACY, OMEMO2), "omemo2": (OMEMO2, LEGACY)}  # generation: ns, other
    # (With --resource: slixmpp keeps the +notify features added before binding under the
    # JID it was given, so without one they are missing from the bound JID's disco#info.)
    peers = {generation: (user, procs(*peer_args(ready, user, "--omemo-only", generation,
                                                 "--resource", "phone")))
             for generation, user in (("legacy", "conv"), ("omemo2", "kaidan"))}
    alice_jid = alice.expect({"event": "online"})["jid"]
    infos = {"alice": alice.cmd("omemo_info")}
    for generation, (user, peer) in peers.items():
        ns, other = only[generation]
        other_generation = "omemo2" if generation == "legacy" else "legacy"
        full_jid = peer.expect({"event": "online"})["jid"]
        info = infos[user] = peer.cmd("omemo_info")
        bare = f"{user}@localhost"

        # Only its generation is published (Prosody: forbidden for the other, missing node),
        # and only its device-list +notify is in its caps.
        rep = alice.cmd("omemo_devices", jid=bare)
        assert rep["devices"] == [{
            "device_id": info["device_id"], "namespaces": [ns],
            "fingerprint": info["fingerprint"],
            "bundles": {ns: {"fingerprint": info["fingerprint"], "error": None}}}], rep
        assert sorted(rep["list_errors"]) == [other], rep
        features = disco_features(alice, full_jid)
        assert NOTIFY[ns] in features and NOTIFY[other] not in features, sorted(features)
        # It looks at its generation only: alice's device, on that namespace alone.
        rep = peer.cmd("omemo_devices", jid="alice@localhost")
        assert rep["list_errors"] == {} and [
            (d["device_id"], d["namespaces"], sorted(d["bundles"])) for d in rep["devices"]] \
            == [(infos["alice"]["device_id"], [ns], [ns])], rep

        # Both ways in its generation.
        body = f"{generation} to {user} ✓"
        rep = alice.cmd("omemo_send", to=bare, body=body, generation=generation)
        assert rep["errors"] == [], rep
        ev = peer.expect({"event": "message", "body": body})
        assert ev["encrypted"] == generation and ev["from"] == alice_jid, ev
        body = f"{generation} from {user} ✓"
        rep = peer.cmd("omemo_send", to="alice@localhost", body=body, generation=generation)
        assert rep["errors"] == [], rep
        ev = alice.expect({"event": "message", "body": body})
        assert ev["encrypted"] == generation and ev["from"] == full_jid, ev
        assert ev["id"] == rep["msg_id"], ev

        # The other generation: alice finds no device, the peer refuses, and a message
        # carrying only that generation is an error event (not a message event).
        err = alice.cmd("omemo_send", to=bare, body="x", generation=other_generation,
                        ok=False)["error"]
        assert err.startswith("NoEligibleDevices"), err
        err = peer.cmd("omemo_send", to="alice@localhost", body="x",
                       generation=other_generation, ok=False)["error"]
        assert err == (f"ValueError: this peer speaks only {generation} (--omemo-only "
                       f"{generation}): it cannot encrypt {other_generation}"), err
        alice.cmd("raw", xml=f"<message to='{bare}' type='chat'><body>fallback</body>"
                  f"<encrypted xmlns='{other}'><header sid='1'/></encrypted></message>")
        ev = peer.expect({"event": "omemo_error", "generation": other_generation})
        assert ev["error"].startswith("UnknownNamespace: this peer speaks only"), ev
        assert ev["from"] == alice_jid, ev

    # A sender speaking both puts both elements in one stanza: each peer decrypts its own.
    with Peer(f"dave@{ready['domain']}", "pw", host=ready["host"], port=ready["c2s_port"],
              ca=ready["ca_cert"], omemo=True) as dave:
        assert send_both_generations(dave, ["conv@localhost", "kaidan@localhost"],
                                     "one stanza, two generations") == [LEGACY, OMEMO2]
        for generation, (user, peer) in peers.items():
            ev = peer.expect({"event": "message", "body": "one stanza, two generations"})
            assert ev["encrypted"] == generation and ev["from"] == dave.client.boundjid.full, ev
            assert not [e for e in peer.seen if e.get("event") == "omemo_error"], peer.seen

    for p in (alice, *(peer for _user, peer in peers.values())):
        p.close_stdin()
        assert p.proc.wait(10) == 0


def omemo_setup(procs, users, *peers):
    """A server with ``users`` registered and --omemo peers ``(user, resource)`` online:
    (ready, [(JsonProc, full JID, omemo_info), ...]). A second device of a user starts once
    the first is online (two devices publishing their account's first device list at once
    could overwrite each other's entry until they notice)."""
    server = procs("linnet_harness.server")
    ready = server.expect({"event": "ready"}, timeout=20)
    for user in users:
        server.cmd("register", user=user, password="pw")
    started, online = [], {}
    for user, resource in peers:
        for earlier_user, earlier in started:
            if earlier_user == user and earlier not in online:
                online[earlier] = earlier.expect({"event": "online"})["jid"]
        started.append((user, procs(*peer_args(ready, user, "--omemo", "--resource", resource))))
    for _user, p in started:
        if p not in online:
            online[p] = p.expect({"event": "online"})["jid"]
    return ready, [(p, online[p], p.cmd("omemo_info")) for _user, p in started]


def close_all(*peers):
    for p in peers:
        p.close_stdin()
        assert p.proc.wait(10) == 0


def test_cli_omemo_rids_tamper_replay(procs):
    """omemo_rids names every device a message was encrypted for (the sender's own other
    devices too); tamper spoils the payload or the keys so the receiver's check fails;
    copies replays one encrypted element, and the second copy does not decrypt."""
    _ready, peers = omemo_setup(procs, ("alice", "bob"),
                                ("alice", "desk"), ("alice", "phone"), ("bob", "pad"))
    (desk, desk_jid, desk_info), (phone, _phone_jid, phone_info), (bob, bob_jid, bob_info) = peers
    ids = {name: info["device_id"] for name, info in
           (("desk", desk_info), ("phone", phone_info), ("bob", bob_info))}

    for generation in ("legacy", "omemo2"):
        # bob -> alice: both of alice's devices have a key, and both decrypt.
        body = f"{generation} to both of alice's devices"
        rep = bob.cmd("omemo_send", to="alice@localhost", body=body, generation=generation)
        assert rep["errors"] == [] and rep["msg_ids"] == [rep["msg_id"]], rep
        for receiver in (desk, phone):
            ev = receiver.expect({"event": "message", "body": body})
            assert ev["omemo_rids"] == sorted([ids["desk"], ids["phone"]]), ev
        # alice/desk -> bob: bob's device and alice's other device (phone).
        body = f"{generation} from desk"
        rep = desk.cmd("omemo_send", to="bob@localhost", body=body, generation=generation)
        assert rep["errors"] == [], rep
        ev = bob.expect({"event": "message", "body": body, "encrypted": generation})
        assert ev["omemo_rids"] == sorted([ids["bob"], ids["phone"]]), ev

    for generation in ("legacy", "omemo2"):
        for what in ("payload", "key"):
            body = f"{generation} tampered {what}"
            rep = desk.cmd("omemo_send", to="bob@localhost", body=body, generation=generation,
                           tamper=what)
            ev = bob.expect({"event": "omemo_error", "id": rep["msg_id"]})
            assert ev["generation"] == generation and ev["from"] == desk_jid, ev
            assert ev["error"].startswith("DecryptionFailed"), ev
        # The sessions survived: the next message decrypts.
        body = f"{generation} after tampering"
        desk.cmd("omemo_send", to="bob@localhost", body=body, generation=generation)
        assert bob.expect({"event": "message", "body": body})["encrypted"] == generation

        # A replay: the same element twice, each in its own stanza.
        body = f"{generation} twice"
        rep = desk.cmd("omemo_send", to="bob@localhost", body=body, generation=generation,
                       copies=2, msg_id=f"{generation}-replay")
        first, second = rep["msg_ids"]
        assert first == rep["msg_id"] == f"{generation}-replay" and second != first, rep
        ev = bob.expect({"event": "message", "body": body})
        assert ev["id"] == ev["origin_id"] == first, ev
        ev = bob.expect({"event": "omemo_error", "id": second})
        assert ev["generation"] == generation and ev["error"].startswith("DecryptionFailed"), ev
    assert not [e for e in bob.seen if e.get("event") == "message" and
                ("tampered" in (e.get("body") or "") or e.get("id") == second)], bob.seen

    for bad, err in (({"tamper": "iv"}, "tamper"), ({"copies": 0}, "copies"),
                     ({"type": "groupchat"}, "recipients")):
        assert err in desk.cmd("omemo_send", to="bob@localhost", body="x", generation="legacy",
                               ok=False, **bad)["error"]
    close_all(desk, phone, bob)


def test_cli_omemo_burst(procs):
    """omemo_burst encrypts every message first, then writes them all: the receiver
    decrypts all of them, in order, in both generations; ids from id_prefix or random."""
    _ready, [(alice, _, _), (bob, bob_jid, _)] = omemo_setup(
        procs, ("alice", "bob"), ("alice", "desk"), ("bob", "pad"))
    n = 30
    for generation, id_prefix in (("legacy", "L-"), ("omemo2", None)):
        rep = alice.cmd("omemo_burst", to=bob_jid, count=n, prefix=f"{generation} ",
                        generation=generation, id_prefix=id_prefix, timeout=60)
        assert rep["count"] == n and rep["errors"] == [], rep
        assert rep["prepared_s"] >= 0 and rep["written_s"] >= 0, rep
        got = [bob.expect({"event": "message", "encrypted": generation}) for _ in range(n)]
        assert [e["body"] for e in got] == [f"{generation} {i}" for i in range(n)], got
        ids = [e["id"] for e in got]
        assert all(e["origin_id"] == e["id"] for e in got), got
        if id_prefix is not None:
            assert ids == [f"{id_prefix}{i}" for i in range(n)], ids
        else:
            assert len(set(ids)) == n and all(ids), ids
    assert not [e for e in alice.seen + bob.seen if e.get("event") == "omemo_error"]
    for bad, err in (({"count": 0}, "count"), ({"generation": "omemo3"}, "generation")):
        fields = {"to": bob_jid, "count": 2, "generation": "legacy", **bad}
        assert err in alice.cmd("omemo_burst", ok=False, **fields)["error"]
    close_all(alice, bob)


def test_cli_omemo_replace_sessions(procs):
    """omemo_replace_sessions re-keys every session with the other's devices: python-omemo
    sends the key exchanges as empty messages itself, and messages decrypt afterwards."""
    _ready, [(alice, alice_jid, alice_info), (bob, bob_jid, _)] = omemo_setup(
        procs, ("alice", "bob"), ("alice", "desk"), ("bob", "pad"))
    for generation in ("legacy", "omemo2"):  # sessions, in both directions
        alice.cmd("omemo_send", to="bob@localhost", body=f"{generation} 1", generation=generation)
        bob.expect({"event": "message", "body": f"{generation} 1"})
        alice.expect({"event": "omemo_empty", "generation": generation})
        bob.cmd("omemo_send", to="alice@localhost", body=f"{generation} 2", generation=generation)
        alice.expect({"event": "message", "body": f"{generation} 2"})

    rep = bob.cmd("omemo_replace_sessions", jid="alice@localhost/desk")
    assert rep["devices"] == [alice_info["device_id"]] and rep["errors"] == [], rep
    assert rep["replaced"] == [{"device_id": alice_info["device_id"], "namespace": ns}
                               for ns in sorted((LEGACY, OMEMO2))], rep
    for generation in ("legacy", "omemo2"):
        # The key exchange reaches alice as an empty message; she completes it.
        alice.expect({"event": "omemo_empty", "from": bob_jid, "generation": generation})
        bob.expect({"event": "omemo_empty", "from": alice_jid, "generation": generation})
    for generation in ("legacy", "omemo2"):
        bob.cmd("omemo_send", to="alice@localhost", body=f"{generation} 3", generation=generation)
        assert alice.expect({"event": "message", "body": f"{generation} 3"})["encrypted"] == \
            generation
        alice.cmd("omemo_send", to="bob@localhost", body=f"{generation} 4", generation=generation)
        bob.expect({"event": "message", "body": f"{generation} 4"})
    assert not [e for e in alice.seen + bob.seen if e.get("event") == "omemo_error"]
    # Nobody known: nothing replaced.
    assert bob.cmd("omemo_replace_sessions", jid="nobody@localhost") == \
        {"id": bob._next_id, "ok": True, "devices": [], "replaced": [], "errors": []}
    close_all(alice, bob)


def test_cli_omemo_forged_device(procs):
    """omemo_forge_device adds devices to the peer's own device lists, one with a bundle
    whose signature is broken and one with no bundle, per generation: the other side sees
    them with bundle errors and skips them when encrypting; nothing else breaks."""
    _ready, [(alice, _alice_jid, alice_info), (bob, _bob_jid, _)] = omemo_setup(
        procs, ("alice", "bob"), ("alice", "desk"), ("bob", "pad"))
    forged = {(LEGACY, "bad_signature"): 1001, (LEGACY, "no_bundle"): 1002,
              (OMEMO2, "bad_signature"): 2001, (OMEMO2, "no_bundle"): 2002}
    gen = {LEGACY: "legacy", OMEMO2: "omemo2"}
    for (ns, kind), device_id in forged.items():
        assert alice.cmd("omemo_forge_device", generation=gen[ns], device_id=device_id,
                         kind=kind) == {"id": alice._next_id, "ok": True}

    own = alice_info["device_id"]
    rep = bob.cmd("omemo_devices", jid="alice@localhost")
    devices = {d["device_id"]: d for d in rep["devices"]}
    assert sorted(devices) == sorted([own, *forged.values()]), rep  # nothing was removed
    assert devices[own]["bundles"] == {ns: {"fingerprint": alice_info["fingerprint"],
                                            "error": None} for ns in (LEGACY, OMEMO2)}
    for (ns, kind), device_id in forged.items():
        dev = devices[device_id]
        assert dev["namespaces"] == [ns] and dev["fingerprint"] is None, dev
        error = dev["bundles"][ns]["error"]
        assert error.startswith("BundleSignatureInvalid" if kind == "bad_signature"
                                else ("BundleNotFound", "BundleDownloadFailed")), dev

    for ns, generation in gen.items():
        body = f"{generation} despite forged devices"
        rep = bob.cmd("omemo_send", to="alice@localhost", body=body, generation=generation)
        errors = {e["device_id"]: e for e in rep["errors"]}
        assert sorted(errors) == [forged[ns, "bad_signature"], forged[ns, "no_bundle"]], rep
        assert errors[forged[ns, "bad_signature"]]["error"].startswith("KeyExchangeFailed"), rep
        assert errors[forged[ns, "no_bundle"]]["error"].startswith("BundleUnavailable"), rep
        assert all(e["jid"] == "alice@localhost" and e["namespace"] == ns
                   for e in errors.values()), rep
        ev = alice.expect({"event": "message", "body": body})
        assert ev["omemo_rids"] == [own], ev
        # alice still sends too (her own forged devices are skipped).
        body = f"{generation} from alice"
        rep = alice.cmd("omemo_send", to="bob@localhost", body=body, generation=generation)
        assert sorted(e["device_id"] for e in rep["errors"]) == \
            [forged[ns, "bad_signature"], forged[ns, "no_bundle"]], rep
        bob.expect({"event": "message", "body": body})

    for bad, err in (({"kind": "weird"}, "kind"), ({"device_id": own}, "own"),
                     ({"device_id": "7"}, "device_id"), ({"generation": "omemo3"}, "generation")):
        fields = {"generation": "legacy", "device_id": 7, "kind": "no_bundle", **bad}
        assert err in alice.cmd("omemo_forge_device", ok=False, **fields)["error"]
    close_all(alice, bob)


def test_cli_omemo_room(procs):
    """OMEMO in a members-only, non-anonymous room among three peers (join, configure_room,
    set_affiliation): both generations decrypt at both receivers, the sender's reflection
    is reported as decrypted; an occupant whose real JID is hidden gives SenderNotFound."""
    ready, peers = omemo_setup(procs, ("alice", "bob", "carol"),
                               ("alice", "desk"), ("bob", "pad"), ("carol", "phone"))
    (alice, _, alice_info), (bob, _, bob_info), (carol, _, carol_info) = peers
    ids = {"alice": alice_info["device_id"], "bob": bob_info["device_id"],
           "carol": carol_info["device_id"]}
    room = f"secret@{ready['muc']}"
    rep = alice.cmd("join", room=room, nick="Alice")
    assert rep["occupant"] == f"{room}/Alice" and rep["error"] is None, rep
    assert {110, 201} <= set(rep["status_codes"]), rep
    rep = alice.cmd("configure_room", room=room, fields={
        "muc#roomconfig_membersonly": True, "muc#roomconfig_whois": "anyone",
        "muc#roomconfig_persistentroom": "1"})
    assert rep == {"id": alice._next_id, "ok": True, "type": "result", "error": None}, rep
    assert alice.cmd("set_affiliation", room=room, jid="bob@localhost",
                     affiliation="member")["type"] == "result"
    # Members only: carol is refused until she is a member.
    rep = carol.cmd("join", room=room, nick="Carol")
    assert rep["error"] == "registration-required", rep
    assert alice.cmd("set_affiliation", room=room, jid="carol@localhost",
                     affiliation="member")["type"] == "result"
    for peer, nick in ((bob, "Bob"), (carol, "Carol")):
        rep = peer.cmd("join", room=room, nick=nick)
        assert rep["error"] is None and 100 in rep["status_codes"], rep  # non-anonymous
    rep = bob.cmd("set_affiliation", room=room, jid="carol@localhost", affiliation="owner")
    assert rep["type"] == "error" and rep["error"] == "not-allowed", rep  # (Prosody's)

    members = {"alice": (alice, "Alice"), "bob": (bob, "Bob"), "carol": (carol, "Carol")}
    for generation in ("legacy", "omemo2"):
        for sender in ("alice", "bob"):
            peer, nick = members[sender]
            others = [name for name in members if name != sender]
            body = f"{generation} in the room from {nick}"
            rep = peer.cmd("omemo_send", to=room, body=body, generation=generation,
                           type="groupchat", recipients=[f"{o}@localhost" for o in others])
            assert rep["errors"] == [], rep
            for name in others:
                ev = members[name][0].expect({"event": "message", "body": body})
                assert ev["from"] == f"{room}/{nick}" and ev["type"] == "groupchat", ev
                assert ev["encrypted"] == generation and ev["id"] == rep["msg_id"], ev
                assert ev["omemo_rids"] == sorted(ids[o] for o in others), ev
            ev = peer.expect({"event": "message", "body": body})  # the reflection
            assert ev["from"] == f"{room}/{nick}" and ev["encrypted"] == generation, ev
    for p, _nick in members.values():
        assert not [e for e in p.seen if e.get("event") == "omemo_error"], p.seen

    # A room that hides real JIDs from participants (Prosody's default): carol owns it, so
    # bob does not learn her JID and cannot tell whose device sent her message.
    anon = f"plain@{ready['muc']}"
    carol.cmd("join", room=anon, nick="Carol")
    assert 100 not in bob.cmd("join", room=anon, nick="Bob")["status_codes"]
    for generation in ("legacy", "omemo2"):
        rep = carol.cmd("omemo_send", to=anon, body="who am I", generation=generation,
                        type="groupchat", recipients=["bob@localhost"])
        ev = bob.expect({"event": "omemo_error", "id": rep["msg_id"]})
        assert ev["from"] == f"{anon}/Carol" and ev["generation"] == generation, ev
        assert ev["error"].startswith("SenderNotFound: "), ev
    close_all(alice, bob, carol)


def test_sce_envelope():
    """The OMEMO 2 payload (XEP-0420 envelope): what the peer writes, what it accepts."""
    from linnet_harness.peer_omemo import SceError, build_envelope, parse_envelope

    env = build_envelope("a < b & c", "bob@localhost", "alice@localhost")
    root = ET.fromstring(env)
    sce = "{urn:xmpp:sce:1}"
    assert [child.tag for child in root] == [f"{sce}{t}" for t in
                                             ("content", "rpad", "time", "to", "from")]
    assert root.find(f"{sce}content/{{jabber:client}}body").text == "a < b & c"
    assert root.find(f"{sce}rpad").text and root.find(f"{sce}time").get("stamp").endswith("Z")
    assert parse_envelope(env, "alice@localhost") == "a < b & c"
    with pytest.raises(SceError, match="not the sender"):
        parse_envelope(env, "mallory@localhost")
    assert parse_envelope(env, "alice@localhost", "bob@localhost") == "a < b & c"
    with pytest.raises(SceError, match="<to jid='bob@localhost'> is not room@"):
        parse_envelope(env, "alice@localhost", "room@conference.localhost")
    bodyless = b"<envelope xmlns='urn:xmpp:sce:1'><content/><rpad>x</rpad></envelope>"
    assert parse_envelope(bodyless, "alice@localhost") is None  # no <from/>: accepted
    for bad in (b"not xml", b"<envelope xmlns='urn:other'/>",
                b"<envelope xmlns='urn:xmpp:sce:1'/>",  # no <content/>
                b"<envelope xmlns='urn:xmpp:sce:1'><content><body>x</body></content></envelope>"):
        with pytest.raises(SceError):
            parse_envelope(bad, "alice@localhost")
