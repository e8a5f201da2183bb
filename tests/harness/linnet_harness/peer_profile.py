"""Profiles for the scripted peer, done by slixmpp's own plugins (independent of Linnet):
vCard4 over PEP (XEP-0292, ``xep_0292``), vcard-temp (XEP-0054, ``xep_0054``), the user
nickname (XEP-0172, ``xep_0172``) and the software version it answers with (XEP-0092,
``xep_0092``). Loaded on first use, so peers that never touch profiles are unchanged.

slixmpp's ``xep_0292`` names the PEP node after the vCard4 XML namespace
(``urn:ietf:params:xml:ns:vcard-4.0``); XEP-0292 §3, Gajim, Movim and Prosody use
``urn:xmpp:vcard4``. The plugin's stanza and publish are used with the XEP's node given."""

from slixmpp.exceptions import IqError

VCARD4_NS = "urn:ietf:params:xml:ns:vcard-4.0"
VCARD4_NODE = "urn:xmpp:vcard4"
NICK_NS = "http://jabber.org/protocol/nick"
VCARD_NS = "vcard-temp"
FIELDS = ("full_name", "nickname", "email", "phone", "note")


def _load(client, name, config=None):
    if name not in client.plugin:
        client.register_plugin(name, config or {})


async def _absent_is_none(request):
    """The answer to ``request``; None when the server says there is no such item or vCard."""
    try:
        return await request
    except IqError as exc:
        if exc.condition in ("item-not-found", "forbidden"):
            return None
        raise


async def publish_vcard4(client, fields):
    """Publish our vCard4 (XEP-0292 §3.2) with the given ``FIELDS``: {}."""
    _load(client, "xep_0292")
    await client.plugin["xep_0292"].publish_vcard(**{k: fields.get(k) for k in FIELDS},
                                                  node=VCARD4_NODE)
    return {}


async def publish_vcard_temp(client, fields):
    """Set our vcard-temp (XEP-0054 §3.2) to the given ``FIELDS``: {}."""
    _load(client, "xep_0054")
    vcards = client.plugin["xep_0054"]
    vcard = vcards.stanza.VCardTemp()
    if fields.get("full_name"):
        vcard["FN"] = fields["full_name"]
    if fields.get("nickname"):
        vcard["NICKNAME"] = fields["nickname"]
    if fields.get("email"):
        vcard["EMAIL"]["USERID"] = fields["email"]
    if fields.get("phone"):
        vcard["TEL"]["NUMBER"] = fields["phone"]
    if fields.get("note"):
        vcard["DESC"] = fields["note"]
    await vcards.publish_vcard(vcard)
    return {}


async def publish_nick(client, nick):
    """Publish our nickname (XEP-0172 §4.1); None publishes the empty one (§4.5): {}."""
    _load(client, "xep_0172")
    if nick is None:
        await client.plugin["xep_0172"].stop()
    else:
        await client.plugin["xep_0172"].publish_nick(nick)
    return {}


async def software(client, name, version, os=None):
    """Answer software version requests (XEP-0092) with ``name``/``version``/``os``: {}."""
    _load(client, "xep_0092", {"name": name, "version": version, "os": os or ""})
    plugin = client.plugin["xep_0092"]
    plugin.software_name, plugin.version, plugin.os = name, version, os or ""
    await client.plugin["xep_0030"].add_feature("jabber:iq:version")
    return {}


def _text(element, path):
    found = element.find(path)
    return None if found is None else (found.text or "")


async def fetch(client, jid):
    """Read ``jid``'s profile as another client would: the vCard4 item (XEP-0292 §3.1), the
    vcard-temp (XEP-0054) and the newest nickname item (XEP-0172):
    {"vcard4": {FIELDS} | null, "vcard_temp": {FIELDS} | null, "nick": str | null}."""
    _load(client, "xep_0292")
    _load(client, "xep_0054")
    out = {"vcard4": None, "vcard_temp": None, "nick": None}
    v4 = f"{{{VCARD4_NS}}}"
    item = await _absent_is_none(client.plugin["xep_0060"].get_item(jid, VCARD4_NODE, "current"))
    card = None if item is None else item.xml.find(f".//{v4}vcard")
    if card is not None:
        tel = _text(card, f"{v4}tel/{v4}uri")
        out["vcard4"] = {
            "full_name": _text(card, f"{v4}fn/{v4}text"),
            "nickname": _text(card, f"{v4}nickname/{v4}text"),
            "email": _text(card, f"{v4}email/{v4}text"),
            "phone": None if tel is None else tel.removeprefix("tel:"),
            "note": _text(card, f"{v4}note/{v4}text"),
        }
    vcard = await _absent_is_none(client.plugin["xep_0054"].get_vcard(jid, cached=False))
    temp = None if vcard is None else vcard.xml.find(f".//{{{VCARD_NS}}}vCard")
    if temp is not None:
        vt = f"{{{VCARD_NS}}}"
        out["vcard_temp"] = {
            "full_name": _text(temp, f"{vt}FN"),
            "nickname": _text(temp, f"{vt}NICKNAME"),
            "email": _text(temp, f"{vt}EMAIL/{vt}USERID"),
            "phone": _text(temp, f"{vt}TEL/{vt}NUMBER"),
            # DESC; Prosody's mod_vcard_legacy gives a vCard4 note as NOTE.
            "note": _text(temp, f"{vt}DESC") or _text(temp, f"{vt}NOTE"),
            "has_photo": temp.find(f"{vt}PHOTO") is not None,
        }
    nicks = await _absent_is_none(client.plugin["xep_0060"].get_items(jid, NICK_NS, max_items=1))
    if nicks is not None:
        found = nicks.xml.find(f".//{{{NICK_NS}}}nick")
        if found is not None:
            out["nick"] = found.text or ""
    return out
