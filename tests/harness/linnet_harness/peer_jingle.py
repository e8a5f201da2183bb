"""Jingle file transfer (XEP-0166, XEP-0234) over In-Band Bytestreams (XEP-0261) for the
scripted peer.

slixmpp has no Jingle session handling, so the signalling is written here from the XEPs'
own examples (ElementTree, no string formatting), while the bytes go through slixmpp's own
XEP-0047 plugin (``xep_0047``: its ``open_stream``, its stream's ``send`` and its handling
of inbound ``<open/>``, ``<data/>`` and ``<close/>``): an IBB implementation Linnet did not
write. The peer announces ``urn:xmpp:jingle:1``, the file-transfer and IBB-transport
namespaces in disco#info (XEP-0030), so Linnet offers it direct transfers.

Events: ``jingle_offer`` {sid, from, name, size, media_type, sha256_b64, ibb_sid,
block_size} when a session-initiate offering a file arrives; ``jingle_received`` {sid,
size, sha256_b64, data_b64 (only up to 1 MiB)} once the stream closed (the peer then ends
the session with ``success``); ``jingle_terminate`` {sid, reason, text} for every
session-terminate it gets; ``jingle_progress`` {sid, received} when a receive was asked to
report it (``cancel_after`` / ``progress``).
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
NS_HASHES = "urn:xmpp:hashes:2"
INLINE_MAX = 1024 * 1024


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def _text(parent, ns, tag):
    el = parent.find(_q(ns, tag)) if parent is not None else None
    return el.text.strip() if el is not None and el.text else None


class PeerJingle:
    """Jingle FT sessions of one slixmpp client, run on its loop."""

    def __init__(self, client, emit):
        self.client, self._emit = client, emit
        client.register_plugin("xep_0047", {"auto_accept": False, "max_block_size": 65535})
        # Per bound JID, as slixmpp's own plugins do (features added before binding would
        # sit on the bare JID only).
        client.add_event_handler("session_bind", self._announce)
        client.register_handler(Callback(
            "LinnetJingle", MatchXPath(f"{{jabber:client}}iq/{{{NS_JINGLE}}}jingle"),
            self._on_jingle))
        self.sessions = {}  # sid -> dict: peer, offer fields, futures
        self._answers = {}  # sid -> future of ("accept", el) / ("terminate", reason)

    def _announce(self, jid):
        disco = self.client.plugin["xep_0030"]
        for feature in (NS_JINGLE, NS_FT, NS_JIBB):
            disco.add_feature(feature, jid=jid)

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
        if action == "session-accept":
            self._answer(sid, ("accept", jingle))
        elif action == "session-terminate":
            reason_el = jingle.find(_q(NS_JINGLE, "reason"))
            reason = text = None
            if reason_el is not None:
                for child in reason_el:
                    if child.tag == _q(NS_JINGLE, "text"):
                        text = child.text
                    else:
                        reason = child.tag.split("}")[-1]
            self._emit({"event": "jingle_terminate", "sid": sid, "reason": reason, "text": text})
            self._answer(sid, ("terminate", reason))
            session = self.sessions.get(sid)
            if session and session.get("receiving") and not session["receiving"].done():
                session["receiving"].cancel()

    def _answer(self, sid, value):
        fut = self._answers.get(sid)
        if fut is not None and not fut.done():
            fut.set_result(value)

    def _on_offer(self, peer, sid, jingle):
        content = jingle.find(_q(NS_JINGLE, "content"))
        file = content.find(f"{_q(NS_FT, 'description')}/{_q(NS_FT, 'file')}")
        transport = content.find(_q(NS_JIBB, "transport"))
        digest = None
        for h in file.findall(_q(NS_HASHES, "hash")) if file is not None else []:
            if h.get("algo") == "sha-256":
                digest = (h.text or "").strip()
        size = _text(file, NS_FT, "size")
        offer = {
            "sid": sid, "from": str(peer), "name": _text(file, NS_FT, "name"),
            "size": int(size) if size else None, "media_type": _text(file, NS_FT, "media-type"),
            "sha256_b64": digest,
            "ibb_sid": transport.get("sid") if transport is not None else None,
            "block_size": int(transport.get("block-size")) if transport is not None else None,
        }
        self.sessions[sid] = {"peer": peer, "content": content.get("name"),
                              "creator": content.get("creator"), **offer}
        self._emit({"event": "jingle_offer", **offer})

    # -- building stanzas -------------------------------------------------------

    def _jingle_iq(self, to, action, sid, **attrs):
        iq = self.client.make_iq_set(ito=to)
        jingle = ET.SubElement(iq.xml, _q(NS_JINGLE, "jingle"), action=action, sid=sid, **attrs)
        return iq, jingle

    async def _terminate(self, sid, reason, text=None):
        session = self.sessions[sid]
        iq, jingle = self._jingle_iq(session["peer"], "session-terminate", sid)
        reason_el = ET.SubElement(jingle, _q(NS_JINGLE, "reason"))
        ET.SubElement(reason_el, _q(NS_JINGLE, reason))
        if text:
            ET.SubElement(reason_el, _q(NS_JINGLE, "text")).text = text
        await iq.send()

    # -- commands (coroutines on the peer's loop) -------------------------------

    async def send_file(self, to, name, data, media_type="application/octet-stream",
                        sha256_b64=None, block_size=4096, cancel_after=None, timeout=60.0):
        """Offers ``data`` as file ``name`` to full JID ``to`` (XEP-0234 §4.1, IBB transport),
        and once accepted sends it through slixmpp's IBB stream. ``sha256_b64`` overrides the
        hash announced (to send a wrong one); ``cancel_after`` (bytes) ends the session with
        ``cancel`` once that much went. Returns {sid, outcome}: the reason of the
        session-terminate that ended it (``success``, ``decline``…) or ``cancelled``."""
        sid, ibb_sid = str(uuid.uuid4()), str(uuid.uuid4())
        to = JID(to)
        self.sessions[sid] = {"peer": to}
        fut = self._answers[sid] = self.client.loop.create_future()
        iq, jingle = self._jingle_iq(to, "session-initiate", sid,
                                     initiator=self.client.boundjid.full)
        content = ET.SubElement(jingle, _q(NS_JINGLE, "content"), creator="initiator",
                                name="a-file-offer", senders="initiator")
        desc = ET.SubElement(content, _q(NS_FT, "description"))
        file = ET.SubElement(desc, _q(NS_FT, "file"))
        ET.SubElement(file, _q(NS_FT, "media-type")).text = media_type
        ET.SubElement(file, _q(NS_FT, "name")).text = name
        ET.SubElement(file, _q(NS_FT, "size")).text = str(len(data))
        digest = sha256_b64 or base64.b64encode(hashlib.sha256(data).digest()).decode()
        ET.SubElement(file, _q(NS_HASHES, "hash"), algo="sha-256").text = digest
        ET.SubElement(content, _q(NS_JIBB, "transport"), sid=ibb_sid,
                      **{"block-size": str(block_size)})
        await iq.send(timeout=timeout)
        kind, value = await asyncio.wait_for(fut, timeout)
        if kind == "terminate":
            return {"sid": sid, "outcome": value}
        answered = value.find(f"{_q(NS_JINGLE, 'content')}/{_q(NS_JIBB, 'transport')}")
        if answered is not None and answered.get("block-size"):
            block_size = min(block_size, int(answered.get("block-size")))
        fut = self._answers[sid] = self.client.loop.create_future()
        stream = await self.client.plugin["xep_0047"].open_stream(
            to, sid=ibb_sid, block_size=block_size, timeout=timeout)
        sent = 0
        while sent < len(data):
            if fut.done():  # the receiver ended it
                return {"sid": sid, "outcome": fut.result()[1], "sent": sent}
            if cancel_after is not None and sent >= cancel_after:
                await self._terminate(sid, "cancel", "Changed my mind")
                return {"sid": sid, "outcome": "cancelled", "sent": sent}
            sent += await stream.send(data[sent:sent + block_size], timeout=timeout)
        await stream.close(timeout=timeout)
        kind, value = await asyncio.wait_for(fut, timeout)
        return {"sid": sid, "outcome": value, "sent": sent}

    async def accept(self, sid, cancel_after=None, timeout=120.0):
        """Accepts offer ``sid`` (session-accept with its IBB transport) and receives the
        stream in the background: ``jingle_received`` once closed (then ``success``), or with
        ``cancel_after`` (bytes) a ``cancel`` once that much arrived."""
        session = self.sessions[sid]
        peer = session["peer"]
        await self.client.plugin["xep_0047"].api["preauthorize_sid"](
            self.client.boundjid, session["ibb_sid"], peer, None)
        started = self.client.loop.create_future()

        def on_start(stream):
            if stream.sid == session["ibb_sid"] and not started.done():
                started.set_result(stream)
        self.client.add_event_handler("ibb_stream_start", on_start)
        session["receiving"] = asyncio.ensure_future(
            self._receive(sid, started, cancel_after, timeout))
        iq, jingle = self._jingle_iq(peer, "session-accept", sid,
                                     responder=self.client.boundjid.full)
        content = ET.SubElement(jingle, _q(NS_JINGLE, "content"), creator=session["creator"],
                                name=session["content"], senders="initiator")
        ET.SubElement(content, _q(NS_JIBB, "transport"), sid=session["ibb_sid"],
                      **{"block-size": str(session["block_size"])})
        await iq.send(timeout=timeout)
        return {}

    async def _receive(self, sid, started, cancel_after, timeout):
        try:
            stream = await asyncio.wait_for(started, timeout)
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
                return
            data = bytes(received)
            self._emit({"event": "jingle_received", "sid": sid, "size": len(data),
                        "sha256_b64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                        "data_b64": (base64.b64encode(data).decode()
                                     if len(data) <= INLINE_MAX else None)})
            await self._terminate(sid, "success")
        except asyncio.CancelledError:
            log.info("jingle receive %s ended by the sender", sid)
        except Exception as exc:  # noqa: BLE001 - reported as an event
            log.warning("jingle receive %s failed: %r", sid, exc)
            self._emit({"event": "jingle_error", "sid": sid, "message": repr(exc)})

    async def decline(self, sid):
        """Declines offer ``sid`` (session-terminate ``decline``)."""
        await self._terminate(sid, "decline")
        return {}

    async def cancel(self, sid):
        """Ends session ``sid`` with ``cancel``."""
        await self._terminate(sid, "cancel")
        return {}
