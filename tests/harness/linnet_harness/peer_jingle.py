"""Jingle file transfer (XEP-0166, XEP-0234) over In-Band Bytestreams (XEP-0261) and SOCKS5
Bytestreams (XEP-0260) for the scripted peer.

slixmpp has no Jingle session handling, so the signalling is written here from the XEPs'
own examples (ElementTree, no string formatting), while the bytes go through slixmpp's own
plugins: XEP-0047 (``xep_0047``: its ``open_stream``, its stream's ``send`` and its handling
of inbound ``<open/>``, ``<data/>`` and ``<close/>``) and XEP-0065 (``xep_0065``: proxy
discovery, its SOCKS5 client ``Socks5Protocol`` and proxy activation): implementations
Linnet did not write. The peer announces ``urn:xmpp:jingle:1``, the file-transfer and
IBB-transport namespaces in disco#info (XEP-0030), and with ``s5b=True`` the S5B transport
too, so Linnet offers it direct transfers (and over SOCKS5 with ``s5b``). The peer has no
SOCKS5 server of its own: its S5B candidate is the server's proxy.

Events: ``jingle_offer`` {sid, from, name, size, media_type, sha256_b64, transport ("ibb" |
"s5b"), ibb_sid, block_size} when a session-initiate offering a file arrives;
``jingle_received`` {sid, size, sha256_b64, data_b64 (only up to 1 MiB), transport ("ibb" |
"s5b-direct" | "s5b-proxy")} once the whole file arrived (the peer then ends the session
with ``success``); ``jingle_terminate`` {sid, reason, text} for every session-terminate it
gets; ``jingle_progress`` {sid, received} when a receive was asked to cancel; ``jingle_error``
{sid, message}.
"""

import asyncio
import base64
import hashlib
import logging
import uuid
import xml.etree.ElementTree as ET

from slixmpp import JID
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

log = logging.getLogger("linnet_harness.peer")

NS_JINGLE = "urn:xmpp:jingle:1"
NS_JINGLE_ERRORS = "urn:xmpp:jingle:errors:1"
NS_FT = "urn:xmpp:jingle:apps:file-transfer:5"
NS_JIBB = "urn:xmpp:jingle:transports:ibb:1"
NS_JS5B = "urn:xmpp:jingle:transports:s5b:1"
NS_HASHES = "urn:xmpp:hashes:2"
INLINE_MAX = 1024 * 1024
PROXY_PRIORITY = (10 << 16) + 65535  # XEP-0260 §2.2: type preference 10 for a proxy


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def _text(parent, ns, tag):
    el = parent.find(_q(ns, tag)) if parent is not None else None
    return el.text.strip() if el is not None and el.text else None


def _dst(tsid, owner, other):
    """XEP-0260 §2.3: hex SHA-1 of the transport sid, the candidate owner's and the other
    party's full JIDs."""
    return hashlib.sha1(f"{tsid}{owner}{other}".encode()).hexdigest()


def _candidates(transport):
    return sorted(({"cid": c.get("cid"), "host": c.get("host"), "port": int(c.get("port") or 1080),
                    "jid": c.get("jid"), "priority": int(c.get("priority")),
                    "proxy": c.get("type") == "proxy"}
                   for c in transport.findall(_q(NS_JS5B, "candidate"))),
                  key=lambda c: -c["priority"])


class PeerJingle:
    """Jingle FT sessions of one slixmpp client, run on its loop."""

    def __init__(self, client, emit, s5b=False):
        self.client, self._emit, self.s5b = client, emit, s5b
        client.register_plugin("xep_0047", {"auto_accept": False, "max_block_size": 65535})
        if s5b:
            client.register_plugin("xep_0065")
            client.add_event_handler("socks5_data", self._on_socks5_data)
        # Per bound JID, as slixmpp's own plugins do (features added before binding would
        # sit on the bare JID only).
        client.add_event_handler("session_bind", self._announce)
        client.register_handler(Callback(
            "LinnetJingle", MatchXPath(f"{{jabber:client}}iq/{{{NS_JINGLE}}}jingle"),
            self._on_jingle))
        self.sessions = {}  # sid -> dict: peer, offer fields, queue of actions
        self._s5b_in = None  # (bytearray, asyncio.Event) of the SOCKS5 stream being read

    def _announce(self, jid):
        disco = self.client.plugin["xep_0030"]
        for feature in (NS_JINGLE, NS_FT, NS_JIBB) + ((NS_JS5B,) if self.s5b else ()):
            disco.add_feature(feature, jid=jid)

    def _on_socks5_data(self, data):
        if self._s5b_in is not None:
            self._s5b_in[0].extend(data)
            self._s5b_in[1].set()

    # -- inbound ----------------------------------------------------------------

    def _on_jingle(self, iq):
        if iq["type"] != "set":
            return
        jingle = iq.xml.find(_q(NS_JINGLE, "jingle"))
        action, sid = jingle.get("action"), jingle.get("sid")
        if action == "session-initiate":
            iq.reply().send()
            self._on_offer(iq["from"], sid, jingle)
            return
        if sid not in self.sessions:
            err = iq.reply()
            err["type"] = "error"
            err["error"]["type"] = "cancel"
            err["error"]["condition"] = "item-not-found"
            err["error"].xml.append(ET.Element(_q(NS_JINGLE_ERRORS, "unknown-session")))
            err.send()
            return
        iq.reply().send()
        session = self.sessions[sid]
        if action == "session-terminate":
            reason_el = jingle.find(_q(NS_JINGLE, "reason"))
            reason = text = None
            if reason_el is not None:
                for child in reason_el:
                    if child.tag == _q(NS_JINGLE, "text"):
                        text = child.text
                    else:
                        reason = child.tag.split("}")[-1]
            self._emit({"event": "jingle_terminate", "sid": sid, "reason": reason, "text": text})
            session["queue"].put_nowait(("terminate", reason))
            receiving = session.get("receiving")
            if receiving is not None and not receiving.done():
                receiving.cancel()
            return
        transport = None
        content = jingle.find(_q(NS_JINGLE, "content"))
        if content is not None:
            transport = content.find(_q(NS_JS5B, "transport"))
            if transport is None:
                transport = content.find(_q(NS_JIBB, "transport"))
        session["queue"].put_nowait((action, transport))

    def _on_offer(self, peer, sid, jingle):
        content = jingle.find(_q(NS_JINGLE, "content"))
        file = content.find(f"{_q(NS_FT, 'description')}/{_q(NS_FT, 'file')}")
        ibb = content.find(_q(NS_JIBB, "transport"))
        s5b = content.find(_q(NS_JS5B, "transport"))
        digest = None
        for h in file.findall(_q(NS_HASHES, "hash")) if file is not None else []:
            if h.get("algo") == "sha-256":
                digest = (h.text or "").strip()
        size = _text(file, NS_FT, "size")
        offer = {
            "sid": sid, "from": str(peer), "name": _text(file, NS_FT, "name"),
            "size": int(size) if size else None, "media_type": _text(file, NS_FT, "media-type"),
            "sha256_b64": digest, "transport": "s5b" if s5b is not None else "ibb",
            "ibb_sid": ibb.get("sid") if ibb is not None else None,
            "block_size": int(ibb.get("block-size")) if ibb is not None else None,
        }
        self.sessions[sid] = {"peer": peer, "content": content.get("name"),
                              "creator": content.get("creator"), "queue": asyncio.Queue(),
                              "s5b": s5b, **offer}
        self._emit({"event": "jingle_offer", **offer})

    async def _next(self, sid, kinds, timeout):
        """The next action of ``kinds`` on session ``sid`` (a terminate always ends the wait:
        returned as ("terminate", reason))."""
        queue = self.sessions[sid]["queue"]
        while True:
            kind, value = await asyncio.wait_for(queue.get(), timeout)
            if kind == "terminate" or kind in kinds:
                return kind, value

    # -- building stanzas -------------------------------------------------------

    def _jingle_iq(self, to, action, sid, **attrs):
        iq = self.client.make_iq_set(ito=to)
        jingle = ET.SubElement(iq.xml, _q(NS_JINGLE, "jingle"), action=action, sid=sid, **attrs)
        return iq, jingle

    def _content(self, jingle, sid):
        session = self.sessions[sid]
        return ET.SubElement(jingle, _q(NS_JINGLE, "content"),
                             creator=session.get("creator") or "initiator",
                             name=session.get("content") or "a-file-offer", senders="initiator")

    async def _terminate(self, sid, reason, text=None):
        session = self.sessions[sid]
        iq, jingle = self._jingle_iq(session["peer"], "session-terminate", sid)
        reason_el = ET.SubElement(jingle, _q(NS_JINGLE, "reason"))
        ET.SubElement(reason_el, _q(NS_JINGLE, reason))
        if text:
            ET.SubElement(reason_el, _q(NS_JINGLE, "text")).text = text
        await iq.send()

    async def _transport(self, sid, action, build):
        """A transport-info / -replace / -accept whose <transport/> ``build`` fills in."""
        iq, jingle = self._jingle_iq(self.sessions[sid]["peer"], action, sid)
        build(self._content(jingle, sid))
        await iq.send()

    async def _s5b_info(self, sid, tsid, child, **attrs):
        def build(content):
            t = ET.SubElement(content, _q(NS_JS5B, "transport"), sid=tsid)
            ET.SubElement(t, _q(NS_JS5B, child), **attrs)
        await self._transport(sid, "transport-info", build)

    # -- SOCKS5 (XEP-0260, slixmpp's xep_0065 for discovery, connections, activation) --

    async def _proxy_candidates(self):
        proxies = await self.client.plugin["xep_0065"].discover_proxies()
        return [{"cid": uuid.uuid4().hex[:12], "host": host, "port": int(port), "jid": str(jid),
                 "priority": PROXY_PRIORITY, "proxy": True}
                for jid, (host, port) in proxies.items()]

    def _write_candidates(self, transport, candidates):
        for c in candidates:
            ET.SubElement(transport, _q(NS_JS5B, "candidate"), cid=c["cid"], host=c["host"],
                          jid=c["jid"], port=str(c["port"]), priority=str(c["priority"]),
                          type="proxy" if c["proxy"] else "direct")

    async def _open(self, candidate, dst):
        """slixmpp's SOCKS5 client to ``candidate`` asking for stream ``dst``."""
        try:
            _, proto = await asyncio.wait_for(self.client.plugin["xep_0065"]._connect_proxy(
                dst, candidate["host"], candidate["port"]), 5)
            await asyncio.wait_for(proto.connected, 5)
            return proto
        except (OSError, asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001
            log.info("s5b candidate %s failed: %r", candidate, exc)
            return None

    async def _negotiate(self, sid, tsid, initiator, ours, theirs, connect, timeout):
        """XEP-0260 §2.3–2.5 from the peer's side; the SOCKS5 protocol object to move the
        file over and how ("s5b-direct" / "s5b-proxy"), or (None, None): fall back."""
        session = self.sessions[sid]
        me, peer = self.client.boundjid.full, str(session["peer"])
        used = None
        if connect:
            for c in theirs:
                proto = await self._open(c, _dst(tsid, peer, me))
                if proto is not None:
                    used = (c, proto)
                    break
        if used:
            await self._s5b_info(sid, tsid, "candidate-used", cid=used[0]["cid"])
        else:
            await self._s5b_info(sid, tsid, "candidate-error")
        chosen = None
        while True:
            kind, t = await self._next(sid, ("transport-info",), timeout)
            if kind == "terminate":
                return None, None
            if t is None or t.get("sid") != tsid:
                continue
            if t.find(_q(NS_JS5B, "candidate-used")) is not None:
                cid = t.find(_q(NS_JS5B, "candidate-used")).get("cid")
                chosen = next((c for c in ours if c["cid"] == cid), None)
                break
            if t.find(_q(NS_JS5B, "candidate-error")) is not None:
                break
        if chosen is None and used is None:
            return None, None
        take_theirs = (chosen is None or (used is not None and (
            used[0]["priority"] > chosen["priority"]
            or (used[0]["priority"] == chosen["priority"] and initiator))))
        if take_theirs:
            candidate, proto = used
            if not candidate["proxy"]:
                return proto, "s5b-direct"
            while True:  # their proxy: they activate it
                kind, t = await self._next(sid, ("transport-info",), timeout)
                if kind == "terminate":
                    return None, None
                if t is not None and t.find(_q(NS_JS5B, "activated")) is not None:
                    return proto, "s5b-proxy"
        # Ours, always the proxy: connect to it too, activate it, say so.
        proto = await self._open(chosen, _dst(tsid, me, peer))
        await self.client.plugin["xep_0065"].activate(JID(chosen["jid"]), tsid, peer)
        await self._s5b_info(sid, tsid, "activated", cid=chosen["cid"])
        return proto, "s5b-proxy"

    # -- commands (coroutines on the peer's loop) -------------------------------

    async def send_file(self, to, name, data, media_type="application/octet-stream",
                        sha256_b64=None, block_size=4096, cancel_after=None, transport="ibb",
                        connect=True, timeout=60.0):
        """Offers ``data`` as file ``name`` to full JID ``to`` (XEP-0234 §4.1) over
        ``transport`` ("ibb", or "s5b" with the server's proxy as our candidate, trying the
        other side's unless ``connect`` is false) and once accepted sends it. ``sha256_b64``
        overrides the hash announced (to send a wrong one); ``cancel_after`` (bytes, IBB)
        ends the session with ``cancel`` once that much went. Returns {sid, outcome, sent,
        transport}: outcome is the reason of the session-terminate that ended it (``success``,
        ``decline``…) or ``cancelled``."""
        sid, tsid = str(uuid.uuid4()), str(uuid.uuid4())
        to = JID(to)
        self.sessions[sid] = {"peer": to, "queue": asyncio.Queue(), "creator": "initiator",
                              "content": "a-file-offer"}
        iq, jingle = self._jingle_iq(to, "session-initiate", sid,
                                     initiator=self.client.boundjid.full)
        content = self._content(jingle, sid)
        desc = ET.SubElement(content, _q(NS_FT, "description"))
        file = ET.SubElement(desc, _q(NS_FT, "file"))
        ET.SubElement(file, _q(NS_FT, "media-type")).text = media_type
        ET.SubElement(file, _q(NS_FT, "name")).text = name
        ET.SubElement(file, _q(NS_FT, "size")).text = str(len(data))
        digest = sha256_b64 or base64.b64encode(hashlib.sha256(data).digest()).decode()
        ET.SubElement(file, _q(NS_HASHES, "hash"), algo="sha-256").text = digest
        ours = []
        if transport == "s5b":
            ours = await self._proxy_candidates()
            t = ET.SubElement(content, _q(NS_JS5B, "transport"), sid=tsid, mode="tcp",
                              dstaddr=_dst(tsid, self.client.boundjid.full, to))
            self._write_candidates(t, ours)
        else:
            ET.SubElement(content, _q(NS_JIBB, "transport"), sid=tsid,
                          **{"block-size": str(block_size)})
        await iq.send(timeout=timeout)
        kind, answered = await self._next(sid, ("session-accept",), timeout)
        if kind == "terminate":
            return {"sid": sid, "outcome": answered, "sent": 0, "transport": None}
        accepted = answered.find(f"{_q(NS_JINGLE, 'content')}/{{*}}transport")
        how = "ibb"
        if transport == "s5b":
            theirs = _candidates(accepted) if accepted is not None else []
            proto, how = await self._negotiate(sid, tsid, True, ours, theirs, connect, timeout)
            if proto is not None:
                for at in range(0, len(data), 65536):
                    await proto.write(data[at:at + 65536])
                # Closed once written, as clients do: Prosody 0.12's proxy65 may hold back the
                # last few kB of a stream until the sender's end closes (its link resumes
                # reading without draining what LuaSocket buffered).
                proto.transport.close()
                kind, value = await self._next(sid, (), timeout)
                return {"sid": sid, "outcome": value, "sent": len(data), "transport": how}
            # XEP-0260 §3: nothing connected; we are the initiator, so we replace it.
            tsid = str(uuid.uuid4())
            await self._transport(sid, "transport-replace", lambda c: ET.SubElement(
                c, _q(NS_JIBB, "transport"), sid=tsid, **{"block-size": str(block_size)}))
            kind, accepted = await self._next(sid, ("transport-accept",), timeout)
            if kind == "terminate":
                return {"sid": sid, "outcome": accepted, "sent": 0, "transport": None}
            how = "ibb"
        if accepted is not None and accepted.get("block-size"):
            block_size = min(block_size, int(accepted.get("block-size")))
        stream = await self.client.plugin["xep_0047"].open_stream(
            to, sid=tsid, block_size=block_size, timeout=timeout)
        sent = 0
        queue = self.sessions[sid]["queue"]
        while sent < len(data):
            if not queue.empty():
                kind, value = queue.get_nowait()
                if kind == "terminate":  # the receiver ended it
                    return {"sid": sid, "outcome": value, "sent": sent, "transport": how}
            if cancel_after is not None and sent >= cancel_after:
                await self._terminate(sid, "cancel", "Changed my mind")
                return {"sid": sid, "outcome": "cancelled", "sent": sent, "transport": how}
            sent += await stream.send(data[sent:sent + block_size], timeout=timeout)
        await stream.close(timeout=timeout)
        kind, value = await self._next(sid, (), timeout)
        return {"sid": sid, "outcome": value, "sent": sent, "transport": how}

    async def accept(self, sid, cancel_after=None, connect=True, offer_candidates=True,
                     timeout=120.0):
        """Accepts offer ``sid`` and receives the file in the background: ``jingle_received``
        once whole (then ``success``), or with ``cancel_after`` (bytes, IBB) a ``cancel`` once
        that much arrived. Over S5B the peer offers the server's proxy (unless
        ``offer_candidates`` is false) and tries the sender's candidates (unless ``connect``
        is false); with neither, nothing connects and the sender should fall back to IBB."""
        session = self.sessions[sid]
        peer = session["peer"]
        s5b = session.get("s5b")
        ours = []
        if s5b is not None and offer_candidates:
            ours = await self._proxy_candidates()
        if s5b is None:
            await self._preauthorize(sid, session["ibb_sid"], peer)
        iq, jingle = self._jingle_iq(peer, "session-accept", sid,
                                     responder=self.client.boundjid.full)
        content = self._content(jingle, sid)
        desc = ET.SubElement(content, _q(NS_FT, "description"))
        file = ET.SubElement(desc, _q(NS_FT, "file"))
        if session.get("name"):
            ET.SubElement(file, _q(NS_FT, "name")).text = session["name"]
        if s5b is not None:
            tsid = s5b.get("sid")
            t = ET.SubElement(content, _q(NS_JS5B, "transport"), sid=tsid, mode="tcp",
                              dstaddr=_dst(tsid, self.client.boundjid.full, peer))
            self._write_candidates(t, ours)
        else:
            ET.SubElement(content, _q(NS_JIBB, "transport"), sid=session["ibb_sid"],
                          **{"block-size": str(session["block_size"])})
        session["receiving"] = asyncio.ensure_future(
            self._receive(sid, ours, connect, cancel_after, timeout))
        await iq.send(timeout=timeout)
        return {}

    async def _preauthorize(self, sid, ibb_sid, peer):
        await self.client.plugin["xep_0047"].api["preauthorize_sid"](
            self.client.boundjid, ibb_sid, peer, None)
        session = self.sessions[sid]
        started = self.client.loop.create_future()

        def on_start(stream):
            if stream.sid == ibb_sid and not started.done():
                started.set_result(stream)
        self.client.add_event_handler("ibb_stream_start", on_start)
        session["ibb_started"] = started

    async def _receive(self, sid, ours, connect, cancel_after, timeout):
        session = self.sessions[sid]
        try:
            how = "ibb"
            if session.get("s5b") is not None:
                tsid = session["s5b"].get("sid")
                theirs = _candidates(session["s5b"])
                # Bytes may come as soon as the sender has decided: buffer from now on.
                self._s5b_in = (bytearray(), asyncio.Event())
                proto, how = await self._negotiate(sid, tsid, False, ours, theirs, connect,
                                                   timeout)
                if proto is not None:
                    data = await self._read_s5b(session["size"], timeout)
                    proto.transport.close()
                    await self._received(sid, data, how)
                    return
                kind, replaced = await self._next(sid, ("transport-replace",), timeout)
                if kind == "terminate":
                    return
                ibb_sid = replaced.get("sid")
                await self._preauthorize(sid, ibb_sid, session["peer"])
                await self._transport(sid, "transport-accept", lambda c: ET.SubElement(
                    c, _q(NS_JIBB, "transport"), sid=ibb_sid,
                    **{"block-size": replaced.get("block-size") or "4096"}))
                how = "ibb"
            data = await self._read_ibb(sid, cancel_after, timeout)
            if data is None:
                return
            await self._received(sid, data, how)
        except asyncio.CancelledError:
            log.info("jingle receive %s ended by the sender", sid)
        except Exception as exc:  # noqa: BLE001 - reported as an event
            log.warning("jingle receive %s failed: %r", sid, exc)
            self._emit({"event": "jingle_error", "sid": sid, "message": repr(exc)})

    async def _read_s5b(self, size, timeout):
        buffer, ready = self._s5b_in
        try:
            while len(buffer) < size:
                ready.clear()
                await asyncio.wait_for(ready.wait(), timeout)
            return bytes(buffer)
        finally:
            self._s5b_in = None

    async def _read_ibb(self, sid, cancel_after, timeout):
        session = self.sessions[sid]
        stream = await asyncio.wait_for(session["ibb_started"], timeout)
        received = bytearray()
        closed = self.client.loop.create_future()

        def on_data(s):
            if s is stream:
                while not s.recv_queue.empty():
                    received.extend(s.recv_queue.get_nowait())
                if cancel_after is not None and len(received) >= cancel_after \
                        and not closed.done():
                    closed.set_result("cancel")

        def on_end(s):
            if s is stream and not closed.done():
                closed.set_result("closed")
        self.client.add_event_handler("ibb_stream_data", on_data)
        self.client.add_event_handler("ibb_stream_end", on_end)
        try:
            how = await asyncio.wait_for(closed, timeout)
        finally:
            self.client.del_event_handler("ibb_stream_data", on_data)
            self.client.del_event_handler("ibb_stream_end", on_end)
        while not stream.recv_queue.empty():
            received.extend(stream.recv_queue.get_nowait())
        if how == "cancel":
            self._emit({"event": "jingle_progress", "sid": sid, "received": len(received)})
            await self._terminate(sid, "cancel", "Changed my mind")
            return None
        return bytes(received)

    async def _received(self, sid, data, how):
        self._emit({"event": "jingle_received", "sid": sid, "size": len(data),
                    "sha256_b64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                    "data_b64": (base64.b64encode(data).decode()
                                 if len(data) <= INLINE_MAX else None),
                    "transport": how})
        await self._terminate(sid, "success")

    async def decline(self, sid):
        """Declines offer ``sid`` (session-terminate ``decline``)."""
        await self._terminate(sid, "decline")
        return {}

    async def cancel(self, sid):
        """Ends session ``sid`` with ``cancel``."""
        await self._terminate(sid, "cancel")
        return {}
