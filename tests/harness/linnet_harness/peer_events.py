"""Translate slixmpp stanzas into the peer's JSON event dicts.

Pure functions, shared by :class:`~linnet_harness.peer_client.Peer` and
documented for the CLI in :mod:`linnet_harness.peer`. Absent values are None.
"""

import base64
import ssl

RECEIPTS_NS = "urn:xmpp:receipts"
SID_NS = "urn:xmpp:sid:0"
MARKERS_NS = "urn:xmpp:chat-markers:0"
REPLY_NS = "urn:xmpp:reply:0"  # XEP-0461; its XEP-0428 fallback is marked for this


def _child_attr(stanza, tag, ns, attr="id"):
    """Attribute of a direct child element, or None (never creates the child)."""
    el = stanza.xml.find(f"{{{ns}}}{tag}")
    return el.get(attr) if el is not None else None


def message_event(msg):
    """{"event":"message",...}; type-error messages also carry "error"."""
    ev = {
        "event": "message", "from": str(msg["from"]), "to": str(msg["to"]),
        "type": msg["type"], "body": msg["body"] or None, "id": msg["id"] or None,
        "origin_id": _child_attr(msg, "origin-id", SID_NS),
        "stanza_id": _child_attr(msg, "stanza-id", SID_NS),
        "receipt_request": msg.xml.find(f"{{{RECEIPTS_NS}}}request") is not None,
        "markable": msg.xml.find(f"{{{MARKERS_NS}}}markable") is not None,
        # XEP-0249 direct invitation: the room's JID, reason and password.
        "direct_invite": _child_attr(msg, "x", "jabber:x:conference", "jid"),
        "invite_reason": _child_attr(msg, "x", "jabber:x:conference", "reason"),
        "invite_password": _child_attr(msg, "x", "jabber:x:conference", "password"),
        **oob(msg),
        "sfs": sfs(msg),
        # OMEMO generation ("legacy"|"omemo2") "body" was decrypted from (peer_omemo); None
        # for a message that was not decrypted.
        "encrypted": None,
    }
    ev.update(facets(msg))
    if msg["type"] == "error":
        ev["error"] = msg["error"]["condition"] or None
    return ev


def oob(msg):
    """XEP-0066 Out-of-Band Data, parsed by slixmpp's xep_0066 stanza: {"oob_url",
    "oob_desc"} of the <x xmlns='jabber:x:oob'/> child, each None when absent."""
    x = _plugin(msg, "oob")
    if x is None:
        return {"oob_url": None, "oob_desc": None}
    return {"oob_url": x["url"] or None, "oob_desc": x["desc"] or None}


SFS_NS = "urn:xmpp:sfs:0"
FILE_NS = "urn:xmpp:file:metadata:0"
HASHES_NS = "urn:xmpp:hashes:2"
URL_DATA_NS = "http://jabber.org/protocol/url-data"
THUMBS_NS = "urn:xmpp:thumbs:1"


def sfs(msg):
    """XEP-0447 Stateless File Sharing, read from the XML (slixmpp's plugin only builds it):
    {"name", "size", "media_type", "sha256_b64", "width", "height", "urls"}, or None when
    the message has no <file-sharing/>."""
    el = msg.xml.find(f"{{{SFS_NS}}}file-sharing")
    if el is None:
        return None
    meta = el.find(f"{{{FILE_NS}}}file")

    def text(tag):
        child = meta.find(f"{{{FILE_NS}}}{tag}") if meta is not None else None
        return child.text if child is not None and child.text else None

    def number(tag):
        value = text(tag)
        return int(value) if value and value.isdigit() else None

    sha256 = None
    if meta is not None:
        for h in meta.iterfind(f"{{{HASHES_NS}}}hash"):
            if h.get("algo") == "sha-256":
                sha256 = (h.text or "").strip() or None
    sources = el.find(f"{{{SFS_NS}}}sources")
    urls = [u.get("target") for u in sources.iterfind(f"{{{URL_DATA_NS}}}url-data")] \
        if sources is not None else []
    thumbnail = None
    thumb = meta.find(f"{{{THUMBS_NS}}}thumbnail") if meta is not None else None
    if thumb is not None:
        uri = thumb.get("uri") or ""
        bob = _plugin(msg, "bob")
        data = None
        if bob is not None and uri.startswith("cid:") and bob["cid"] == uri[4:]:
            data = base64.b64encode(bob["data"]).decode()
        thumbnail = {"uri": uri, "media_type": thumb.get("media-type"),
                     "width": int(thumb.get("width") or 0), "height": int(thumb.get("height") or 0),
                     "data_b64": data}
    return {"name": text("name"), "size": number("size"), "media_type": text("media-type"),
            "sha256_b64": sha256, "width": number("width"), "height": number("height"),
            "urls": urls, "thumbnail": thumbnail}


def _plugin(stanza, name):
    """A stanza plugin (slixmpp's parse of a child element) if present, else None; never
    creates the element."""
    return stanza.get_plugin(name, check=True)


def facets(msg):
    """The message facets, parsed by slixmpp's plugins (XEP-0308, 0444, 0424/0425, 0461 with
    0428, 0085, 0421): {"replace","reactions","retract","moderated","reply",
    "fallback_stripped_body","chat_state","occupant_id"}, each None when absent."""
    replace = _plugin(msg, "replace")
    reactions = _plugin(msg, "reactions")
    retract = _plugin(msg, "retract")
    moderated = _plugin(retract, "moderated") if retract is not None else None
    reply = _plugin(msg, "reply")
    occupant = _plugin(msg, "occupant-id")
    stripped = None
    if reply is not None and any(f["for"] == REPLY_NS for f in msg["fallbacks"]):
        stripped = reply.strip_fallback_content()
    return {
        "replace": (replace["id"] or None) if replace is not None else None,
        # In document order (slixmpp's get_values() is a set, and drops non-emoji).
        "reactions": None if reactions is None else {
            "id": reactions["id"] or None,
            "emojis": [r["value"] or "" for r in reactions]},
        "retract": (retract["id"] or None) if retract is not None else None,
        # XEP-0425 (urn:xmpp:message-moderate:1): the room's retraction by a moderator.
        "moderated": None if moderated is None else {
            "by": moderated["by"] or None, "reason": retract["reason"] or None},
        "reply": None if reply is None else {
            "id": reply["id"] or None, "to": reply["to"] or None},
        "fallback_stripped_body": stripped,
        "chat_state": msg["chat_state"] or None,
        "occupant_id": (occupant["id"] or None) if occupant is not None else None,
    }


def has_facet(msg):
    """True if a body-less message still means something to report as a message event: a
    chat state, reactions, a retraction, a correction or a direct invitation."""
    return any(_plugin(msg, name) is not None for name in ("replace", "reactions", "retract")) \
        or bool(msg["chat_state"]) \
        or msg.xml.find("{jabber:x:conference}x") is not None


def marker_event(msg):
    """{"event":"marker","from","displayed":ID} for an XEP-0333 <displayed/>."""
    return {"event": "marker", "from": str(msg["from"]),
            "displayed": _child_attr(msg, "displayed", MARKERS_NS)}


MUC_USER_NS = "http://jabber.org/protocol/muc#user"


def invite_event(msg):
    """{"event":"invite","room","from"} for a mediated room invitation (XEP-0045 §7.8.2)."""
    invite = msg.xml.find(f"{{{MUC_USER_NS}}}x/{{{MUC_USER_NS}}}invite")
    reason = invite.find(f"{{{MUC_USER_NS}}}reason") if invite is not None else None
    return {"event": "invite", "room": str(msg["from"].bare),
            "from": invite.get("from") if invite is not None else None,
            "reason": reason.text if reason is not None else None}


def presence_event(pres):
    """{"event":"presence",...}; "type" is the raw attribute, default available; "nick"
    the XEP-0172 nickname it carries (read from the XML, no plugin needed)."""
    nick = pres.xml.find("{http://jabber.org/protocol/nick}nick")
    return {
        "event": "presence", "from": str(pres["from"]),
        "type": pres.xml.get("type", "available"),
        "show": pres["show"] or None, "status": pres["status"] or None,
        "nick": None if nick is None else (nick.text or ""),
    }


def receipt_event(msg):
    """{"event":"receipt"} for an XEP-0184 <received/>."""
    return {"event": "receipt", "from": str(msg["from"]), "id": msg["receipt"]}


def roster_items(iq):
    """Items of a roster result or push as [{"jid","subscription","name","ask"}]."""
    return [{"jid": str(j), "subscription": it["subscription"],
             "name": it["name"] or None, "ask": it["ask"] or None}
            for j, it in iq["roster"]["items"].items()]


def describe_failure(reason, what):
    """Login failure text; certificate problems are named as such."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message} ({reason})"
    return f"{what}: {reason}"
