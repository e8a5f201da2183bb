"""Python API for a scripted XMPP peer built on slixmpp.

slixmpp is an XMPP implementation independent of Linnet, so talking to it
proves interoperability. :class:`Peer` runs a slixmpp client on its own
asyncio loop in a background thread and offers a blocking API for tests::

    with Peer("bob@localhost", "pw", port=srv.ports.c2s, ca=srv.ca_cert) as bob:
        bob.send("alice@localhost", "hi")
        ev = bob.wait_for({"event": "message", "body": "hello"}, timeout=10)

It logs in over STARTTLS (or direct TLS), verifying the server certificate
against the given CA only; verification is never disabled. Everything the
peer sees becomes an event dict (see :mod:`linnet_harness.peer` for fields).

Message facets (corrections, reactions, retraction, replies, chat states, moderation:
:meth:`Peer.correct` .. :meth:`Peer.moderate`) are built, and parsed into the message
events, by slixmpp's own plugins, so they too test interoperability.

For benchmarks: ``stream_management=True`` enables XEP-0198 (acks, as a real
client has them) before the peer reports itself online; ``null_receiver=True``
makes a receiver that only receives: chat messages are counted
(:meth:`Peer.received`) instead of becoming events, and receipt requests are
not answered (pings still are, by slixmpp's XEP-0199 plugin), unless
``answer_receipts=True`` (XEP-0184, the work any client that answers them asks
of the server).

Rooms: :meth:`Peer.join`, :meth:`Peer.configure_room` (owner form) and
:meth:`Peer.set_affiliation` (XEP-0045).

Files: :meth:`Peer.upload` uploads bytes as they are, :meth:`Peer.upload_encrypted`
encrypts them first as XEP-0454 says (slixmpp's own XEP_0454.encrypt), both through the
server's HTTP File Upload service (XEP-0363; the slot request is built by hand since
slixmpp's xep_0363 plugin needs aiohttp); :meth:`Peer.fetch` GETs a URL. All verify TLS
against the CA only. :meth:`Peer.send` can attach the URL as Out-of-Band Data (XEP-0066,
slixmpp's xep_0066 stanza), and message events carry it.

``omemo=True`` adds OMEMO, legacy and OMEMO 2, through slixmpp-omemo / python-omemo
(:mod:`linnet_harness.peer_omemo`; :meth:`Peer.omemo_info`, :meth:`Peer.omemo_devices`,
:meth:`Peer.omemo_send` (also to rooms, tampered or replayed), :meth:`Peer.omemo_burst`
(benchmarks: many messages encrypted first, then written at once),
:meth:`Peer.omemo_replace_sessions`, :meth:`Peer.omemo_forge_device`): the peer is online
only once its device lists and bundles are published, and encrypted messages become
decrypted message events (in non-anonymous rooms too). ``omemo_only="legacy"``
or ``"omemo2"`` (implies ``omemo=True``) loads that generation alone (``--omemo-only``).
"""

import asyncio
import base64
import concurrent.futures
import copy
import hashlib
import io
import logging
import ssl
import threading
import time
import urllib.error
import urllib.request

import slixmpp

from .peer_jingle import PeerJingle
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET, tostring
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from .peer_events import (describe_failure, has_facet, invite_event, marker_event,
                          message_event, presence_event, receipt_event,
                          roster_items)

log = logging.getLogger("linnet_harness.peer")

MUC_NS = "http://jabber.org/protocol/muc"
MUC_USER_NS = f"{MUC_NS}#user"
UPLOAD_NS = "urn:xmpp:http:upload:0"


class PeerError(Exception):
    """Login failed (auth, TLS, connection) or a command failed."""


def _upload_condition(error):
    """The XEP-0363 application condition of a slot request's <error/> element, for the error
    text: "; file-too-large (max N bytes)" (from its <max-file-size/>), "; retry", or ""
    if there is none."""
    app = next((el for el in error if el.tag.startswith(f"{{{UPLOAD_NS}}}")), None)
    if app is None:
        return ""
    limit = app.findtext(f"{{{UPLOAD_NS}}}max-file-size")
    name = app.tag.split("}", 1)[1]
    return f"; {name}" + (f" (max {limit.strip()} bytes)" if limit else "")


class Peer:
    """A slixmpp client on a background thread; see the module docstring.

    ``events`` holds every event dict seen so far; ``on_event`` (if given) is
    called with each one from the peer's thread.
    """

    def __init__(self, jid, password, *, host="127.0.0.1", port=5222, ca,
                 resource=None, auto_accept=False, direct_tls=False,
                 on_event=None, timeout=15.0, connect=True, stream_management=False,
                 null_receiver=False, answer_receipts=False, omemo=False, omemo_only=None,
                 s5b=False):
        if resource and "/" not in jid:
            jid = f"{jid}/{resource}"
        self.jid, self.host, self.port = jid, host, port
        self._password, self._ca = password, ca
        self._auto_accept, self._direct_tls = auto_accept, direct_tls
        self._on_event = on_event
        self._sm, self._null = stream_management, null_receiver
        self._answer_receipts = answer_receipts or not null_receiver
        self._sm_enabled = None  # future while logging in with stream_management
        self._received, self._last_received = 0, None  # null_receiver's count, last body
        self._want_omemo, self.omemo = omemo or omemo_only is not None, None  # PeerOmemo
        self._omemo_only = omemo_only  # None (both generations), "legacy" or "omemo2"
        self._timeout = timeout
        self._s5b = s5b  # Jingle over SOCKS5 bytestreams too (XEP-0260)
        self._joins = {}  # room bare JID -> future of a pending join()
        self.events = []
        self._taken = set()
        self._cond = threading.Condition()
        self._online = None  # future: result = full JID, exception = PeerError
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name=f"peer-{jid}", daemon=True)
        self._thread.start()
        try:
            self.client = self.run(self._make_client(), 10)
        except Exception as exc:  # e.g. unreadable CA file
            self._emit({"event": "error", "message": f"setup failed: {exc!r} (ca={ca})"})
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            raise PeerError(f"setup failed: {exc!r}") from exc
        if connect:
            try:
                self.connect(timeout)
            except BaseException:
                self.close()
                raise

    @classmethod
    def for_server(cls, server, user, password, **kw):
        """Peer for ``user`` on a :class:`~linnet_harness.ProsodyServer`."""
        return cls(f"{user}@{server.domain}", password, host=server.host,
                   port=server.ports.tls if kw.get("direct_tls") else server.ports.c2s,
                   ca=server.ca_cert, **kw)

    # -- plumbing ----------------------------------------------------------

    def run(self, coro, timeout=30.0):
        """Run a coroutine on the peer's loop and wait for its result.

        Public so tests can use slixmpp features the API does not wrap,
        through ``peer.client`` (e.g. ``peer.run(peer.client.get_roster())``).
        """
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _emit(self, event):
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        if self._on_event:
            self._on_event(event)

    def _fail(self, message):
        """Login failed: emit one error event, stop retrying, fail connect()."""
        if self._online is None or self._online.done():
            return
        self._emit({"event": "error", "message": message})
        self._online.set_exception(PeerError(message))
        self.client.cancel_connection_attempt()
        self.client.abort()

    async def _make_client(self):
        c = slixmpp.ClientXMPP(self.jid, self._password)
        c.ssl_context = ssl.create_default_context(cafile=self._ca)  # verifies chain + name
        c.enable_direct_tls, c.enable_starttls = self._direct_tls, not self._direct_tls
        c.enable_plaintext = False
        c.roster.auto_authorize = True if self._auto_accept else None
        c.roster.auto_subscribe = self._auto_accept
        for plugin in ("xep_0030", "xep_0199", "xep_0359",
                       # Message facets, built and parsed by slixmpp's own plugins: corrections,
                       # reactions, retraction, moderation, replies (+ fallback), chat states,
                       # occupant ids (which pulls in xep_0045).
                       "xep_0308", "xep_0444", "xep_0424", "xep_0425", "xep_0461", "xep_0428",
                       "xep_0085", "xep_0421",
                       # Out-of-Band Data (<x xmlns='jabber:x:oob'/>): the URL of a file sent;
                       # Stateless File Sharing (XEP-0447, with XEP-0446 metadata and
                       # XEP-0300 hashes): what the file is; its thumbnail (XEP-0264) as
                       # Bits of Binary (XEP-0231) in the message.
                       "xep_0066", "xep_0447", "xep_0231", "xep_0264"):
            c.register_plugin(plugin)
        c.register_plugin("xep_0184", {"auto_ack": self._answer_receipts, "auto_request": False})
        if self._sm:
            c.register_plugin("xep_0198")
            c.add_event_handler("sm_enabled", self._on_sm_enabled)
        # Jingle file transfer over IBB (XEP-0234/0261; slixmpp's xep_0047 for the bytes).
        self.jingle = PeerJingle(c, self._emit, s5b=self._s5b)
        if self._want_omemo:  # imported here: the peer works without slixmpp-omemo
            from .peer_omemo import PeerOmemo
            self.omemo = PeerOmemo(c, self._emit, only=self._omemo_only)
        on = c.add_event_handler
        on("session_start", self._on_session_start)
        on("failed_all_auth", lambda _: self._fail("authentication failed"))
        on("ssl_invalid_chain", lambda e: self._fail(describe_failure(e, "TLS failed")))
        on("connection_failed", lambda e: self._fail(describe_failure(e, "connection failed")))
        on("stream_error", self._on_stream_error)
        on("disconnected", self._on_disconnected)
        on("message", self._on_message)
        on("message_error", self._emit_message)
        on("presence", self._on_presence)
        on("roster_update", self._on_roster_update)
        on("receipt_received", lambda m: self._emit(receipt_event(m)))
        # slixmpp's "message" event needs a <body/>; chat markers (XEP-0333) come without.
        c.register_handler(Callback(
            "LinnetMarker",
            MatchXPath("{jabber:client}message/{urn:xmpp:chat-markers:0}displayed"),
            lambda m: self._emit(marker_event(m))))
        # Room invitations: mediated (XEP-0045 §7.8.2) and direct (XEP-0249).
        c.register_handler(Callback(
            "LinnetInvite",
            MatchXPath("{jabber:client}message/{http://jabber.org/protocol/muc#user}x"),
            self._on_muc_user_message))
        # slixmpp's "message" needs a <body/>, but a direct invitation (XEP-0249), a chat state
        # (XEP-0085) or reactions (XEP-0444) usually come without: report those as message
        # events too, with body null (once: bodied ones come through "message").
        c.register_handler(Callback(
            "LinnetBodyless", MatchXPath("{jabber:client}message"), self._on_bodyless))
        return c

    # -- slixmpp event handlers (run on the peer's loop) -----------------------

    async def _on_session_start(self, _):
        try:
            if self._sm:  # slixmpp enables it after binding, maybe after session_start
                await asyncio.wait_for(asyncio.shield(self._sm_enabled), 10)
        except asyncio.TimeoutError:
            return self._fail("stream management (XEP-0198) not enabled within 10 s")
        if self.omemo is not None:
            try:  # device lists and bundles published (each namespace spoken), before presence
                await self.omemo.ready(self._timeout)
            except Exception as exc:  # noqa: BLE001 - reported as a login failure
                return self._fail(f"OMEMO setup failed: {exc!r}")
        try:
            await self.client.get_roster(timeout=10)
            self.client.send_presence()
        except Exception as exc:  # noqa: BLE001 - reported as a login failure
            return self._fail(f"roster fetch failed: {exc!r}")
        if not self._online.done():
            self._emit({"event": "online", "jid": str(self.client.boundjid)})
            self._online.set_result(str(self.client.boundjid))

    def _on_sm_enabled(self, _):
        if self._sm_enabled is not None and not self._sm_enabled.done():
            self._sm_enabled.set_result(True)

    def _on_stream_error(self, err):
        if self._online is not None and not self._online.done():
            self._fail(f"stream error: {err['condition']}")
        else:
            self._emit({"event": "stream_error", "condition": err["condition"] or None,
                        "text": err["text"] or None})

    def _on_disconnected(self, reason):
        if self._online is not None and not self._online.done():
            self._fail(describe_failure(reason, "disconnected before login"))
        elif self._online is not None and self._online.exception() is None:
            self._emit({"event": "disconnected", "reason": str(reason) if reason else None})

    def _on_muc_user_message(self, msg):
        event = invite_event(msg)
        if event["from"] is not None or event["reason"] is not None or \
                msg.xml.find("{http://jabber.org/protocol/muc#user}x/"
                             "{http://jabber.org/protocol/muc#user}invite") is not None:
            self._emit(event)

    def _omemo_handles(self, msg):
        """Encrypted messages become events in peer_omemo, not here."""
        return self.omemo is not None and self.omemo.handles(msg)

    def _on_message(self, msg):
        # Error messages with a body reach both handlers; report them once.
        if msg["type"] == "error" or self._omemo_handles(msg):
            return
        if self._null:  # count only: no event dict, no line on stdout
            self._received += 1
            self._last_received = msg["body"]
            return
        self._emit_message(msg)

    def _on_bodyless(self, msg):
        if msg["body"] or msg["type"] == "error" or self._omemo_handles(msg):
            return  # those come through "message" / "message_error" / peer_omemo
        if self._null and msg.xml.find("{jabber:x:conference}x") is None:
            return  # a null receiver prints no chat states or reactions (nor counts them)
        if has_facet(msg):
            self._emit_message(msg)

    def _emit_message(self, msg):
        self._emit(message_event(msg))

    def _on_presence(self, pres):
        self._emit(presence_event(pres))
        self._check_join(pres)

    def _on_roster_update(self, iq):
        if iq["type"] == "set":  # a push; the answer to our own fetch is not one
            self._emit({"event": "roster", "items": roster_items(iq)})

    async def _flush(self):
        """Wait until queued stanzas are written to the socket."""
        await self.client.waiting_queue.join()
        transport = self.client.transport
        while transport is not None and transport.get_write_buffer_size() > 0:
            await asyncio.sleep(0.005)

    # -- public API ----------------------------------------------------------

    def connect(self, timeout=15.0):
        """Connect, log in, fetch roster, send presence; return the full JID."""
        async def go():
            self._online = self._loop.create_future()
            self._sm_enabled = self._loop.create_future()
            self.client.connect(self.host, self.port)
            try:
                return await asyncio.wait_for(asyncio.shield(self._online), timeout)
            except asyncio.TimeoutError:
                self._fail(f"not online after {timeout:.0f} s")
                return await self._online
        return self.run(go(), timeout + 5)

    def send(self, to, body, type="chat", id=None, request_receipt=False, oob_url=None,
             oob_desc=None, sfs=None):
        """Send a message (origin-id = stanza id); return the stanza id. With ``oob_url`` it
        carries XEP-0066 <x xmlns='jabber:x:oob'><url/><desc/></x> (desc only if
        ``oob_desc`` is given), built by slixmpp's xep_0066 stanza. With ``sfs`` ({"data":
        bytes, "urls": [URL], "name", "media_type"}) it carries XEP-0447 <file-sharing/>
        built by slixmpp's xep_0447 get_sfs (size and the hash computed from data, the
        sources' url-data), the name set on its XEP-0446 <file/>; with "width"/"height" those
        too, and with "thumbnail" ({"data": bytes, "media_type", "width", "height"}) a
        XEP-0264 <thumbnail/> (slixmpp's xep_0264 stanza) naming a XEP-0231 <data/> of the
        message (slixmpp's xep_0231 stanza, cid = sha1+HEX@bob.xmpp.org)."""
        if oob_desc is not None and oob_url is None:
            raise PeerError("oob_desc needs oob_url")

        async def go():
            msg = self.client.make_message(mto=to, mbody=body, mtype=type)
            msg["id"] = id or self.client.new_id()
            msg["origin_id"]["id"] = msg["id"]
            if request_receipt:
                msg["request_receipt"] = True
            if oob_url is not None:
                msg["oob"]["url"] = oob_url
                if oob_desc is not None:
                    msg["oob"]["desc"] = oob_desc
            if sfs is not None:
                element = self.client["xep_0447"].get_sfs(
                    data=sfs["data"], uris=sfs.get("urls") or [],
                    media_type=sfs.get("media_type"))
                if sfs.get("name"):
                    element["file"]["name"] = sfs["name"]
                for side in ("width", "height"):
                    if sfs.get(side):
                        element["file"][side] = sfs[side]
                thumb = sfs.get("thumbnail")
                if thumb is not None:
                    cid = f"sha1+{hashlib.sha1(thumb['data']).hexdigest()}@bob.xmpp.org"
                    t = element["file"]["thumbnail"]
                    t["uri"] = f"cid:{cid}"
                    t["media-type"] = thumb["media_type"]
                    t["width"] = thumb["width"]
                    t["height"] = thumb["height"]
                    msg["bob"]["cid"] = cid
                    msg["bob"]["type"] = thumb["media_type"]
                    msg["bob"]["data"] = thumb["data"]
                msg.append(element)
            msg.send()
            await self._flush()
            return msg["id"]
        return self.run(go())

    async def _send_stamped(self, msg, id=None):
        """Give ``msg`` a stanza id (``id`` or slixmpp's), the same as its origin-id (as
        :meth:`send` does), send it, wait until written; return the id."""
        msg["id"] = id or msg["id"] or self.client.new_id()
        msg["origin_id"]["id"] = msg["id"]
        msg.send()
        await self._flush()
        return msg["id"]

    def correct(self, to, id, body, type="chat", msg_id=None):
        """XEP-0308: replace our earlier message with stanza id ``id`` by ``body``; return
        the correction's stanza id."""
        async def go():
            msg = self.client["xep_0308"].build_correction(id, to, mtype=type, mbody=body)
            return await self._send_stamped(msg, msg_id)
        return self.run(go())

    def react(self, to, id, emojis, type="chat", msg_id=None):
        """XEP-0444: our full set of reactions (``[]`` clears them) to message ``id``; return
        the stanza id. Any text is allowed as a reaction, emoji or not."""
        from slixmpp.plugins.xep_0444.stanza import Reaction

        async def go():
            msg = self.client.make_message(mto=to, mtype=type)
            msg["reactions"]["id"] = id
            for emoji in emojis:
                reaction = Reaction()
                reaction.set_value(emoji, all_chars=True)
                msg["reactions"].append(reaction)
            msg.enable("store")  # XEP-0334 hint, as the plugin's send_reactions() sets
            return await self._send_stamped(msg, msg_id)
        return self.run(go())

    def retract(self, to, id, type="chat"):
        """XEP-0424 (urn:xmpp:message-retract:1) for message ``id``, with slixmpp's fallback
        body; return the retraction's stanza id."""
        async def go():
            msg = self.client["xep_0424"].send_retraction(to, id, mtype=type)
            await self._flush()
            return msg["id"]
        return self.run(go())

    def reply(self, to, id, reply_to, body, quote=None, quote_nick=None, type="chat",
              msg_id=None):
        """XEP-0461: ``body`` answering message ``id`` written by ``reply_to``; with ``quote``
        the body starts with slixmpp's quoted fallback (XEP-0428), ``> quote_nick:`` first if
        given. Returns the stanza id."""
        async def go():
            msg = self.client["xep_0461"].make_reply(
                reply_to, id, fallback=quote, quoted_nick=quote_nick,
                mto=to, mbody=body, mtype=type)
            return await self._send_stamped(msg, msg_id)
        return self.run(go())

    def chat_state(self, to, state, type="chat", msg_id=None):
        """XEP-0085 standalone notification (no body): active, composing, paused, inactive
        or gone. Returns the stanza id."""
        async def go():
            msg = self.client.make_message(mto=to, mtype=type)
            msg["chat_state"] = state  # slixmpp raises ValueError for an unknown state
            return await self._send_stamped(msg, msg_id)
        return self.run(go())

    def moderate(self, room, id, reason=None, timeout=10.0):
        """XEP-0425 (urn:xmpp:message-moderate:1): ask ``room`` to retract the message with
        its stanza-id ``id``. Returns {"type": "result"|"error", "error": condition|None};
        raises PeerError if no answer comes within ``timeout`` s."""
        async def go():
            try:
                await self.client["xep_0425"].moderate(
                    slixmpp.JID(room), id, reason or "", timeout=timeout)
            except IqError as exc:
                return {"type": "error", "error": exc.iq["error"]["condition"] or None}
            except IqTimeout:
                raise PeerError(f"no answer to moderate in {room} within {timeout:g} s") from None
            return {"type": "result", "error": None}
        return self.run(go(), timeout + 5)

    # -- rooms (XEP-0045) ----------------------------------------------------------

    def join(self, room, nick, password=None, history=None, timeout=10.0):
        """Enter ``room`` as ``nick`` (presence with <x xmlns=muc/>, <history maxstanzas/>
        if ``history`` is given) and wait for the room's answer: {"occupant": room/nick as
        the room names it, "status_codes": [N,...] (muc#user; 110 = self, 201 = created,
        100 = non-anonymous), "error": CONDITION|None (an error presence)}; PeerError if
        nothing comes within ``timeout`` s."""
        bare = slixmpp.JID(room).bare

        async def go():
            fut = self._loop.create_future()
            self._joins[bare] = fut
            pres = self.client.make_presence(pto=f"{bare}/{nick}")
            x = ET.SubElement(pres.xml, f"{{{MUC_NS}}}x")
            if password is not None:
                ET.SubElement(x, f"{{{MUC_NS}}}password").text = password
            if history is not None:
                ET.SubElement(x, f"{{{MUC_NS}}}history", maxstanzas=str(int(history)))
            pres.send()
            try:
                return await asyncio.wait_for(fut, timeout)
            except asyncio.TimeoutError:
                raise PeerError(f"no answer from {bare} to joining within {timeout:g} s") from None
            finally:
                if self._joins.get(bare) is fut:
                    del self._joins[bare]
        return self.run(go(), timeout + 5)

    def _check_join(self, pres):
        """Settle a pending :meth:`join` with the room's self-presence or error."""
        fut = self._joins.get(pres["from"].bare)
        if fut is None or fut.done():
            return
        codes = [int(s.get("code")) for s in pres.xml.iterfind(
            f"{{{MUC_USER_NS}}}x/{{{MUC_USER_NS}}}status") if (s.get("code") or "").isdigit()]
        if pres["type"] == "error":
            fut.set_result({"occupant": str(pres["from"]), "status_codes": codes,
                            "error": pres["error"]["condition"] or "undefined-condition"})
        elif 110 in codes and pres["type"] != "unavailable":
            fut.set_result({"occupant": str(pres["from"]), "status_codes": codes, "error": None})

    def _muc_iq(self, room, query, timeout):
        """IQ set ``query`` (an element) to ``room``: {"type", "error"} (see :meth:`iq`)."""
        answer = self.iq(room, tostring(query), type="set", timeout=timeout)
        return {"type": answer["type"], "error": answer["error"]}

    def configure_room(self, room, fields, timeout=10.0):
        """Submit the room's owner configuration form (XEP-0045 §10.2, muc#owner) with just
        ``fields`` ({var: value or [values]}; True/False become "1"/"0"); Prosody keeps the
        other settings. Returns {"type": "result"|"error", "error": CONDITION|None}."""
        if not isinstance(fields, dict) or not fields:
            raise PeerError("fields must be a non-empty object {var: value or [values]}")
        query = ET.Element(f"{{{MUC_NS}#owner}}query")
        form = ET.SubElement(query, "{jabber:x:data}x", type="submit")
        for var, value in {"FORM_TYPE": "http://jabber.org/protocol/muc#roomconfig",
                           **fields}.items():
            field = ET.SubElement(form, "{jabber:x:data}field", var=var)
            for v in value if isinstance(value, list) else [value]:
                ET.SubElement(field, "{jabber:x:data}value").text = \
                    ("1" if v else "0") if isinstance(v, bool) else str(v)
        return self._muc_iq(room, query, timeout)

    def set_affiliation(self, room, jid, affiliation, reason=None, timeout=10.0):
        """Change ``jid``'s affiliation in ``room`` (owner|admin|member|outcast|none;
        XEP-0045 muc#admin). Returns {"type": "result"|"error", "error": CONDITION|None}."""
        query = ET.Element(f"{{{MUC_NS}#admin}}query")
        item = ET.SubElement(query, f"{{{MUC_NS}#admin}}item", affiliation=affiliation, jid=jid)
        if reason is not None:
            ET.SubElement(item, f"{{{MUC_NS}#admin}}reason").text = reason
        return self._muc_iq(room, query, timeout)

    # -- HTTP File Upload (XEP-0363), plain or XEP-0454 encrypted -------------------

    async def _upload_service(self, timeout):
        """The JID of the server's upload service, found by disco as XEP-0363 says: the
        first item of our domain with identity store/file and feature urn:xmpp:http:upload:0."""
        disco = self.client["xep_0030"]
        domain = self.client.boundjid.domain
        items = await disco.get_items(jid=domain, timeout=timeout)
        for jid in [domain] + [item[0] for item in items["disco_items"]["items"]]:
            try:
                info = (await disco.get_info(jid=jid, timeout=timeout))["disco_info"]
            except (IqError, IqTimeout):
                continue
            if any(i[0] == "store" and i[1] == "file" for i in info["identities"]) and \
                    UPLOAD_NS in info["features"]:
                return str(jid)
        raise PeerError(f"no upload service (XEP-0363) found on {domain}")

    async def _request_slot(self, service, filename, size, content_type, timeout):
        """XEP-0363 slot request -> (put_url, {header: value}, get_url). Built by hand, as
        slixmpp's xep_0363 would (its plugin needs aiohttp, which the harness lacks)."""
        iq = self.client.make_iq_get(ito=service)
        request = ET.SubElement(iq.xml, f"{{{UPLOAD_NS}}}request",
                                filename=filename, size=str(size))
        request.set("content-type", content_type)
        try:
            answer = await iq.send(timeout=timeout)
        except IqError as exc:
            err = exc.iq["error"]
            raise PeerError(f"no upload slot from {service}: {err['condition']}"
                            + (f" ({err['text']})" if err["text"] else "")
                            + _upload_condition(err.xml)) from None
        except IqTimeout:
            raise PeerError(f"no answer to the slot request to {service} "
                            f"within {timeout:g} s") from None
        slot = answer.xml.find(f"{{{UPLOAD_NS}}}slot")
        put = slot.find(f"{{{UPLOAD_NS}}}put") if slot is not None else None
        get = slot.find(f"{{{UPLOAD_NS}}}get") if slot is not None else None
        if put is None or get is None or not put.get("url") or not get.get("url"):
            raise PeerError(f"malformed upload slot from {service}: {tostring(answer.xml)}")
        headers = {h.get("name"): (h.text or "") for h in put.iterfind(f"{{{UPLOAD_NS}}}header")}
        return put.get("url"), headers, get.get("url")

    def _http(self, method, url, data=None, headers=None, timeout=30.0):
        """Blocking HTTP(S) request, TLS verified against the peer's CA only:
        (status, body); an HTTP error status is returned, not raised."""
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        ctx = ssl.create_default_context(cafile=self._ca)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def _upload_to_slot(self, filename, payload, content_type, service, timeout,
                        https_only=None):
        """Get a XEP-0363 slot for ``filename`` with ``payload``'s size and ``content_type``
        from ``service`` (default: the server's upload service, by disco) and PUT
        ``payload`` there with the slot's headers and that Content-Type (TLS verified
        against the CA); return the slot's get URL. With ``https_only`` (the reason, for
        the error) a get URL that is not https is refused before anything is PUT.
        PeerError when no slot is given or the PUT answers other than 2xx."""
        async def go():
            jid = service or await self._upload_service(timeout)
            put, headers, get = await self._request_slot(jid, filename, len(payload),
                                                         content_type, timeout)
            if https_only and not get.startswith("https://"):
                raise PeerError(f"the slot's get URL is not https ({https_only}): {get}")
            headers = {**headers, "Content-Type": content_type}
            status, body = await self._loop.run_in_executor(
                None, lambda: self._http("PUT", put, payload, headers, timeout))
            if not 200 <= status < 300:
                raise PeerError(f"PUT {put} failed: HTTP {status} "
                                f"{body[:200].decode('utf-8', 'replace')}")
            return get
        return self.run(go(), 3 * timeout + 5)  # disco, slot request, PUT: each within timeout

    def slot(self, filename, size, content_type="application/octet-stream", service=None,
             timeout=30.0):
        """Only ask for a XEP-0363 slot (nothing uploaded), for another program to PUT to:
        {"put": URL, "headers": {name: value}, "get": URL}."""
        async def go():
            jid = service or await self._upload_service(timeout)
            return await self._request_slot(jid, filename, size, content_type, timeout)
        put, headers, get = self.run(go(), 2 * timeout + 5)
        return {"put": put, "headers": headers, "get": get}

    def upload(self, filename, data, content_type="application/octet-stream", service=None,
               timeout=30.0):
        """Upload ``data`` (bytes) as they are through XEP-0363 (see :meth:`_upload_to_slot`).
        Returns {"url": the slot's get URL (http or https, as the server gives it), "size":
        len(data), "sha256_b64": base64 of the SHA-256 of data}."""
        get = self._upload_to_slot(filename, data, content_type, service, timeout)
        return {"url": get, "size": len(data),
                "sha256_b64": base64.b64encode(hashlib.sha256(data).digest()).decode()}

    def upload_encrypted(self, filename, data, service=None, timeout=30.0):
        """Encrypt ``data`` (bytes) as XEP-0454 says (slixmpp's XEP_0454.encrypt: AES-256-GCM,
        random 12-byte IV and key, tag appended) and upload the ciphertext as
        application/octet-stream through XEP-0363 (see :meth:`_upload_to_slot`; the get URL
        must be https, checked before the PUT). Returns {"url": "aesgcm://...#<iv><key>",
        "https": the slot's get URL, "size": ciphertext length}."""
        from slixmpp.plugins.xep_0454 import XEP_0454

        payload, fragment = XEP_0454.encrypt(io.BytesIO(data))
        get = self._upload_to_slot(filename, payload, "application/octet-stream", service,
                                   timeout, https_only="XEP-0454 needs it")
        return {"url": XEP_0454.format_url(get, fragment), "https": get, "size": len(payload)}

    def fetch(self, url, timeout=30.0):
        """GET ``url`` (TLS verified against the CA): {"status": N, "data": bytes}."""
        status, body = self._http("GET", url, timeout=timeout)
        return {"status": status, "data": body}

    def fetch_encrypted(self, link, timeout=30.0):
        """Download an ``aesgcm://`` link's file over https and decrypt it with slixmpp's
        XEP_0454.decrypt (the fragment's IV and key; the GCM tag checked): plaintext bytes.
        PeerError for a link that is not aesgcm://, an HTTP error or a failed decryption."""
        from urllib.parse import urlsplit, urlunsplit

        from slixmpp.plugins.xep_0454 import XEP_0454

        parts = urlsplit(link)
        if parts.scheme != "aesgcm" or not parts.fragment:
            raise PeerError(f"not an aesgcm:// link with a key: {link}")
        https = urlunsplit(("https", parts.netloc, parts.path, parts.query, ""))
        status, body = self._http("GET", https, timeout=timeout)
        if status != 200:
            raise PeerError(f"GET {https} failed: HTTP {status}")
        try:
            return XEP_0454.decrypt(io.BytesIO(body), parts.fragment)
        except Exception as e:  # the library raises cryptography's InvalidTag and others
            raise PeerError(f"decrypting {https} failed: {e!r}") from e

    # -- OMEMO (omemo=True) ------------------------------------------------------

    # -- Jingle file transfer (linnet_harness.peer_jingle) ----------------------

    def jingle_send(self, to, name, data, media_type="application/octet-stream",
                    sha256_b64=None, block_size=4096, cancel_after=None, transport="ibb",
                    connect=True, timeout=60.0):
        """Offers ``data`` as file ``name`` to full JID ``to`` over Jingle (IBB, or S5B
        through the server's proxy) and sends it once accepted; returns {sid, outcome, sent,
        transport}. See :meth:`PeerJingle.send_file`."""
        return self.run(self.jingle.send_file(
            to, name, data, media_type=media_type, sha256_b64=sha256_b64,
            block_size=block_size, cancel_after=cancel_after, transport=transport,
            connect=connect, timeout=timeout), timeout * 3)

    def jingle_accept(self, sid, cancel_after=None, connect=True, offer_candidates=True,
                      timeout=120.0):
        """Accepts a file offered in session ``sid``; ``jingle_received`` follows."""
        return self.run(self.jingle.accept(sid, cancel_after=cancel_after, connect=connect,
                                           offer_candidates=offer_candidates, timeout=timeout),
                        30.0)

    def jingle_decline(self, sid):
        """Declines the file offered in session ``sid``."""
        return self.run(self.jingle.decline(sid), 30.0)

    def jingle_cancel(self, sid):
        """Ends session ``sid`` with ``cancel``."""
        return self.run(self.jingle.cancel(sid), 30.0)

    def _omemo_run(self, make_coro, timeout=30.0):
        """Run ``make_coro(self.omemo)`` on the loop; PeerError without OMEMO."""
        if self.omemo is None:
            raise PeerError("OMEMO is not enabled (start the peer with --omemo / omemo=True)")
        return self.run(make_coro(self.omemo), timeout)

    def omemo_info(self):
        """{"device_id": N, "fingerprint": hex of the Curve25519 identity key}."""
        return self._omemo_run(lambda omemo: omemo.info())

    def omemo_devices(self, jid):
        """Download ``jid``'s device lists (the namespaces we speak) and bundles: {"devices":
        [{"device_id", "namespaces", "fingerprint", "bundles"}]} (see peer.py)."""
        return self._omemo_run(lambda omemo: omemo.devices(jid))

    def omemo_send(self, to, body, generation, type="chat", msg_id=None, tamper=None,
                   copies=1, recipients=None):
        """Encrypt ``body`` ("legacy" or "omemo2") for ``recipients``' bare JIDs (default
        ``to``'s; required for type "groupchat", where ``to`` is the room) and our other
        devices, and send it to ``to``; return {"msg_id", "msg_ids", "errors"
        (non-critical, per device)}. ``tamper`` "payload" / "key" flips a bit of the
        encrypted payload / of every key; ``copies`` sends the same encrypted element that
        many times, each in its own stanza with a fresh id (a replay)."""
        if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
            raise PeerError(f"copies must be a positive integer, not {copies!r}")

        async def go(omemo):
            stanza, errors = await omemo.encrypt(to, body, generation, type,
                                                 recipients=recipients, tamper_with=tamper)
            ids = []
            for i in range(copies):
                one = stanza if i == copies - 1 else copy.copy(stanza)
                one["id"] = (msg_id if i == 0 and msg_id else None) or self.client.new_id()
                if type == "groupchat":  # its reflection is not encrypted for us
                    omemo.remember_reflection(one["id"], generation, body)
                ids.append(await self._send_stamped(one, one["id"]))
            return {"msg_id": ids[0], "msg_ids": ids, "errors": errors}
        return self._omemo_run(go)

    def omemo_burst(self, to, count, prefix="m", generation="omemo2", id_prefix=None,
                    timeout=3600.0):
        """For benchmarks: encrypt ``count`` chat messages (bodies prefix0 ..
        prefix{count-1}, each its own OMEMO message of ``generation`` for ``to``'s bare JID
        and our other devices, as :meth:`omemo_send` builds them; device lists downloaded
        once, before the first), all in order and kept in memory, then write them all as
        :meth:`burst` does. Stanza ids (also origin-ids): id_prefix0 .. if ``id_prefix``,
        else random. Returns {"count", "prepared_s" (the encryption), "written_s" (first
        write until all are written), "errors" (non-critical, per device, deduplicated)}.
        After ``timeout`` s the operation is cancelled (PeerError)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise PeerError(f"count must be a positive integer, not {count!r}")
        if id_prefix is not None and not isinstance(id_prefix, str):
            raise PeerError(f"id_prefix must be a string, not {id_prefix!r}")

        def stamp(i, stanza):
            stanza["id"] = f"{id_prefix}{i}" if id_prefix is not None else self.client.new_id()
            stanza["origin_id"]["id"] = stanza["id"]

        async def write(stanzas):
            start = time.monotonic()
            for stanza in stanzas:
                stanza.send()
            await self._flush()
            return time.monotonic() - start

        async def go(omemo):
            prepared, written, errors = await omemo.encrypt_burst(
                to, count, prefix, generation, stamp, write)
            return {"count": count, "prepared_s": round(prepared, 3),
                    "written_s": round(written, 3), "errors": errors}

        if self.omemo is None:
            raise PeerError("OMEMO is not enabled (start the peer with --omemo / omemo=True)")
        future = asyncio.run_coroutine_threadsafe(go(self.omemo), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # (the lock is released; what was written stays written)
            raise PeerError(f"omemo_burst of {count} not done within {timeout:g} s") from None

    def omemo_replace_sessions(self, jid):
        """python-omemo's replace_sessions for each known device of ``jid``'s bare JID:
        {"devices", "replaced", "errors"} (see peer.py)."""
        return self._omemo_run(lambda omemo: omemo.replace_sessions(jid))

    def omemo_forge_device(self, generation, device_id, kind):
        """Publish our own device list of ``generation`` with ``device_id`` added, and for
        kind "bad_signature" a copy of our bundle with a broken signature as its bundle."""
        return self._omemo_run(lambda omemo: omemo.forge_device(generation, device_id, kind))

    def burst(self, to, count, prefix="m", request_receipt=False, timeout=300.0, id_prefix=None):
        """Send ``count`` chat messages with bodies prefix0..prefix{count-1}, as fast as
        slixmpp writes them; return once all are written. With ``id_prefix`` the stanza
        ids are id_prefix0..id_prefix{count-1} (so a receipt names its message), else
        slixmpp's own."""
        async def go():
            for i in range(count):
                msg = self.client.make_message(mto=to, mbody=f"{prefix}{i}", mtype="chat")
                if id_prefix is not None:
                    msg["id"] = f"{id_prefix}{i}"
                if request_receipt:
                    msg["request_receipt"] = True
                msg.send()
            await self._flush()
            return count
        return self.run(go(), timeout)

    def _presence(self, **kw):
        async def go():
            self.client.send_presence(**kw)
            await self._flush()
        self.run(go())

    def subscribe(self, to):
        self._presence(pto=to, ptype="subscribe")

    def approve(self, to):
        self._presence(pto=to, ptype="subscribed")

    def deny(self, to):
        self._presence(pto=to, ptype="unsubscribed")

    def unsubscribe(self, to):
        self._presence(pto=to, ptype="unsubscribe")

    def presence(self, show=None, status=None, type=None):
        """Broadcast presence (show: away|chat|dnd|xa; type: unavailable)."""
        self._presence(pshow=show, pstatus=status, ptype=type)

    def send_raw(self, xml):
        """Send raw XML (for stanzas the other commands do not cover)."""
        async def go():
            self.client.send_raw(xml)
            await self._flush()
        self.run(go())

    def iq(self, to, xml, type="get", timeout=10.0):
        """Send an IQ get/set with payload ``xml`` to ``to``; wait for the answer.

        Returns {"type": "result"|"error", "xml": the whole answer stanza as
        an XML string (with xmlns='jabber:client'), "error": the error
        condition or None}. An error answer is a normal return, not an
        exception. Raises PeerError if ``type`` or ``xml`` is invalid or no
        answer arrives within ``timeout`` seconds.
        """
        if type not in ("get", "set"):
            raise PeerError(f"iq type must be 'get' or 'set', not {type!r}")
        try:
            payload = ET.fromstring(xml)
        except ET.ParseError as exc:
            raise PeerError(f"iq payload is not well-formed XML: {exc}") from exc

        async def go():
            iq = self.client.make_iq(ito=to, itype=type)
            iq.append(payload)
            try:
                answer = await iq.send(timeout=timeout)
            except IqError as exc:
                answer = exc.iq
            except IqTimeout:
                raise PeerError(f"no answer to iq {type} to {to} within {timeout:g} s") from None
            error = (answer["error"]["condition"] or None) if answer["type"] == "error" else None
            return {"type": answer["type"], "xml": tostring(answer.xml, top_level=True),
                    "error": error}
        return self.run(go(), timeout + 5)

    def received(self):
        """For a ``null_receiver``: {"count": chat messages received so far, "last_body":
        the body of the last one or None}."""
        async def go():
            return {"count": self._received, "last_body": self._last_received}
        return self.run(go())

    def roster(self):
        """Fetch the roster from the server; return a list of item dicts."""
        async def go():
            return roster_items(await self.client.get_roster(timeout=10))
        return self.run(go())

    def disconnect(self, wait=3.0):
        """Close the stream politely (waits for the server's close)."""
        async def go():
            if self.client.transport is not None:
                await self.client.disconnect(wait=wait)
        self.run(go(), wait + 5)

    def wait_for(self, match, timeout=10.0):
        """Return the first event not returned before that matches.

        ``match`` is a callable(event) -> bool or a dict of fields that must be
        equal. Raises TimeoutError after ``timeout`` seconds.
        """
        pred = match if callable(match) else (
            lambda ev: all(ev.get(k) == v for k, v in match.items()))
        deadline = time.monotonic() + timeout
        i = 0  # events before i were checked already: each wake-up scans only new ones
        with self._cond:
            while True:
                for i in range(i, len(self.events)):
                    if i not in self._taken and pred(self.events[i]):
                        self._taken.add(i)
                        return self.events[i]
                i = len(self.events)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.jid}: no event matching {match!r} in {timeout} s")
                self._cond.wait(left)

    def close(self):
        """Disconnect (if connected) and stop the background loop (idempotent)."""
        if not self._thread.is_alive():
            return
        try:
            self.disconnect()
        except Exception as exc:  # noqa: BLE001 - closing anyway
            log.debug("disconnect on close failed: %r", exc)
        try:
            self.run(self._cancel_tasks(), 5)
        except Exception as exc:  # noqa: BLE001
            log.debug("task cleanup failed: %r", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    async def _cancel_tasks(self):
        """Cancel slixmpp's background tasks so nothing outlives the loop."""
        self.client.cancel_connection_attempt()
        self.client.abort()
        self.client._run_out_filters = None  # else its __del__ touches the closed loop
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
