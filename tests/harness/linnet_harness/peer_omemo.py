"""OMEMO (XEP-0384) for the scripted peer, both generations, through slixmpp-omemo and
python-omemo: an implementation independent of Linnet's.

* legacy (``eu.siacs.conversations.axolotl``): slixmpp-omemo's own encrypt_message /
  decrypt_message;
* OMEMO 2 (``urn:xmpp:omemo:2``): slixmpp-omemo 2.2.0 has no SCE (XEP-0420), so this
  module calls python-omemo's session manager with the twomemo backend only and builds /
  parses the SCE envelope itself (docs/omemo-research.md §4, §6).

With ``only`` ("legacy" or "omemo2"; the CLI's ``--omemo-only``) the session manager is
built with that generation's backend alone, like a client that speaks just one
(Conversations / Dino: legacy; Kaidan: OMEMO 2): see :class:`PeerXEP0384`.

State lives in memory only (a fresh device per run). Trust is Blind Trust Before
Verification; nobody is ever asked for a manual decision. Used by
:class:`~linnet_harness.peer_client.Peer` (``omemo=True``); the CLI's commands and events
are documented in :mod:`linnet_harness.peer`.
"""

import asyncio
import base64
import copy
import datetime
import logging
import secrets
import time
import xml.etree.ElementTree as ET

import oldmemo
import oldmemo.etree
import slixmpp.plugins.base
import slixmpp_omemo.xep_0384
import twomemo
import twomemo.etree
import x3dh
import xeddsa
from omemo.session_manager import (DeviceListDownloadFailed, MessageNotForUs, SenderNotFound,
                                   SessionManager, TrustDecisionFailed, UnknownNamespace)
from omemo.storage import Just, Nothing, Storage
from slixmpp import JID
from slixmpp.xmlstream import tostring
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from slixmpp_omemo import XEP_0384

from .peer_events import message_event

log = logging.getLogger("linnet_harness.peer")

NS_LEGACY = oldmemo.oldmemo.NAMESPACE  # eu.siacs.conversations.axolotl
NS_OMEMO2 = twomemo.twomemo.NAMESPACE  # urn:xmpp:omemo:2
GENERATIONS = {"omemo2": NS_OMEMO2, "legacy": NS_LEGACY}  # also the decryption preference
DEVICE_LIST_NODES = {NS_OMEMO2: slixmpp_omemo.xep_0384.TWOMEMO_DEVICE_LIST_NODE,
                     NS_LEGACY: slixmpp_omemo.xep_0384.OLDMEMO_DEVICE_LIST_NODE}
BUNDLE_NODES = {NS_OMEMO2: "urn:xmpp:omemo:2:bundles",  # one item per device id
                NS_LEGACY: f"{NS_LEGACY}.bundles:{{}}"}  # one node per device id, item "current"
# The publish-options slixmpp-omemo uses (its _upload_bundle / _upload_device_list).
DEVICE_LIST_OPTIONS = {"pubsub#access_model": "open", "pubsub#persist_items": "true",
                       "pubsub#max_items": "1"}
BUNDLE_OPTIONS = {NS_OMEMO2: {**DEVICE_LIST_OPTIONS, "pubsub#max_items": "max"},
                  NS_LEGACY: DEVICE_LIST_OPTIONS}
SCE_NS = "urn:xmpp:sce:1"
CLIENT_NS = "jabber:client"
MUC_USER_NS = "http://jabber.org/protocol/muc#user"
TAMPER = ("payload", "key")
FORGE_KINDS = ("bad_signature", "no_bundle")


class MemoryStorage(Storage):
    """python-omemo's key/value storage in a dict (values are JSON-like, copied by Just)."""

    def __init__(self):
        super().__init__(disable_cache=True)  # the dict is the cache
        self._data = {}

    async def _load(self, key):
        return Just(self._data[key]) if key in self._data else Nothing()

    async def _store(self, key, value):
        self._data[key] = value

    async def _delete(self, key):
        self._data.pop(key, None)


class PeerXEP0384(XEP_0384):
    """slixmpp-omemo's plugin with in-memory storage and BTBV, never prompting.

    Config ``only`` (a namespace, default None = both): load only that generation's
    backend. slixmpp-omemo hard-codes both backends in its ``_prepare`` (the
    ``SessionManager.create`` call) and both namespaces in ``refresh_device_lists``,
    ``_subscribe`` and its PEP handler, so for ``only`` this plugin
    * builds its session manager from :func:`_one_generation_session_manager` (a subclass
      of slixmpp-omemo's whose ``create`` drops the other backend, and which ignores
      device-list refreshes and updates for the other namespace instead of raising
      UnknownNamespace);
    * does not subscribe to the other namespace's device-list nodes;
    * drops the other device-list node's +notify (caps), which plugin_init added.

    While ``lists_fresh`` (an omemo_burst's encryption loop) encrypt_message's own
    device-list refresh is skipped: the lists were downloaded just before.
    """

    default_config = {**XEP_0384.default_config, "only": None}

    def plugin_init(self):
        self._memory = MemoryStorage()
        self.lists_fresh = False  # set by PeerOmemo.encrypt_burst: see refresh_device_lists
        super().plugin_init()
        for ns, node in DEVICE_LIST_NODES.items():
            if not self.speaks(ns):  # (xep_0163.remove_interest has a bug: use disco)
                self.xmpp.plugin["xep_0030"].del_feature(feature=f"{node}+notify")

    def speaks(self, namespace):
        """True if this device loads the backend for ``namespace``."""
        return self.only is None or namespace == self.only

    async def _subscribe(self, namespace, jid):
        if self.speaks(namespace):
            await super()._subscribe(namespace, jid)

    async def refresh_device_lists(self, jids, force_download=False):
        # encrypt_message calls this for every message; while lists_fresh (an omemo_burst,
        # whose lists were downloaded just before its loop) that is skipped, so no message
        # waits for a download (it would, each time, for a JID whose device-list node we
        # could not subscribe to).
        if self.lists_fresh and not force_download:
            return
        await super().refresh_device_lists(jids, force_download)

    @property
    def storage(self):
        return self._memory

    @property
    def _btbv_enabled(self):
        return True

    async def _prompt_manual_trust(self, manually_trusted, identifier):
        # With BTBV and no manual decisions this is never reached.
        raise TrustDecisionFailed(f"the scripted peer makes no manual trust decisions "
                                  f"({len(manually_trusted)} device(s))")


_make_session_manager = slixmpp_omemo.xep_0384._make_session_manager  # the original


def _one_generation_session_manager(xmpp, plugin):
    """slixmpp-omemo's ``_make_session_manager``, replaced in its module (so its
    ``_prepare`` calls this): for a :class:`PeerXEP0384` with ``only``, a subclass of its
    session manager class that loads only that namespace's backend; otherwise (other
    plugin instances, in the same process too) the original class unchanged."""
    impl = _make_session_manager(xmpp, plugin)
    only = plugin.only if isinstance(plugin, PeerXEP0384) else None
    if only is None:
        return impl

    class OneGenerationSessionManager(impl):
        @classmethod
        async def create(cls, backends, *args, **kwargs):
            return await super().create([b for b in backends if b.namespace == only],
                                        *args, **kwargs)

        async def refresh_device_list(self, namespace, bare_jid):
            if namespace == only:  # no download for the other generation
                await super().refresh_device_list(namespace, bare_jid)

        async def update_device_list(self, namespace, bare_jid, device_list):
            if namespace == only:
                await super().update_device_list(namespace, bare_jid, device_list)
            else:
                log.debug("ignoring %s device list of %s (--omemo-only)", namespace, bare_jid)

    return OneGenerationSessionManager


slixmpp_omemo.xep_0384._make_session_manager = _one_generation_session_manager


class SceError(ValueError):
    """A decrypted OMEMO 2 payload is not an acceptable XEP-0420 envelope."""


def describe(exc, cause=False):
    """The text of an exception for events and replies: "ClassName: text", with
    " (CauseClass: text)" for the exception it was raised from if ``cause``."""
    text = f"{type(exc).__name__}: {exc}"
    if cause and exc.__cause__ is not None:
        text += f" ({describe(exc.__cause__)})"
    return text


def fingerprint(identity_key):
    """Lower-case hex of the Curve25519 form of an (Ed25519) identity key, as python-omemo
    formats it (without its grouping)."""
    return "".join(SessionManager.format_identity_key(identity_key))


def _now_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_envelope(body, to_bare, from_bare):
    """The UTF-8 bytes of an XEP-0420 envelope carrying ``body`` (OMEMO SCE profile:
    content, rpad, time, to, from)."""
    env = ET.Element(f"{{{SCE_NS}}}envelope")
    content = ET.SubElement(env, f"{{{SCE_NS}}}content")
    ET.SubElement(content, f"{{{CLIENT_NS}}}body").text = body
    # Random padding of random length (never empty: the profile requires the element).
    ET.SubElement(env, f"{{{SCE_NS}}}rpad").text = secrets.token_urlsafe(1 + secrets.randbelow(32))
    ET.SubElement(env, f"{{{SCE_NS}}}time", stamp=_now_stamp())
    ET.SubElement(env, f"{{{SCE_NS}}}to", jid=to_bare)
    ET.SubElement(env, f"{{{SCE_NS}}}from", jid=from_bare)
    return tostring(env).encode("utf-8")


def parse_envelope(plaintext, sender_bare, to_bare=None):
    """The body text (None if <content> has no jabber:client body) of an SCE envelope;
    raises SceError if it is malformed, its <from jid> is not ``sender_bare`` or (if
    ``to_bare`` is given, e.g. the room of a groupchat message) its <to jid> is not
    ``to_bare`` (each is only checked when present)."""
    try:
        env = ET.fromstring(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ET.ParseError) as exc:
        raise SceError(f"payload is not an XML envelope: {exc}") from exc
    if env.tag != f"{{{SCE_NS}}}envelope":
        raise SceError(f"payload root is {env.tag}, not {{{SCE_NS}}}envelope")
    content = env.find(f"{{{SCE_NS}}}content")
    if content is None:
        raise SceError("envelope has no <content/>")
    sender = env.find(f"{{{SCE_NS}}}from")
    if sender is not None and JID(sender.get("jid", "")).bare != sender_bare:
        raise SceError(f"envelope <from jid={sender.get('jid')!r}> is not the sender {sender_bare}")
    recipient = env.find(f"{{{SCE_NS}}}to")
    if to_bare is not None and recipient is not None and \
            JID(recipient.get("jid", "")).bare != to_bare:
        raise SceError(f"envelope <to jid={recipient.get('jid')!r}> is not {to_bare}")
    return _content_body(content)


def _content_body(content):
    """The text of <content/>'s jabber:client <body/> (None if absent); SceError for a
    <body/> in another namespace (XEP-0420: the children keep their own namespaces)."""
    body = content.find(f"{{{CLIENT_NS}}}body")
    if body is not None:
        return body.text or ""
    stray = next((el.tag for el in content if el.tag.rsplit("}", 1)[-1] == "body"), None)
    if stray is not None:
        raise SceError(f"<content/> holds {stray}, not {{{CLIENT_NS}}}body")
    return None


def _generation(msg, spoken=tuple(GENERATIONS)):
    """The generation ("omemo2" or "legacy") of the OMEMO element to decrypt in a message:
    the first of ``spoken`` it carries (OMEMO 2 first), else the first it carries at all;
    None if it has none."""
    carried = [name for name, ns in GENERATIONS.items()
               if msg.xml.find(f"{{{ns}}}encrypted") is not None]
    return next((name for name in carried if name in spoken), carried[0] if carried else None)


def _error_text(err):
    """One of encrypt's non-critical EncryptionErrors as a dict."""
    return {"namespace": err.namespace, "jid": err.bare_jid, "device_id": err.device_id,
            "error": describe(err.exception)}


def _rids(element):
    """The sorted device ids (rid) of all <key/> elements in an OMEMO element's header
    (OMEMO 2: of every <keys jid/>)."""
    ns = element.tag[1:].split("}", 1)[0]
    return sorted(int(key.get("rid")) for key in element.iter(f"{{{ns}}}key"))


def _flip_last_bit(element):
    """Flip the lowest bit of the last byte of an element's base64 text."""
    raw = bytearray(base64.b64decode(element.text or ""))
    if not raw:
        raise ValueError(f"nothing to tamper with: {element.tag} is empty")
    raw[-1] ^= 0x01
    element.text = base64.b64encode(bytes(raw)).decode("ascii")


def tamper(stanza, what):
    """Spoil an encrypted stanza's integrity: ``what`` "payload" flips one bit of the last
    byte of each OMEMO element's <payload/>, "key" of every <key/>'s data."""
    elements = [el for ns in GENERATIONS.values()
                for el in stanza.xml.findall(f"{{{ns}}}encrypted")]
    for element in elements:
        ns = element.tag[1:].split("}", 1)[0]
        targets = ([element.find(f"{{{ns}}}payload")] if what == "payload"
                   else list(element.iter(f"{{{ns}}}key")))
        if not targets or targets[0] is None:
            raise ValueError(f"nothing to tamper with: no {what} in the {ns} element")
        for target in targets:
            _flip_last_bit(target)


def signature_valid(namespace, bundle):
    """True if the bundle's signed-prekey signature verifies under its identity key, as X3DH
    checks it when a session is built (python-omemo's download does not check it)."""
    state = twomemo.twomemo.StateImpl if namespace == NS_OMEMO2 else oldmemo.oldmemo.StateImpl
    inner = bundle.bundle  # x3dh.Bundle; the identity key is in Ed25519 form for both
    return xeddsa.ed25519_verify(
        inner.signed_pre_key_sig, inner.identity_key,
        state._encode_public_key(x3dh.IdentityKeyFormat.CURVE_25519, inner.signed_pre_key))


class BundleSignatureInvalid(ValueError):
    """A downloaded bundle's signed-prekey signature does not verify."""


class PeerOmemo:
    """OMEMO on one slixmpp client: registers the plugin and a handler for encrypted
    messages, and offers the peer's omemo_* operations as coroutines (run them on the
    client's loop). ``emit`` receives the event dicts. ``only`` ("legacy" or "omemo2"):
    speak that generation alone (see the module docstring).

    In rooms (type groupchat) the sender of a message is the occupant's real bare JID,
    learnt from the muc#user <item jid/> of the room's presences (non-anonymous rooms);
    the plaintext of our own groupchat messages is kept by stanza id, so that their
    reflection by the room (not encrypted for this device) is reported as decrypted, as
    slixmpp-omemo does."""

    def __init__(self, client, emit, only=None):
        if only is not None and only not in GENERATIONS:
            raise ValueError(f"only must be 'legacy' or 'omemo2', not {only!r}")
        self.client, self._emit, self.only = client, emit, only
        # The generations this device speaks, in decryption preference order.
        self.generations = {name: ns for name, ns in GENERATIONS.items()
                            if only is None or name == only}
        self._lock = asyncio.Lock()  # one session-manager operation at a time, in order
        self._tasks = set()
        self._occupants = {}  # occupant full JID (room/nick) -> real bare JID
        self._reflections = {}  # stanza id of our groupchat message -> (generation, body)
        slixmpp.plugins.base.register_plugin(PeerXEP0384)
        client.register_plugin("xep_0384", {"only": None if only is None else GENERATIONS[only]})
        client.register_handler(Callback(
            "LinnetOmemo", MatchXPath(f"{{{CLIENT_NS}}}message"), self._on_message))
        client.register_handler(Callback(
            "LinnetOmemoOccupants", MatchXPath(f"{{{CLIENT_NS}}}presence/{{{MUC_USER_NS}}}x"),
            self._on_muc_presence))

    @property
    def xep(self):
        return self.client.plugin["xep_0384"]

    @property
    def own_bare(self):
        return self.client.boundjid.bare

    async def ready(self, timeout):
        """Wait until the plugin published device lists and bundles for the namespaces it
        speaks (both, unless ``only``)."""
        await asyncio.wait_for(asyncio.shield(self.xep.get_session_manager()), timeout)

    def handles(self, msg):
        """True for messages this module turns into events (the peer's plaintext handlers
        skip them): those with an OMEMO element, except errors."""
        return msg["type"] != "error" and _generation(msg) is not None

    def _spoken(self, generation):
        """The namespace of ``generation``; ValueError if unknown or not spoken."""
        if generation not in GENERATIONS:
            raise ValueError(f"generation must be 'legacy' or 'omemo2', not {generation!r}")
        if generation not in self.generations:
            raise ValueError(f"this peer speaks only {self.only} (--omemo-only {self.only}): "
                             f"it cannot encrypt {generation}")
        return GENERATIONS[generation]

    async def _refresh(self, sm, bares):
        """Download the current device lists of ``bares`` (and our own) now."""
        await self.xep.refresh_device_lists({JID(b) for b in bares}, force_download=True)
        for ns in self.generations.values():  # slixmpp-omemo skips our own JID
            try:
                await sm.refresh_device_list(ns, self.own_bare)
            except DeviceListDownloadFailed as exc:
                log.debug("own %s device list: %r", ns, exc)

    # -- commands ----------------------------------------------------------------

    async def info(self):
        """{"device_id", "fingerprint"} of this device."""
        sm = await self.xep.get_session_manager()
        own, _others = await sm.get_own_device_information()
        return {"device_id": own.device_id, "fingerprint": fingerprint(own.identity_key)}

    async def devices(self, jid):
        """Download ``jid``'s device lists for the namespaces this device speaks (feeding
        them to the library too) and each listed device's bundles: {"devices": [...] by
        device id, "list_errors": {namespace: text} for lists that could not be
        downloaded}."""
        bare = JID(jid).bare
        async with self._lock:
            sm = await self.xep.get_session_manager()
            lists, errors = {}, {}
            for ns in self.generations.values():
                try:
                    lists[ns] = await sm._download_device_list(ns, bare)
                except DeviceListDownloadFailed as exc:  # e.g. forbidden: no such node
                    lists[ns], errors[ns] = {}, describe(exc, cause=True)
                    continue
                await sm.update_device_list(ns, bare, lists[ns])
            ids = sorted(set().union(*lists.values()))
            devices = [await self._device(sm, bare, dev, [ns for ns in lists if dev in lists[ns]])
                       for dev in ids]
            return {"devices": devices, "list_errors": errors}

    async def _device(self, sm, bare, device_id, namespaces):
        bundles = {ns: await self._bundle(sm, ns, bare, device_id) for ns in namespaces}
        first = next((b["fingerprint"] for b in bundles.values() if b["fingerprint"]), None)
        return {"device_id": device_id, "namespaces": namespaces, "fingerprint": first,
                "bundles": bundles}

    @staticmethod
    async def _bundle(sm, ns, bare, device_id):
        """{"fingerprint", "error"} of one freshly downloaded (and validated) bundle."""
        try:
            bundle = await sm._download_bundle(ns, bare, device_id)
            if not signature_valid(ns, bundle):
                raise BundleSignatureInvalid("the signed pre key signature does not verify")
        except Exception as exc:  # noqa: BLE001 - reported per bundle
            return {"fingerprint": None, "error": describe(exc, cause=True)}
        return {"fingerprint": fingerprint(bundle.identity_key), "error": None}

    async def encrypt(self, to, body, generation, type="chat", recipients=None, tamper_with=None):
        """An encrypted message stanza (not yet sent) to ``to`` for ``recipients``' bare JIDs
        (default: ``to``'s; required for groupchat) and our other devices, and the
        non-critical errors as dicts. ``tamper_with`` ("payload" or "key") spoils it after
        encryption. Raises if nothing can be encrypted."""
        ns = self._spoken(generation)
        if type not in ("chat", "normal", "groupchat"):
            raise ValueError(f"type must be 'chat', 'normal' or 'groupchat', not {type!r}")
        if tamper_with not in (None, *TAMPER):
            raise ValueError(f"tamper must be 'payload' or 'key', not {tamper_with!r}")
        if recipients is None:
            if type == "groupchat":
                raise ValueError("type groupchat needs \"recipients\" (the bare JIDs to "
                                 "encrypt for; \"to\" is the room)")
            recipients = [to]
        if not isinstance(recipients, list) or not recipients or \
                not all(isinstance(r, str) for r in recipients):
            raise ValueError("recipients must be a non-empty list of JIDs")
        bares = sorted({JID(r).bare for r in recipients})
        async with self._lock:
            sm = await self.xep.get_session_manager()
            # Always download the current lists (no reliance on PEP timing).
            await self._refresh(sm, bares)
            stanza, errors = await self._encrypt_one(sm, to, bares, body, generation, type)
            errors += await self._left_out(sm, ns, bares, errors)
        if tamper_with is not None:
            tamper(stanza, tamper_with)
        return stanza, errors

    async def _encrypt_one(self, sm, to, bares, body, generation, type):
        """One encrypted stanza (holding the lock, lists downloaded) and its non-critical
        errors as dicts: legacy by slixmpp-omemo's encrypt_message, OMEMO 2 with the SCE
        envelope."""
        if generation == "legacy":
            msg = self.client.make_message(mto=to, mbody=body, mtype=type)
            stanza, errors = await self.xep.encrypt_message(msg, {JID(b) for b in bares})
        else:
            stanza, errors = await self._encrypt_omemo2(sm, to, bares, body, type)
        return stanza, [_error_text(e) for e in errors]

    async def encrypt_burst(self, to, count, prefix, generation, stamp, write):
        """omemo_burst (see peer.py): under the lock, download the device lists of ``to``'s
        bare JID and our own once, then encrypt the chat messages prefix0 ..
        prefix{count-1} in order, each into its own stanza kept in memory and passed to
        ``stamp(i, stanza)`` (ids), then ``await write(stanzas)`` (still under the lock, so
        no decryption competes with the writing). Returns (seconds the encryption loop
        took, write's result, the non-critical errors of all messages, deduplicated)."""
        ns = self._spoken(generation)
        bares = [JID(to).bare]
        async with self._lock:
            sm = await self.xep.get_session_manager()
            await self._refresh(sm, bares)
            stanzas, errors = [], {}
            start = time.monotonic()
            self.xep.lists_fresh = True
            try:
                for i in range(count):
                    stanza, errs = await self._encrypt_one(sm, to, bares, f"{prefix}{i}",
                                                           generation, "chat")
                    stamp(i, stanza)
                    stanzas.append(stanza)
                    for err in errs:
                        errors.setdefault(tuple(err.values()), err)
                    # Storage is in memory, so encryption never really waits: let the loop
                    # read the stream (pings, stream-management acks, incoming stanzas).
                    await asyncio.sleep(0)
            finally:
                self.xep.lists_fresh = False
            prepared = time.monotonic() - start
            errors = list(errors.values())
            errors += await self._left_out(sm, ns, bares, errors)
            written = await write(stanzas)
        return prepared, written, errors

    async def _encrypt_omemo2(self, sm, to, bares, body, type):
        envelope = build_envelope(body, JID(to).bare, self.own_bare)
        messages, errors = await sm.encrypt(frozenset(bares), {NS_OMEMO2: envelope},
                                            backend_priority_order=[NS_OMEMO2])
        stanza = self.client.make_message(mto=to, mtype=type)
        for message in messages:
            stanza.append(twomemo.etree.serialize_message(message))
        stanza.enable("store")  # XEP-0334; XEP-0420 0.5: no fallback body
        return stanza, errors

    async def _left_out(self, sm, ns, bares, errors):
        """Errors for the listed, active devices of ``ns`` that python-omemo left out of an
        encryption without a word: those with no known identity key because none of their
        bundles could be downloaded (its get_device_information skips them)."""
        storage = self.xep.storage  # python-omemo's own keys in our MemoryStorage
        own, _ = await sm.get_own_device_information()
        skip = {(e["jid"], e["device_id"]) for e in errors} | {(own.bare_jid, own.device_id)}
        found = []
        for bare in dict.fromkeys([*bares, self.own_bare]):
            listed = (await storage.load_list(f"/devices/{bare}/list", int)).maybe([])
            for device_id in sorted(listed):
                if (bare, device_id) in skip:
                    continue
                active = (await storage.load_dict(f"/devices/{bare}/{device_id}/active",
                                                  bool)).maybe({})
                known = await storage.load_bytes(f"/devices/{bare}/{device_id}/identity_key")
                if active.get(ns) and known.is_nothing:
                    found.append({"namespace": ns, "jid": bare, "device_id": device_id,
                                  "error": "BundleUnavailable: left out by python-omemo: none of "
                                           "its bundles could be downloaded"})
        return found

    async def replace_sessions(self, jid):
        """python-omemo's replace_sessions for every device of ``jid``'s bare JID that the
        session manager knows (after downloading its device lists): {"devices": [ids],
        "replaced": [{"device_id", "namespace"}] (sessions that existed and were replaced),
        "errors": [{"device_id", "namespace", "error"}]}. python-omemo sends each replaced
        session's key exchange itself (an empty message, via slixmpp-omemo's _send_message)."""
        bare = JID(jid).bare
        async with self._lock:
            sm = await self.xep.get_session_manager()
            await self._refresh(sm, [bare])
            own, _ = await sm.get_own_device_information()
            devices = sorted((d for d in await sm.get_device_information(bare)
                              if (d.bare_jid, d.device_id) != (own.bare_jid, own.device_id)),
                             key=lambda d: d.device_id)
            replaced, errors = [], []
            for device in devices:
                had = [ns for ns, length in (await sm.get_sending_chain_length(device)).items()
                       if length is not None]
                failed = await sm.replace_sessions(device)
                replaced += [{"device_id": device.device_id, "namespace": ns}
                             for ns in sorted(had) if ns not in failed]
                errors += [{"device_id": device.device_id, "namespace": ns,
                            "error": describe(exc, cause=True)} for ns, exc in failed.items()]
            return {"devices": [d.device_id for d in devices], "replaced": replaced,
                    "errors": errors}

    async def forge_device(self, generation, device_id, kind):
        """Add ``device_id`` to our own device list of ``generation`` (keeping every entry);
        for kind "bad_signature" also publish as its bundle a copy of ours whose signed
        pre key signature has one bit flipped."""
        ns = self._spoken(generation)
        if kind not in FORGE_KINDS:
            raise ValueError(f"kind must be 'bad_signature' or 'no_bundle', not {kind!r}")
        if isinstance(device_id, bool) or not isinstance(device_id, int) or \
                not 1 <= device_id < 2 ** 31:
            raise ValueError(f"device_id must be an integer in 1 .. 2^31-1, not {device_id!r}")
        xep_0060 = self.client.plugin["xep_0060"]
        etree = twomemo.etree if ns == NS_OMEMO2 else oldmemo.etree
        async with self._lock:
            sm = await self.xep.get_session_manager()
            own, _ = await sm.get_own_device_information()
            if device_id == own.device_id:
                raise ValueError(f"device_id {device_id} is this device's own")
            if kind == "bad_signature":
                element = etree.serialize_bundle(
                    await sm._download_bundle(ns, self.own_bare, own.device_id))
                tag = "spks" if ns == NS_OMEMO2 else "signedPreKeySignature"
                signature = element.find(f"{{{ns}}}{tag}")
                raw = bytearray(base64.b64decode(signature.text))
                raw[0] ^= 0x01  # (not byte 63: legacy keeps the identity key's sign bit there)
                signature.text = base64.b64encode(bytes(raw)).decode("ascii")
                node, item_id = ((BUNDLE_NODES[ns], str(device_id)) if ns == NS_OMEMO2
                                 else (BUNDLE_NODES[ns].format(device_id), "current"))
                await slixmpp_omemo.xep_0384._publish_item_and_configure_node(
                    xep_0060, self.own_bare, node, element, item_id=item_id,
                    options=BUNDLE_OPTIONS[ns])
            # Every current entry is kept (labels too): slixmpp-omemo / python-omemo only
            # re-publish our list when it lacks our own device, so the entry stays.
            device_list = dict(await sm._download_device_list(ns, self.own_bare))
            device_list[device_id] = None
            await slixmpp_omemo.xep_0384._publish_item_and_configure_node(
                xep_0060, self.own_bare, DEVICE_LIST_NODES[ns],
                etree.serialize_device_list(device_list), item_id="current",
                options=DEVICE_LIST_OPTIONS)
        return {}

    def remember_reflection(self, stanza_id, generation, body):
        """Keep the plaintext of our groupchat message ``stanza_id`` for its reflection."""
        self._reflections[stanza_id] = (generation, body)

    # -- incoming ----------------------------------------------------------------

    def _on_muc_presence(self, pres):
        """Record an occupant's real bare JID (muc#user <item jid/>, non-anonymous rooms)."""
        if pres["type"] == "error":
            return
        item = pres.xml.find(f"{{{MUC_USER_NS}}}x/{{{MUC_USER_NS}}}item")
        real = item.get("jid") if item is not None else None
        occupant = str(pres["from"])
        if real:
            self._occupants[occupant] = JID(real).bare
        elif pres["type"] != "unavailable":  # (kept after leaving, for late messages)
            self._occupants.pop(occupant, None)

    def _on_message(self, msg):
        if self.handles(msg):
            task = asyncio.ensure_future(self._decrypt(msg))  # in order: see _lock
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _sender(self, msg):
        """The bare JID whose device sent ``msg``: the occupant's real JID in a room."""
        if msg["type"] != "groupchat":
            return msg["from"].bare
        real = self._occupants.get(str(msg["from"]))
        if real is None:
            raise SenderNotFound(f"no real JID known for occupant {msg['from']} (the room "
                                 f"is anonymous to us, or we have no presence from it)")
        return real

    async def _decrypt(self, msg):
        generation = _generation(msg, self.generations)
        ns = GENERATIONS[generation]
        element = msg.xml.find(f"{{{ns}}}encrypted")
        try:
            if generation not in self.generations:
                raise UnknownNamespace(f"this peer speaks only {self.only} (--omemo-only "
                                       f"{self.only}); the message has only {ns}")
            sender = self._sender(msg)
            async with self._lock:
                try:
                    if generation == "omemo2":
                        body = await self._decrypt_omemo2(msg, sender)
                    elif msg["type"] == "groupchat":
                        body = await self._decrypt_legacy_room(msg, sender)
                    else:
                        body = await self._decrypt_legacy(msg)
                except MessageNotForUs as exc:
                    body = self._reflection(msg, sender, generation, exc)
        except Exception as exc:  # noqa: BLE001 - reported as an event
            log.warning("OMEMO decryption failed: %r", exc)
            self._emit({"event": "omemo_error", "from": str(msg["from"]), "id": msg["id"] or None,
                        "generation": generation, "error": describe(exc)})
            return
        if element.find(f"{{{ns}}}payload") is None:
            self._emit({"event": "omemo_empty", "from": str(msg["from"]),
                        "generation": generation})
            return
        event = message_event(msg)
        event.update(body=body, encrypted=generation, omemo_rids=_rids(element))
        self._emit(event)

    def _reflection(self, msg, sender, generation, not_for_us):
        """The body we sent in our own groupchat message ``msg``, reflected by the room
        (encrypted for the others, not for this device); else raise ``not_for_us``."""
        kept = self._reflections.get(msg["id"]) if msg["type"] == "groupchat" and \
            sender == self.own_bare else None
        if kept is None or kept[0] != generation:
            raise not_for_us
        del self._reflections[msg["id"]]
        return kept[1]

    async def _decrypt_omemo2(self, msg, sender):
        sm = await self.xep.get_session_manager()
        element = msg.xml.find(f"{{{NS_OMEMO2}}}encrypted")
        plaintext, _device, _key = await sm.decrypt(twomemo.etree.parse_message(element, sender))
        room = msg["from"].bare if msg["type"] == "groupchat" else None
        return None if plaintext is None else parse_envelope(plaintext, sender, room)

    async def _decrypt_legacy_room(self, msg, sender):
        # slixmpp-omemo's decrypt_message asks slixmpp's XEP-0045 plugin for the real JID,
        # which knows only rooms joined through it: parse with ours and decrypt directly.
        sm = await self.xep.get_session_manager()
        elements = msg.xml.findall(f"{{{NS_LEGACY}}}encrypted")
        if len(elements) > 1:
            raise ValueError(f"Stanza contains multiple encrypted elements in the {NS_LEGACY} "
                             f"namespace")
        message = await oldmemo.etree.parse_message(elements[0], sender, self.own_bare, sm)
        plaintext, _device, _key = await sm.decrypt(message)
        return None if plaintext is None else (plaintext.decode("utf-8") or None)

    async def _decrypt_legacy(self, msg):
        # slixmpp-omemo would pick an OMEMO 2 element over the legacy one: hand it a copy
        # without those (there are some only when this device speaks legacy alone).
        stanza = copy.copy(msg)
        for element in stanza.xml.findall(f"{{{NS_OMEMO2}}}encrypted"):
            stanza.xml.remove(element)
        decrypted, _device = await self.xep.decrypt_message(stanza)
        return decrypted["body"] or None
