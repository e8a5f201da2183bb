"""Avatars for the scripted peer, done by slixmpp's own plugins (independent of Linnet):
XEP-0084 User Avatar (``xep_0084`` over ``xep_0060``/``xep_0163``) and XEP-0153 vCard-Based
Avatars (``xep_0054`` + ``xep_0153``). The plugins are loaded on first use, so peers that
never touch avatars send exactly what they sent before (``xep_0153`` adds a
``vcard-temp:x:update`` to every presence once loaded)."""

import base64
import hashlib

from slixmpp.exceptions import IqError

DATA_NS = "urn:xmpp:avatar:data"
METADATA_NS = "urn:xmpp:avatar:metadata"
VCARD_NS = "vcard-temp"


def _load(client, *names):
    for name in names:
        if name not in client.plugin:
            client.register_plugin(name)


async def publish_pep(client, data, media_type, width=None, height=None):
    """Publish ``data`` to our data node, then its metadata (XEP-0084 §4.1, §4.2):
    {"hash": SHA-1 hex}."""
    _load(client, "xep_0084")
    avatar = client.plugin["xep_0084"]
    digest = hashlib.sha1(data).hexdigest()
    await avatar.publish_avatar(data)
    info = {"id": digest, "type": media_type, "bytes": len(data)}
    if width and height:
        info.update(width=str(width), height=str(height))  # slixmpp sets attributes as text
    await avatar.publish_avatar_metadata([info])
    return {"hash": digest}


async def clear_pep(client):
    """Publish empty metadata: no avatar (XEP-0084 §4.5)."""
    _load(client, "xep_0084")
    await client.plugin["xep_0084"].stop()
    return {}


async def publish_vcard(client, data, media_type):
    """Put ``data`` in our vCard's PHOTO and announce its hash in presence (XEP-0153 §3.1,
    §4.1): {"hash"}."""
    _load(client, "xep_0054", "xep_0153")
    vcards = client.plugin["xep_0054"]
    if await _absent_is_none(vcards.get_vcard(client.boundjid.bare, cached=False)) is None:
        # mod_vcard has none yet (item-not-found), and xep_0153 reads the old one first.
        await vcards.publish_vcard(vcards.stanza.VCardTemp())
    await client.plugin["xep_0153"].set_avatar(avatar=data, mtype=media_type)
    return {"hash": hashlib.sha1(data).hexdigest()}


async def _absent_is_none(request):
    """The answer to ``request``; None when the server says there is no such node or vCard
    (item-not-found)."""
    try:
        return await request
    except IqError as exc:
        if exc.condition == "item-not-found":
            return None
        raise


def _find(element, path):
    found = element.find(path)
    return None if found is None else (found.text or "")


async def fetch(client, jid):
    """Read ``jid``'s avatar both ways, as another client would: the newest metadata item
    and the data item it names (XEP-0084 §4.1–4.2), and the vCard's PHOTO (XEP-0054).
    {"pep_hash", "pep_type", "pep_b64", "vcard_type", "vcard_b64"}, each null when absent."""
    _load(client, "xep_0084", "xep_0054")
    out = dict.fromkeys(("pep_hash", "pep_type", "pep_b64", "vcard_type", "vcard_b64"))
    meta = await _absent_is_none(client.plugin["xep_0060"].get_items(jid, METADATA_NS,
                                                                     max_items=1))
    info = None if meta is None else meta.xml.find(f".//{{{METADATA_NS}}}info")
    if info is not None:
        out["pep_hash"], out["pep_type"] = info.get("id"), info.get("type")
        item = await client.plugin["xep_0084"].retrieve_avatar(jid, info.get("id"))
        text = _find(item.xml, f".//{{{DATA_NS}}}data")
        if text is not None:
            out["pep_b64"] = base64.b64encode(base64.b64decode("".join(text.split()))).decode()
    vcard = await _absent_is_none(client.plugin["xep_0054"].get_vcard(jid, cached=False))
    photo = None if vcard is None else vcard.xml.find(f".//{{{VCARD_NS}}}PHOTO")
    if photo is not None:
        out["vcard_type"] = _find(photo, f"{{{VCARD_NS}}}TYPE")
        binval = _find(photo, f"{{{VCARD_NS}}}BINVAL")
        if binval:
            out["vcard_b64"] = base64.b64encode(base64.b64decode("".join(binval.split()))).decode()
    return out

