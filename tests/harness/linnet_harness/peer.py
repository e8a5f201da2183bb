"""CLI: a scripted slixmpp XMPP peer driven by JSON lines on stdin/stdout.

    python -m linnet_harness.peer --jid bob@localhost --password pw \\
        --host 127.0.0.1 --port N --ca ca.pem [--resource r] [--auto-accept] [--direct-tls]
        [--stream-management] [--null-receiver] [--answer-receipts] [--omemo]
        [--omemo-only legacy|omemo2] [--s5b]

Run with ``tests/harness`` on PYTHONPATH (or as the working directory).
Logs in (STARTTLS, or direct TLS with --direct-tls and the server's tls_port),
verifying the server against --ca, fetches the roster, sends presence, then
prints {"event":"online","jid":FULLJID}; on failure prints
{"event":"error","message":...} and exits 1 (within about 15 s).
--stream-management: XEP-0198 is enabled before "online" (login fails without it).
--null-receiver (for benchmarks): receives only: chat messages are counted, not
printed as events (see "received"), and receipt requests are not answered;
pings (XEP-0199) still are.
--answer-receipts (with --null-receiver): receipt requests are answered (XEP-0184). Body-less messages (chat states, reactions) are
neither counted nor printed.
--omemo: OMEMO (XEP-0384), legacy (eu.siacs.conversations.axolotl) and OMEMO 2
(urn:xmpp:omemo:2), by slixmpp-omemo 2.2 / python-omemo 2.1 (independent of Linnet): a new
device with in-memory state, Blind Trust Before Verification, never a manual trust
decision. "online" comes only once its device lists and bundles are published for both
namespaces (a failure there is a login error). slixmpp-omemo publishes with
publish-options access_model=open, persist_items=true and max_items=max (OMEMO 2 bundles,
one item per device id) or 1 (device lists, legacy bundles), reconfigures the node on
precondition-not-met and silently retries without max_items on any other refusal; after
using up a prekey it republishes its bundle. It subscribes to the device-list nodes of
JIDs it encrypts for unless the subscription is "both" (then it relies on PEP +notify).
It loads slixmpp's XEP-0060/0163/0115/0280 plugins too, so its presence carries entity
caps (+notify for both device-list nodes); carbons are not enabled. Adds the omemo_*
commands and events below; without it nothing changes.
--omemo-only legacy|omemo2 (implies --omemo): the device speaks that generation alone, like
Conversations or Dino (legacy) or Kaidan (OMEMO 2): python-omemo's session manager is
built with that backend only, so the device list and bundle of that namespace alone are
published ("online" waits for those), and the other generation's device lists are never
downloaded, subscribed to or fed to the library, nor is their +notify in the caps.
omemo_send with the other generation and omemo_devices / decryption are restricted as
described below; everything else is as with --omemo. (peer_omemo replaces slixmpp-omemo's
private _make_session_manager in its module by one that changes nothing for --omemo.)

Events (printed as they happen):
  {"event":"message","from","to","type","body","id","origin_id","stanza_id",
   "receipt_request":bool,"markable":bool (XEP-0333),
   "direct_invite","invite_reason","invite_password" (XEP-0249, else null),
   "oob_url","oob_desc" (XEP-0066 <x xmlns='jabber:x:oob'><url/><desc/></x>, parsed by
        slixmpp's xep_0066 stanza; each null when absent),
   "sfs":{"name","size","media_type","sha256_b64","width","height","urls":[URL],
        "thumbnail":{"uri","media_type","width","height","data_b64"}|null} (XEP-0447
        <file-sharing/> with its XEP-0446 <file/>, read from the XML; the XEP-0264 thumbnail's
        data is the XEP-0231 <data/> of the message its cid: URI names, read by slixmpp's
        xep_0231 stanza, else null; null when absent),
   "replace":ID (XEP-0308: corrects the message with stanza id ID),
   "reactions":{"id":ID,"emojis":[E,...]} (XEP-0444: the sender's full set, in order;
        [] = cleared),
   "retract":ID (XEP-0424 urn:xmpp:message-retract:1; by the sender, or by the room),
   "moderated":{"by":JID|null,"reason":TEXT|null} (XEP-0425 urn:xmpp:message-moderate:1:
        the room retracts ID on a moderator's behalf; "retract" holds ID),
   "reply":{"id":ID,"to":JID|null} (XEP-0461),
   "fallback_stripped_body":TEXT (a reply's body without its XEP-0428 quoted fallback;
        null when the message has no fallback for urn:xmpp:reply:0),
   "chat_state":"active"|"composing"|"paused"|"inactive"|"gone" (XEP-0085),
   "occupant_id":ID (XEP-0421, set by the room),
   "encrypted":"legacy"|"omemo2" (--omemo: "body" is the decrypted text; null when the
        message was not decrypted; the generation actually decrypted when the stanza had
        both)
   [,"error":condition for type error]}
        Facets are parsed by slixmpp's own plugins; each is null when absent. A message
        without a body is an event too (body null) when it carries a chat state,
        reactions, a retraction, a correction or a direct invitation.
  {"event":"marker","from","displayed":ID}          (XEP-0333 <displayed/>)
  {"event":"invite","room","from","reason"}          (XEP-0045 mediated invitation)
  {"event":"presence","from","type":"available|unavailable|subscribe|...","show","status"}
  {"event":"roster","items":[{"jid","subscription","name","ask"}]}   (roster pushes)
  {"event":"receipt","from","id"}                                   (XEP-0184)
  {"event":"stream_error","condition","text"}          (after online, e.g. conflict)
  {"event":"disconnected","reason"}                    (stream closed after online)
  --omemo only. A message carrying {eu.siacs.conversations.axolotl}encrypted or
  {urn:xmpp:omemo:2}encrypted (OMEMO 2 wins when both are there; any type but error) is
  decrypted and gives exactly one of (with --omemo-only the element of that generation is
  the one decrypted, whatever else the message carries; one carrying only the other
  generation gives omemo_error with "UnknownNamespace: this peer speaks only ..." and
  no message event):
  {"event":"message",...,"body":TEXT,"encrypted":"legacy"|"omemo2","omemo_rids":[N,...]}
        the usual fields of the outer stanza with the decrypted body (OMEMO 2: the
        jabber:client <body/> in the XEP-0420 envelope's <content/>, null if none; the
        envelope's <from jid/>, if present, must be the sender's bare JID, and in a room
        its <to jid/>, if present, the room's bare JID). "omemo_rids": the sorted device
        ids (rid) of all <key/> elements in the header of the element decrypted (OMEMO 2:
        of every <keys jid/>, whoever's), duplicates kept: whom the sender encrypted for,
        e.g. its own other devices too. Only decrypted message events carry it.
  {"event":"omemo_empty","from","generation":"legacy"|"omemo2"}  no <payload/>: session
        completion / heartbeat (python-omemo sends these itself, see below)
  {"event":"omemo_error","from","id","generation","error":"ExceptionClassName: text"}
        (e.g. SenderNotFound, NoSession, DecryptionFailed (also for a tampered payload
        or key, and for a replayed copy), XMLSchema*ValidationError, SceError for a bad
        envelope); "id": the stanza's id attribute (null if none)
  Decryption may make the peer send empty OMEMO messages by itself (after each received
  message that carries a key exchange, and after each one that makes its receiving chain
  longer than 53): a <message> with no type attribute to the sender's bare JID with the
  OMEMO element and <store xmlns='urn:xmpp:hints'/> only.
  Rooms (type groupchat): the sender is the occupant's real bare JID, which the peer
  records from every MUC presence it receives (muc#user <item jid/>, i.e. non-anonymous
  rooms, or rooms where it is a moderator), by occupant full JID (room/nick; kept after
  the occupant leaves). Legacy is then parsed with oldmemo's etree and decrypted by the
  session manager directly (slixmpp-omemo's decrypt_message would ask slixmpp's XEP-0045
  plugin, which knows only rooms joined through it). An occupant with no known real JID
  gives omemo_error "SenderNotFound: no real JID known for occupant ROOM/NICK ...". The
  room's reflection of the peer's own groupchat omemo_send (not encrypted for this
  device) is a message event with the body it sent, as slixmpp-omemo does (the plaintext
  is kept by stanza id); the empty messages above go to the real bare JID.
Absent values are null. Receipt requests are answered automatically.

Commands ("id" is echoed; replies {"id","ok":true,...} or {"id","ok":false,"error"}):
  send {to, body, type="chat", msg_id?, request_receipt?=false, oob_url?, oob_desc?, sfs?}
                                                  -> {"id":..,"ok":true,"msg_id":ID}
        (msg_id: the message stanza's id attribute, also used as its origin-id;
         "id" is taken by the command id, "stanza_id" means XEP-0359's server id)
        sfs {data_b64, urls:[URL], name?, media_type?}: the message also carries XEP-0447
        Stateless File Sharing built by slixmpp's xep_0447 get_sfs: XEP-0446 <file/> with
        the name, media type, size and XEP-0300 hash computed from the decoded data (which
        need not be what the URLs hold: a test can lie), <sources/> with url-data per URL.
        oob_url: the message also carries XEP-0066 Out-of-Band Data, built by slixmpp's
        xep_0066 stanza: <x xmlns='jabber:x:oob'><url>oob_url</url>[<desc>oob_desc</desc>]
        </x> (the body is sent as given; clients show the URL as a file when the body is
        the URL itself). oob_desc without oob_url -> ok:false.
  burst {to, count, prefix="m", request_receipt?=false, id_prefix?}
                                                  -> {.., "count":N} once all written
        (bodies prefix0 .. prefix{count-1}; with id_prefix the stanza ids are
         id_prefix0 .. id_prefix{count-1}, so the last receipt event names
         id_prefix{count-1})
  received                        -> {.., "count":N, "last_body":B|null}  (--null-receiver:
        chat messages received so far)
  subscribe {to} | approve {to} | deny {to} | unsubscribe {to}
  presence {show?, status?, type?}
  raw {xml}                                                  send raw XML
  roster                                                     -> {.., "items":[...]}
  iq {to, xml, type="get"|"set", timeout?=10}  send <iq type to> with the payload
        element xml, e.g. "<query xmlns='http://jabber.org/protocol/disco#info'/>"
        -> {.., "type":"result"|"error", "xml":"<iq xmlns='jabber:client' ...>...</iq>",
            "error":CONDITION|null}   (xml is the whole answer stanza; an error
        answer is still ok:true; no answer within timeout s, bad type or
        malformed xml -> ok:false)
  Message facets, built by slixmpp's own plugins (an implementation independent of Linnet).
  "target_id" is the stanza id of the message acted on ("id" is the command id): the
  original's id (or origin-id) in 1:1 chats, its stanza-id (XEP-0359, by the room) in
  rooms. type is "chat" (default) or "groupchat" (then "to" is the room's bare JID; the
  peer enters rooms with join, or raw presence). Each sends one message and replies
  {.., "msg_id":ID} (its stanza id, also its origin-id; msg_id? chooses it):
  correct {to, target_id, body, type?, msg_id?}          XEP-0308 <replace id=target_id/>
  react {to, target_id, emojis:[E,...], type?, msg_id?}  XEP-0444: our full set for the
        message ([] clears it); any strings, emoji or not; with a store hint
  retract {to, target_id, type?}         XEP-0424 (urn:xmpp:message-retract:1): exactly
        slixmpp's send_retraction (fallback body + <fallback/>, store hint, its own id,
        no origin-id)
  reply {to, target_id, reply_to, body, quote?, quote_nick?, type?, msg_id?}
        XEP-0461 <reply to=reply_to (JID the original came from) id=target_id/>; with
        quote, the body is prefixed with slixmpp's quoted fallback (XEP-0428,
        add_quoted_fallback): "> quote_nick:\\n" (if given) + "> " + each quote line +
        "\\n", marked <fallback for='urn:xmpp:reply:0'><body start=0 end=N/></fallback>
  chat_state {to, state, type?, msg_id?}  XEP-0085 standalone notification (no body);
        state active|composing|paused|inactive|gone
  moderate {room, target_id, reason?, timeout?=10}  XEP-0425 (urn:xmpp:message-moderate:1)
        IQ set to the room for its message with stanza-id target_id
        -> {.., "type":"result"|"error", "error":CONDITION|null} (an error answer is
        still ok:true; no answer within timeout s -> ok:false)
  Rooms (XEP-0045; without --omemo too):
  join {room, nick, password?, history?, timeout?=10}  presence to room/nick with
        <x xmlns='http://jabber.org/protocol/muc'/> (+ <password/>, + <history
        maxstanzas=history/> if given; else the room's default history)
        -> {.., "occupant":ROOM/NICK, "status_codes":[N,...], "error":CONDITION|null}
        once the room answers: its self-presence (status 110; 201 = room created, 100 =
        real JIDs visible to all) or an error presence (still ok:true, e.g. error
        "registration-required" for a members-only room, "conflict" for a nick in use);
        no answer within timeout s -> ok:false. Occupants' presences are events as usual.
  configure_room {room, fields:{var: value|[values]}, timeout?=10}  submits the owner
        configuration form (muc#owner, FORM_TYPE muc#roomconfig) with just those fields
        (true/false -> "1"/"0"; Prosody keeps the others), e.g. {"muc#roomconfig_membersonly":
        "1", "muc#roomconfig_whois":"anyone", "muc#roomconfig_persistentroom":"1"}
        -> {.., "type":"result"|"error", "error":CONDITION|null} (an error answer is still
        ok:true; no answer within timeout s -> ok:false)
  set_affiliation {room, jid, affiliation, reason?, timeout?=10}  muc#admin <item
        affiliation jid/> (owner|admin|member|outcast|none) -> {.., "type", "error"} as
        configure_room (Prosody: "not-allowed" for a member's attempt)
  Files (XEP-0363 HTTP File Upload, XEP-0454 encryption; without --omemo too):
  upload {filename, data_b64, content_type?="application/octet-stream", service?,
        timeout?=30} -> {.., "url":GET_URL, "size":N, "sha256_b64":B64}
        Uploads the base64-decoded data_b64 as it is: requests a slot (urn:xmpp:http:upload:0
        <request filename size=N content-type/>, built by hand: slixmpp's xep_0363 plugin
        needs aiohttp) from service (default: the server's upload service, found by disco:
        the first of the domain's items with identity store/file and that feature,
        upload.localhost with the harness), PUTs the bytes to the slot's put URL with the
        slot's headers and Content-Type content_type (urllib, TLS verified against --ca
        only). "url": the slot's get URL, http or https as the server gives it (https with
        the server's --upload-https); N: the data's length; B64: base64 of its SHA-256 (the
        XEP-0300 <hash algo='sha-256'/> form). ok:false with the reason for no slot
        ("no upload slot from JID: CONDITION (text)", plus "; NAME" for a XEP-0363
        application condition, e.g. Prosody's "not-acceptable (File too large);
        file-too-large (max N bytes)" for more than the server's --upload-limit) or an
        HTTP error status of the PUT ("PUT URL failed: HTTP N ...").
  upload_encrypted {filename, data_b64, service?, timeout?=30}
        -> {.., "url":"aesgcm://HOST:PORT/...#<iv><key>", "https":"https://HOST:PORT/...",
            "size":N}
        Encrypts the base64-decoded data_b64 exactly as XEP-0454 says, with slixmpp's own
        XEP_0454.encrypt (AES-256-GCM, fresh random 12-byte IV and 32-byte key, the 16-byte
        tag appended to the ciphertext); requests a slot (urn:xmpp:http:upload:0 <request
        filename size=N content-type='application/octet-stream'/>, built by hand: slixmpp's
        xep_0363 plugin needs aiohttp) from service (default: the server's upload service,
        found by disco: the first of the domain's items with identity store/file and that
        feature, upload.localhost with the harness), PUTs the ciphertext to the slot's put
        URL with the slot's headers and Content-Type application/octet-stream (urllib, TLS
        verified against --ca only). "url": XEP_0454.format_url(get URL, fragment), the
        fragment being 24 hex digits of IV then 64 of key (lower case); "https": the slot's
        get URL; N: the ciphertext's length (plaintext + 16). ok:false with the reason for
        no slot (as for upload), a get URL that is not https (the server needs
        --upload-https; checked before the PUT, so nothing is uploaded), or an HTTP error
        status of the PUT.
  fetch {url, timeout?=30} -> {.., "status":N, "data_b64":B64}  GET url (TLS verified
        against --ca only); an HTTP error status is still ok:true (with its body).
  slot {filename, size, content_type?="application/octet-stream", service?, timeout?=30}
        -> {.., "put":URL, "headers":{NAME:VALUE}, "get":URL}  only the XEP-0363 slot
        request (as upload does it; nothing is PUT), for another program (curl in the
        file_transfer benchmark) to upload to; ok:false as upload for no slot.
  fetch_encrypted {url, timeout?=30} -> {.., "data_b64":B64}  url: an aesgcm:// link
        (XEP-0454); GETs its https:// form and decrypts it with slixmpp's XEP_0454.decrypt
        (IV and key from the fragment, GCM tag checked). ok:false for another scheme, an
        HTTP error status or a failed decryption.
  Jingle file transfer over IBB (XEP-0234/0261; signalling from the XEPs' examples,
  bytes by slixmpp's xep_0047; linnet_harness/peer_jingle.py):
  jingle_send {to:FULLJID, name, data_b64, media_type?, sha256_b64?, block_size?=4096,
        cancel_after?:BYTES, transport?="ibb"|"s5b", connect?=true, timeout?=60}
        -> {.., "sid", "outcome", "sent", "transport"}  offers the file and sends it once
        accepted; outcome: the reason of the session-terminate that ended it ("success",
        "decline", ...) or "cancelled" (we cancelled after cancel_after). "s5b" (with --s5b):
        the server's proxy (mod_proxy65) as our candidate (slixmpp's xep_0065), the other
        side's tried unless connect is false, IBB by transport-replace when none connects;
        "transport" says what carried it: "ibb", "s5b-direct" or "s5b-proxy".
  jingle_accept {sid, cancel_after?:BYTES, connect?=true, offer_candidates?=true}  accepts
        an offer; a "jingle_received" event follows (or, with cancel_after, a
        "jingle_progress" and a cancel). Over S5B the peer offers the proxy (unless
        offer_candidates is false) and tries the sender's candidates (unless connect is
        false).
  jingle_decline {sid} / jingle_cancel {sid}  session-terminate decline / cancel.
  Events: jingle_offer {sid, from, name, size, media_type, sha256_b64, ibb_sid, block_size},
        jingle_received {sid, size, sha256_b64, data_b64 (up to 1 MiB, else null)},
        jingle_terminate {sid, reason, text}, jingle_progress {sid, received},
        jingle_error {sid, message}.
  OMEMO (--omemo; else ok:false):
  omemo_info -> {.., "device_id":N, "fingerprint":HEX}  HEX: lower-case hex of the
        32-byte Curve25519 (Montgomery) form of the identity key (python-omemo's fingerprint)
  omemo_devices {jid} -> {.., "devices":[{"device_id":N, "namespaces":[NS,...],
        "fingerprint":HEX|null, "bundles":{NS:{"fingerprint":HEX|null, "error":TEXT|null}}}],
        "list_errors":{NS:TEXT}}
        Downloads jid's device lists for both namespaces now (with --omemo-only: for
        that namespace alone; the other is neither shown nor in "list_errors") and
        gives them to the library, then each listed device's bundle per namespace it is
        listed in (python-omemo's parse and schema checks, then the signed pre key's
        signature, as X3DH checks it when a session is built: "BundleSignatureInvalid:
        ..." if it does not verify; "error" is then set and "fingerprint" null). Sorted
        by device id; NS is "urn:xmpp:omemo:2" or "eu.siacs.conversations.axolotl"; "fingerprint"
        is the first bundle's that worked (OMEMO 2 first), null if none did. A list that cannot
        be downloaded counts as empty and is named in "list_errors" (Prosody answers
        forbidden, not item-not-found, for another account's node that does not exist).
        Works for the peer's own bare JID too (its own device is listed then).
  omemo_send {to, body, generation:"legacy"|"omemo2", type?="chat"|"normal"|"groupchat",
        msg_id?, recipients?:[JID,...], tamper?:"payload"|"key", copies?=1}
        -> {.., "msg_id":ID, "msg_ids":[ID,...], "errors":[{"namespace","jid","device_id",
        "error"}]}
        Encrypts body for the bare JIDs of recipients (default: the bare JID of "to";
        required for type "groupchat", where "to" is the room's bare JID: ValueError
        without it) -- all their devices of that generation -- and the peer's own other
        devices, after downloading their device lists and its own afresh; sends it to
        "to" with msg_id (also its origin-id). "errors": devices skipped: python-omemo's
        non-critical errors (e.g. "KeyExchangeFailed: ..." for a bundle whose signature
        does not verify, "BundleNotFound: ..."), plus "BundleUnavailable: ..." for each
        listed, active device of that generation that python-omemo left out silently
        because none of its bundles could be downloaded; ok:false when nothing could be
        encrypted (e.g. NoEligibleDevices: no device of that generation).
        tamper: after encrypting, flips the lowest bit of the last byte of the
        base64-decoded <payload/> ("payload") or of every <key/>'s data ("key") and
        re-encodes it, so the receiver's integrity check fails (DecryptionFailed).
        copies: sends the identical encrypted element that many times, each as its own
        <message> with a fresh stanza id (also its origin-id; the first is msg_id if
        given): "msg_ids" lists them in order, "msg_id" is the first (a replay: the
        receiver decrypts the first; a later copy gives omemo_error DecryptionFailed).
        With --omemo-only, the other generation is refused: ok:false, "ValueError: this
        peer speaks only legacy (--omemo-only legacy): it cannot encrypt omemo2" (or the
        reverse). legacy: slixmpp-omemo's encrypt_message (fallback body "This message is
        OMEMO encrypted.", <store/>).
        omemo2: python-omemo with the twomemo backend only; payload = XEP-0420 envelope
        <content><body xmlns='jabber:client'/></content><rpad/><time stamp/><to jid=bare
        to (the room for groupchat)/><from jid=own bare/>; the stanza has the OMEMO
        element and <store/>, no body.
  omemo_burst {to, count, generation:"legacy"|"omemo2", prefix?="m", id_prefix?,
        timeout?=3600} -> {.., "count":N, "prepared_s":F, "written_s":F, "errors":[...]}
        For benchmarks, the OMEMO twin of burst: first downloads the device lists of the
        bare JID of "to" and the peer's own (once), then encrypts count chat messages, in
        order (bodies prefix0 .. prefix{count-1}), each its own OMEMO message of that
        generation for the devices of "to"'s bare JID and the peer's own other devices,
        built exactly as omemo_send builds them (legacy: encrypt_message, whose own
        device-list refresh is skipped meanwhile; omemo2: the SCE envelope), keeping the
        stanzas in memory; only then writes them all to the stream as burst does.
        prepared_s: seconds the encryption took (not the download); written_s: from the
        first write until all were written (as burst decides it). Stanza ids (and
        origin-ids): id_prefix0 .. id_prefix{count-1} with id_prefix, else random.
        "errors": as omemo_send's, of all messages, deduplicated. The session-manager lock
        is held throughout: received OMEMO messages are decrypted (and become events) only
        after the last write, in order. Without a confirmed session, every message carries
        the key exchange (python-omemo repeats it until the other device answers; send
        one omemo_send first and await its omemo_empty if that matters), and all are on
        one sending chain: a python-omemo receiver answers each key exchange, and each
        message past the 53rd of the chain, with an empty message. Not done within
        timeout s: ok:false, and the operation is cancelled (what was written stays
        written). ok:false as omemo_send for a bad or (--omemo-only) refused generation or
        nothing to encrypt for (NoEligibleDevices), and for a count that is not >= 1.
  omemo_replace_sessions {jid} -> {.., "devices":[N,...], "replaced":[{"device_id",
        "namespace"}], "errors":[{"device_id","namespace","error"}]}
        Downloads the device lists of jid's bare JID, then calls python-omemo's
        SessionManager.replace_sessions for every device of it the session manager knows
        ("devices", sorted; never this device itself). "replaced": the sessions that
        existed and were replaced; python-omemo sends each new session's key exchange
        itself, as an empty message through slixmpp-omemo's _send_message (no type, to
        the bare JID, <store/>), which the other side answers with one of its own: both
        see omemo_empty. (A peer whose session broke and who re-keys.)
  omemo_forge_device {generation:"legacy"|"omemo2", device_id:N, kind:"bad_signature"|
        "no_bundle"} -> {..}
        Publishes to the peer's own PEP a device list of that generation with all current
        entries (labels too) plus device_id (legacy: node
        eu.siacs.conversations.axolotl.devicelist, item "current", <list
        xmlns='eu.siacs.conversations.axolotl'><device id/></list>; OMEMO 2: node
        urn:xmpp:omemo:2:devices, item "current", <devices xmlns='urn:xmpp:omemo:2'><device
        id/></devices>), with slixmpp-omemo's publish-options (access_model open,
        persist_items, max_items 1). bad_signature: first also publishes as device_id's
        bundle a copy of the peer's own bundle of that generation whose signed pre key
        signature has the lowest bit of its first byte flipped (legacy: node
        eu.siacs.conversations.axolotl.bundles:<device_id>, item "current", max_items 1;
        OMEMO 2: node urn:xmpp:omemo:2:bundles, item "<device_id>", max_items max).
        no_bundle: no bundle. The entry stays: slixmpp-omemo / python-omemo re-publish
        the peer's own list only when it lacks its own device, and keep the other
        entries then. (A forged device-list item: a receiver must skip that device; the
        peer's own omemo_send skips it too and names it in "errors".) ValueError for the
        peer's own device id, an id outside 1 .. 2^31-1, or (--omemo-only) the other
        generation.
  avatar_publish {data_b64, media_type?="image/png", width?, height?}
                                                             XEP-0084 by slixmpp's xep_0084: data
        item named by the SHA-1, then metadata -> {"hash"}
  avatar_clear                                               empty metadata (no avatar, §4.5)
  avatar_vcard {data_b64, media_type?}                       XEP-0153 by slixmpp's xep_0153: the
        vCard's PHOTO set and the hash sent in presence from now on -> {"hash"}
  avatar_fetch {jid}                                         JID's avatar read both ways ->
        {"pep_hash","pep_type","pep_b64","vcard_type","vcard_b64"} (null when absent)
  profile_publish {full_name?, nickname?, email?, phone?, note?}
                                                             vCard4 by slixmpp's xep_0292 (PEP
        item "current") -> {}
  profile_vcard {full_name?, nickname?, email?, phone?, note?}
                                                             vcard-temp by slixmpp's xep_0054
  nick_publish {nick | null}                                 XEP-0172 by slixmpp's xep_0172 (null:
        the empty nick, §4.5)
  software {name, version, os?}                              answer XEP-0092 version requests so
  profile_fetch {jid}                                        JID's profile read three ways ->
        {"vcard4": {full_name,nickname,email,phone,note} | null,
         "vcard_temp": {... , has_photo} | null, "nick": str | null}
  disconnect                                                 close stream, then exit 0
With --auto-accept, subscription requests are approved and returned.
stdin EOF, SIGTERM or SIGINT: disconnect cleanly and exit 0.
"""

import argparse
import base64
import logging
import signal
import sys

from . import peer_avatar, peer_profile
from .jsonio import emit, read_commands, reply, setup_logging
from .peer_client import Peer, PeerError

log = logging.getLogger("linnet_harness.peer")


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(signum)


FACET_COMMANDS = ("correct", "react", "retract", "reply", "chat_state", "moderate")


def _target(cmd):
    """The stanza id a facet command acts on ("id" is the command's own id)."""
    if "target_id" not in cmd:
        raise ValueError("missing field 'target_id' (the stanza id of the message acted on; "
                         "\"id\" is the command id)")
    return cmd["target_id"]


def _facet(peer, name, cmd):
    """correct, react, retract, reply, chat_state, moderate (see the module docstring)."""
    kind, msg_id = cmd.get("type", "chat"), cmd.get("msg_id")
    if kind not in ("chat", "groupchat"):
        raise ValueError(f"type must be 'chat' or 'groupchat', not {kind!r}")
    if name == "correct":
        sid = peer.correct(cmd["to"], _target(cmd), cmd["body"], type=kind, msg_id=msg_id)
    elif name == "react":
        emojis = cmd["emojis"]
        if not isinstance(emojis, list) or not all(isinstance(e, str) for e in emojis):
            raise ValueError("emojis must be a list of strings")
        sid = peer.react(cmd["to"], _target(cmd), emojis, type=kind, msg_id=msg_id)
    elif name == "retract":
        sid = peer.retract(cmd["to"], _target(cmd), type=kind)
    elif name == "reply":
        sid = peer.reply(cmd["to"], _target(cmd), cmd["reply_to"], cmd["body"],
                         quote=cmd.get("quote"), quote_nick=cmd.get("quote_nick"),
                         type=kind, msg_id=msg_id)
    elif name == "chat_state":
        sid = peer.chat_state(cmd["to"], cmd["state"], type=kind, msg_id=msg_id)
    else:  # moderate
        return peer.moderate(cmd["room"], _target(cmd), reason=cmd.get("reason"),
                             timeout=float(cmd.get("timeout", 10.0)))
    return {"msg_id": sid}


OMEMO_COMMANDS = ("omemo_info", "omemo_devices", "omemo_send", "omemo_burst",
                  "omemo_replace_sessions", "omemo_forge_device")


def _sfs(spec):
    """The ``sfs`` of a send command with its data decoded (None when not given)."""
    if spec is None:
        return None
    out = {**spec, "data": base64.b64decode(spec["data_b64"])}
    thumb = spec.get("thumbnail")
    if thumb is not None:
        out["thumbnail"] = {**thumb, "data": base64.b64decode(thumb["data_b64"])}
    return out


def _omemo(peer, name, cmd):
    """omemo_info, omemo_devices, omemo_send, omemo_burst, omemo_replace_sessions,
    omemo_forge_device (see the module docstring)."""
    if name == "omemo_info":
        return peer.omemo_info()
    if name == "omemo_burst":
        return peer.omemo_burst(cmd["to"], cmd["count"], cmd.get("prefix", "m"),
                                cmd["generation"], id_prefix=cmd.get("id_prefix"),
                                timeout=float(cmd.get("timeout", 3600.0)))
    if name == "omemo_devices":
        return peer.omemo_devices(cmd["jid"])
    if name == "omemo_replace_sessions":
        return peer.omemo_replace_sessions(cmd["jid"])
    if name == "omemo_forge_device":
        return peer.omemo_forge_device(cmd["generation"], cmd["device_id"], cmd["kind"])
    return peer.omemo_send(cmd["to"], cmd["body"], cmd["generation"],
                           type=cmd.get("type", "chat"), msg_id=cmd.get("msg_id"),
                           tamper=cmd.get("tamper"), copies=cmd.get("copies", 1),
                           recipients=cmd.get("recipients"))


ROOM_COMMANDS = ("join", "configure_room", "set_affiliation")


def _room(peer, name, cmd):
    """join, configure_room, set_affiliation (see the module docstring)."""
    timeout = float(cmd.get("timeout", 10.0))
    if name == "join":
        return peer.join(cmd["room"], cmd["nick"], password=cmd.get("password"),
                         history=cmd.get("history"), timeout=timeout)
    if name == "configure_room":
        return peer.configure_room(cmd["room"], cmd["fields"], timeout=timeout)
    return peer.set_affiliation(cmd["room"], cmd["jid"], cmd["affiliation"],
                                reason=cmd.get("reason"), timeout=timeout)


AVATAR_COMMANDS = ("avatar_publish", "avatar_clear", "avatar_vcard", "avatar_fetch")


def _avatar(peer, name, cmd):
    """avatar_publish, avatar_clear, avatar_vcard, avatar_fetch (see the module docstring)."""
    timeout = float(cmd.get("timeout", 15.0))
    if name == "avatar_fetch":
        return peer.run(peer_avatar.fetch(peer.client, cmd["jid"]), timeout)
    if name == "avatar_clear":
        return peer.run(peer_avatar.clear_pep(peer.client), timeout)
    data = base64.b64decode(cmd["data_b64"], validate=True)
    media_type = cmd.get("media_type", "image/png")
    if name == "avatar_vcard":
        return peer.run(peer_avatar.publish_vcard(peer.client, data, media_type), timeout)
    return peer.run(peer_avatar.publish_pep(peer.client, data, media_type,
                                            cmd.get("width"), cmd.get("height")), timeout)


PROFILE_COMMANDS = ("profile_publish", "profile_vcard", "nick_publish", "software",
                    "profile_fetch")


def _profile(peer, name, cmd):
    """profile_publish, profile_vcard, nick_publish, software, profile_fetch (see the module
    docstring)."""
    timeout = float(cmd.get("timeout", 15.0))
    client = peer.client
    if name == "software":
        return peer.run(peer_profile.software(client, cmd["name"], cmd["version"],
                                              cmd.get("os")), timeout)
    if name == "profile_fetch":
        return peer.run(peer_profile.fetch(client, cmd["jid"]), timeout)
    if name == "nick_publish":
        return peer.run(peer_profile.publish_nick(client, cmd.get("nick")), timeout)
    fields = {k: cmd.get(k) for k in peer_profile.FIELDS}
    if name == "profile_vcard":
        return peer.run(peer_profile.publish_vcard_temp(client, fields), timeout)
    return peer.run(peer_profile.publish_vcard4(client, fields), timeout)


def _handle(peer, cmd):
    """Run one command; return the extra reply fields (raises on failure)."""
    name = cmd.get("cmd")
    if name in AVATAR_COMMANDS:
        return _avatar(peer, name, cmd)
    if name in PROFILE_COMMANDS:
        return _profile(peer, name, cmd)
    if name == "send":
        sid = peer.send(cmd["to"], cmd["body"], type=cmd.get("type", "chat"),
                        id=cmd.get("msg_id"),
                        request_receipt=bool(cmd.get("request_receipt")),
                        oob_url=cmd.get("oob_url"), oob_desc=cmd.get("oob_desc"),
                        sfs=_sfs(cmd.get("sfs")))
        return {"msg_id": sid}
    if name == "burst":
        n = peer.burst(cmd["to"], int(cmd["count"]), cmd.get("prefix", "m"),
                       request_receipt=bool(cmd.get("request_receipt")),
                       id_prefix=cmd.get("id_prefix"))
        return {"count": n}
    if name in FACET_COMMANDS:
        return _facet(peer, name, cmd)
    if name == "received":
        return peer.received()
    if name in ("subscribe", "approve", "deny", "unsubscribe"):
        getattr(peer, name)(cmd["to"])
        return {}
    if name == "presence":
        peer.presence(show=cmd.get("show"), status=cmd.get("status"), type=cmd.get("type"))
        return {}
    if name == "raw":
        peer.send_raw(cmd["xml"])
        return {}
    if name == "roster":
        return {"items": peer.roster()}
    if name == "iq":
        return peer.iq(cmd["to"], cmd["xml"], type=cmd.get("type", "get"),
                       timeout=float(cmd.get("timeout", 10.0)))
    if name in ROOM_COMMANDS:
        return _room(peer, name, cmd)
    if name == "upload":
        data = base64.b64decode(cmd["data_b64"], validate=True)
        return peer.upload(cmd["filename"], data,
                           content_type=cmd.get("content_type", "application/octet-stream"),
                           service=cmd.get("service"), timeout=float(cmd.get("timeout", 30.0)))
    if name == "upload_encrypted":
        data = base64.b64decode(cmd["data_b64"], validate=True)
        return peer.upload_encrypted(cmd["filename"], data, service=cmd.get("service"),
                                     timeout=float(cmd.get("timeout", 30.0)))
    if name == "fetch":
        res = peer.fetch(cmd["url"], timeout=float(cmd.get("timeout", 30.0)))
        return {"status": res["status"], "data_b64": base64.b64encode(res["data"]).decode()}
    if name == "slot":
        return peer.slot(cmd["filename"], int(cmd["size"]),
                         content_type=cmd.get("content_type", "application/octet-stream"),
                         service=cmd.get("service"), timeout=float(cmd.get("timeout", 30.0)))
    if name == "fetch_encrypted":
        data = peer.fetch_encrypted(cmd["url"], timeout=float(cmd.get("timeout", 30.0)))
        return {"data_b64": base64.b64encode(data).decode()}
    if name in OMEMO_COMMANDS:
        return _omemo(peer, name, cmd)
    if name == "jingle_send":
        data = base64.b64decode(cmd["data_b64"], validate=True)
        return peer.jingle_send(cmd["to"], cmd["name"], data,
                                media_type=cmd.get("media_type", "application/octet-stream"),
                                sha256_b64=cmd.get("sha256_b64"),
                                block_size=int(cmd.get("block_size", 4096)),
                                cancel_after=cmd.get("cancel_after"),
                                transport=cmd.get("transport", "ibb"),
                                connect=cmd.get("connect", True),
                                timeout=float(cmd.get("timeout", 60.0)))
    if name == "jingle_accept":
        return peer.jingle_accept(cmd["sid"], cancel_after=cmd.get("cancel_after"),
                                  connect=cmd.get("connect", True),
                                  offer_candidates=cmd.get("offer_candidates", True))
    if name == "jingle_decline":
        return peer.jingle_decline(cmd["sid"])
    if name == "jingle_cancel":
        return peer.jingle_cancel(cmd["sid"])
    raise ValueError(f"unknown command {name!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m linnet_harness.peer",
                                 description="Scripted slixmpp XMPP peer (JSON lines).")
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--ca", required=True, help="CA certificate (PEM) to trust")
    ap.add_argument("--resource")
    ap.add_argument("--auto-accept", action="store_true")
    ap.add_argument("--direct-tls", action="store_true", help="XEP-0368 direct TLS")
    ap.add_argument("--stream-management", action="store_true", help="XEP-0198")
    ap.add_argument("--null-receiver", action="store_true",
                    help="count chat messages instead of printing them; no receipts")
    ap.add_argument("--answer-receipts", action="store_true",
                    help="with --null-receiver: answer receipt requests (XEP-0184)")
    ap.add_argument("--omemo", action="store_true",
                    help="OMEMO, legacy and OMEMO 2 (slixmpp-omemo)")
    ap.add_argument("--omemo-only", choices=("legacy", "omemo2"),
                    help="OMEMO in this generation only (implies --omemo)")
    ap.add_argument("--s5b", action="store_true",
                    help="Jingle file transfer over SOCKS5 bytestreams too (XEP-0260)")
    ap.add_argument("--timeout", type=float, default=15.0, help="login timeout (s)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    setup_logging(args.verbose)
    for name in ("slixmpp", "slixmpp_omemo", "omemo"):  # libraries: warnings only, unless -v
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    signal.signal(signal.SIGTERM, _on_signal)

    peer = None
    try:
        try:
            peer = Peer(args.jid, args.password, host=args.host, port=args.port, ca=args.ca,
                        resource=args.resource, auto_accept=args.auto_accept,
                        direct_tls=args.direct_tls, on_event=emit, timeout=args.timeout,
                        stream_management=args.stream_management,
                        null_receiver=args.null_receiver,
                        answer_receipts=args.answer_receipts, omemo=args.omemo,
                        omemo_only=args.omemo_only, s5b=args.s5b)
        except PeerError:
            return 1  # the error event has been printed already
        except Exception as exc:  # noqa: BLE001 - anything else still gets an event
            emit({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
            return 1
        for cmd in read_commands():
            cid = cmd.get("id")
            if cmd.get("cmd") == "disconnect":
                peer.disconnect()
                reply(cid)
                return 0
            try:
                reply(cid, **_handle(peer, cmd))
            except KeyError as exc:
                reply(cid, ok=False, error=f"missing field {exc}")
            except Exception as exc:  # noqa: BLE001 - reported to the driver
                log.warning("command %r failed: %r", cmd, exc)
                reply(cid, ok=False, error=f"{type(exc).__name__}: {exc}")
        log.info("stdin closed; disconnecting")
        return 0
    except KeyboardInterrupt:
        log.info("signal; disconnecting")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if peer is not None:
            peer.close()

if __name__ == "__main__":
    sys.exit(main())
