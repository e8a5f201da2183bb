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
import copy
import datetime
import logging
import secrets
import xml.etree.ElementTree as ET

import oldmemo
import slixmpp.plugins.base
import slixmpp_omemo.xep_0384
import twomemo
import twomemo.etree
from omemo.session_manager import (DeviceListDownloadFailed, SessionManager,
                                   TrustDecisionFailed, UnknownNamespace)
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
SCE_NS = "urn:xmpp:sce:1"
CLIENT_NS = "jabber:client"


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
    """

    default_config = {**XEP_0384.default_config, "only": None}

    def plugin_init(self):
        self._memory = MemoryStorage()
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


def parse_envelope(plaintext, sender_bare):
    """The body text (None if <content> has no jabber:client body) of an SCE envelope;
    raises SceError if it is malformed or its <from jid> is not ``sender_bare``."""
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


class PeerOmemo:
    """OMEMO on one slixmpp client: registers the plugin and a handler for encrypted
    messages, and offers the peer's omemo_* operations as coroutines (run them on the
    client's loop). ``emit`` receives the event dicts. ``only`` ("legacy" or "omemo2"):
    speak that generation alone (see the module docstring)."""

    def __init__(self, client, emit, only=None):
        if only is not None and only not in GENERATIONS:
            raise ValueError(f"only must be 'legacy' or 'omemo2', not {only!r}")
        self.client, self._emit, self.only = client, emit, only
        # The generations this device speaks, in decryption preference order.
        self.generations = {name: ns for name, ns in GENERATIONS.items()
                            if only is None or name == only}
        self._lock = asyncio.Lock()  # one session-manager operation at a time, in order
        self._tasks = set()
        slixmpp.plugins.base.register_plugin(PeerXEP0384)
        client.register_plugin("xep_0384", {"only": None if only is None else GENERATIONS[only]})
        client.register_handler(Callback(
            "LinnetOmemo", MatchXPath(f"{{{CLIENT_NS}}}message"), self._on_message))

    @property
    def xep(self):
        return self.client.plugin["xep_0384"]

    async def ready(self, timeout):
        """Wait until the plugin published device lists and bundles for the namespaces it
        speaks (both, unless ``only``)."""
        await asyncio.wait_for(asyncio.shield(self.xep.get_session_manager()), timeout)

    def handles(self, msg):
        """True for messages this module turns into events (the peer's plaintext handlers
        skip them): those with an OMEMO element, except errors."""
        return msg["type"] != "error" and _generation(msg) is not None

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
        except Exception as exc:  # noqa: BLE001 - reported per bundle
            return {"fingerprint": None, "error": describe(exc, cause=True)}
        return {"fingerprint": fingerprint(bundle.identity_key), "error": None}

    async def encrypt(self, to, body, generation, type="chat"):
        """An encrypted message stanza (not yet sent) for ``to``'s bare JID and our other
        devices, and the non-critical errors as dicts. Raises if nothing can be encrypted."""
        if generation not in GENERATIONS:
            raise ValueError(f"generation must be 'legacy' or 'omemo2', not {generation!r}")
        if generation not in self.generations:
            raise ValueError(f"this peer speaks only {self.only} (--omemo-only {self.only}): "
                             f"it cannot encrypt {generation}")
        if type not in ("chat", "normal"):
            raise ValueError(f"type must be 'chat' or 'normal', not {type!r}")
        bare = JID(to).bare
        async with self._lock:
            # Always download the recipient's current lists (no reliance on PEP timing).
            await self.xep.refresh_device_lists({JID(bare)}, force_download=True)
            if generation == "legacy":
                stanza, errors = await self._encrypt_legacy(to, body, type)
            else:
                stanza, errors = await self._encrypt_omemo2(to, bare, body, type)
        return stanza, [_error_text(e) for e in errors]

    async def _encrypt_legacy(self, to, body, type):
        msg = self.client.make_message(mto=to, mbody=body, mtype=type)
        return await self.xep.encrypt_message(msg, JID(JID(to).bare))

    async def _encrypt_omemo2(self, to, bare, body, type):
        sm = await self.xep.get_session_manager()
        envelope = build_envelope(body, bare, self.client.boundjid.bare)
        messages, errors = await sm.encrypt(frozenset({bare}), {NS_OMEMO2: envelope},
                                            backend_priority_order=[NS_OMEMO2])
        stanza = self.client.make_message(mto=to, mtype=type)
        for message in messages:
            stanza.append(twomemo.etree.serialize_message(message))
        stanza.enable("store")  # XEP-0334; XEP-0420 0.5: no fallback body
        return stanza, errors

    # -- incoming ----------------------------------------------------------------

    def _on_message(self, msg):
        if self.handles(msg):
            task = asyncio.ensure_future(self._decrypt(msg))  # in order: see _lock
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _decrypt(self, msg):
        generation = _generation(msg, self.generations)
        ns = GENERATIONS[generation]
        sender = msg["from"].bare
        try:
            if generation not in self.generations:
                raise UnknownNamespace(f"this peer speaks only {self.only} (--omemo-only "
                                       f"{self.only}); the message has only {ns}")
            async with self._lock:
                if generation == "omemo2":
                    body = await self._decrypt_omemo2(msg, sender)
                else:
                    body = await self._decrypt_legacy(msg)
        except Exception as exc:  # noqa: BLE001 - reported as an event
            log.warning("OMEMO decryption failed: %r", exc)
            self._emit({"event": "omemo_error", "from": str(msg["from"]),
                        "generation": generation, "error": describe(exc)})
            return
        if msg.xml.find(f"{{{ns}}}encrypted/{{{ns}}}payload") is None:
            self._emit({"event": "omemo_empty", "from": str(msg["from"]),
                        "generation": generation})
            return
        event = message_event(msg)
        event.update(body=body, encrypted=generation)
        self._emit(event)

    async def _decrypt_omemo2(self, msg, sender):
        sm = await self.xep.get_session_manager()
        element = msg.xml.find(f"{{{NS_OMEMO2}}}encrypted")
        plaintext, _device, _key = await sm.decrypt(twomemo.etree.parse_message(element, sender))
        return None if plaintext is None else parse_envelope(plaintext, sender)

    async def _decrypt_legacy(self, msg):
        # slixmpp-omemo would pick an OMEMO 2 element over the legacy one: hand it a copy
        # without those (there are some only when this device speaks legacy alone).
        stanza = copy.copy(msg)
        for element in stanza.xml.findall(f"{{{NS_OMEMO2}}}encrypted"):
            stanza.xml.remove(element)
        decrypted, _device = await self.xep.decrypt_message(stanza)
        return decrypted["body"] or None
