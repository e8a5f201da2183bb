// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run `LINNET_WRITE_BINDINGS=1 cargo test -p linnet bindings` after changing them.

/**
 * Stable, machine-readable error codes shared with the UI (never branch on English text).
 */
export type ErrorCode = "auth_failed" | "certificate_untrusted" | "conflict" | "stream_error" | "network" | "invalid_jid" | "keyring_unavailable" | "password_missing" | "plain_not_allowed" | "login_tampered" | "account_exists" | "unknown_account" | "not_connected" | "server_error" | "invalid_url" | "invalid_proxy" | "not_found" | "file" | "internal";

/**
 * What kind of problem stopped the database from opening.
 */
export type DatabaseProblemKind = "key_missing" | "wrong_key" | "no_keyring";

/**
 * Why the database is not open, for the window.
 */
export type DatabaseProblem = { 
/**
 * The kind, for the screen's choices.
 */
kind: DatabaseProblemKind, 
/**
 * What happened and what to do, in words.
 */
message: string, };

/**
 * An error returned by a command.
 */
export type IpcError = { 
/**
 * Stable code.
 */
code: ErrorCode, 
/**
 * A sentence for the user.
 */
message: string, };

/**
 * A certificate the engine refused, for the "trust this certificate" screen.
 */
export type CertificateInfo = { 
/**
 * SHA-256 of the leaf certificate's DER, lowercase hex without separators.
 */
sha256: string, 
/**
 * The certificate's subject, RFC 4514 string.
 */
subject: string, 
/**
 * Why the verifier refused it.
 */
reason: string, };

/**
 * Connection state of one account.
 */
export type ConnectionState = { "kind": "offline" } | { "kind": "connecting" } | { "kind": "online" } | { "kind": "reconnecting", 
/**
 * Attempt number, from 1.
 */
attempt: number, 
/**
 * Seconds until the next attempt.
 */
retry_in_secs: number, } | { "kind": "error", 
/**
 * Stable code.
 */
code: ErrorCode, 
/**
 * A sentence the user can act on.
 */
message: string, 
/**
 * The refused certificate, for `certificate_untrusted`.
 */
cert: CertificateInfo | null, };

/**
 * How the current connection of an account was made, for its connection details.
 */
export type Route = { 
/**
 * The host connected to: an SRV target, the domain, or the host the user set.
 */
host: string, 
/**
 * The TCP port.
 */
port: number, 
/**
 * The address the connection went to (`ip:port`).
 */
address: string, 
/**
 * XEP-0368 direct TLS; else STARTTLS (RFC 6120 §5).
 */
direct_tls: boolean, 
/**
 * Found through the domain's SRV records (not set by hand, not the domain itself).
 */
from_srv: boolean, 
/**
 * The SASL mechanism that logged in (`SCRAM-SHA-1`, `HT-SHA-256-NONE` for a FAST
 * token, …); `None` before the login.
 */
mechanism: string | null, 
/**
 * Whether the login used SASL2 (XEP-0388).
 */
sasl2: boolean, };

/**
 * An account with its connection state.
 */
export type AccountView = { 
/**
 * Account id.
 */
id: number, 
/**
 * Bare JID.
 */
jid: string, 
/**
 * Kept connected.
 */
enabled: boolean, 
/**
 * Current connection state.
 */
state: ConnectionState, 
/**
 * Host override; `None` looks up SRV records.
 */
host: string | null, 
/**
 * Port override.
 */
port: number | null, 
/**
 * XEP-0368 direct TLS instead of STARTTLS.
 */
direct_tls: boolean, 
/**
 * Our avatar's SHA-1 (hex), its PNG from `Engine::avatar_png`; `None`: none known.
 */
avatar: string | null, 
/**
 * Our own show on the account, as last set (kept across restarts).
 */
own_show: Show, 
/**
 * Our own status text, as last set.
 */
own_status: string | null, 
/**
 * How the account is connected while online (host, port, address, TLS, found by SRV);
 * `None` otherwise.
 */
connected_via: Route | null, 
/**
 * The user allows sending the password as PLAIN (inside verified TLS) to this server.
 */
allow_plain: boolean, 
/**
 * The account's own proxy URL; `None`: the system setting.
 */
proxy: string | null, };

/**
 * The add-account form.
 */
export type AddAccountRequest = { 
/**
 * JID as typed.
 */
jid: string, 
/**
 * Password; goes straight to the keyring.
 */
password: string, 
/**
 * Host override.
 */
host: string | null, 
/**
 * Port override.
 */
port: number | null, 
/**
 * XEP-0368 direct TLS.
 */
direct_tls: boolean, 
/**
 * Keep the password in memory for this run only (when no OS keyring is usable).
 */
session_only: boolean, };

/**
 * How available a contact (or we) are.
 */
export type Show = "offline" | "xa" | "away" | "dnd" | "available" | "chat";

/**
 * Presence of one resource, or the aggregate of a contact.
 */
export type PresenceInfo = { 
/**
 * Availability.
 */
show: Show, 
/**
 * Status text.
 */
status: string | null, 
/**
 * Priority (RFC 6121 §4.7.2.3), -128..=127.
 */
priority: number, 
/**
 * The contact's server answered our presence with an error (RFC 6121 §4.3.3): the
 * condition (RFC 6120 §8.3.3), then the server's text if any, e.g.
 * `remote-server-not-found: no such domain`. `None` otherwise.
 */
error: string | null, };

/**
 * A roster contact with its best presence.
 */
export type Contact = { 
/**
 * Owning account.
 */
account_id: number, 
/**
 * Bare JID.
 */
jid: string, 
/**
 * Name the user gave.
 */
name: string | null, 
/**
 * Groups.
 */
groups: Array<string>, 
/**
 * `none`, `to`, `from`, `both` (RFC 6121 §2.1.2.5).
 */
subscription: string, 
/**
 * Our subscription request is pending.
 */
ask: boolean, 
/**
 * Best presence over the contact's resources.
 */
presence: PresenceInfo, 
/**
 * The contact's avatar, by SHA-1 (hex; XEP-0084/0153); `None`: none known.
 */
avatar: string | null, 
/**
 * The nickname the contact publishes (XEP-0172), shown when we gave them no name.
 */
nick: string | null, };

/**
 * The fields of a person's profile shown and edited here; `None` (or empty) for a field
 * not given. Read from vCard4 (XEP-0292) or vcard-temp (XEP-0054).
 */
export type Profile = { 
/**
 * Full name (vCard4 `fn`, vcard-temp `FN`).
 */
full_name: string | null, 
/**
 * Nickname (vCard4 `nickname`, vcard-temp `NICKNAME`).
 */
nickname: string | null, 
/**
 * Email address (vCard4 `email`, vcard-temp `EMAIL/USERID`).
 */
email: string | null, 
/**
 * Telephone number, without a `tel:` prefix (vCard4 `tel/uri`, vcard-temp `TEL/NUMBER`).
 */
phone: string | null, 
/**
 * Free text about the person (vCard4 `note`, vcard-temp `DESC`, or `NOTE` where no
 * `DESC` is given).
 */
note: string | null, };

/**
 * Where a profile was read from.
 */
export type ProfileSource = "vcard4" | "vcard_temp" | "none";

/**
 * A person's profile and where it was read from.
 */
export type ProfileView = { 
/**
 * The fields (all `None` when there is no profile).
 */
profile: Profile, 
/**
 * vCard4, vcard-temp, or none.
 */
source: ProfileSource, };

/**
 * One online resource of a contact (RFC 6121 §4).
 */
export type ResourceView = { 
/**
 * The resourcepart of the full JID.
 */
resource: string, 
/**
 * Its presence.
 */
presence: PresenceInfo, 
/**
 * The client it runs, as its software version answer names it (XEP-0092): "name
 * version", then " (os)" when given; `None` when it did not answer within 5 s.
 */
client: string | null, };

/**
 * An inbound subscription request (RFC 6121 §3.1.3).
 */
export type SubscriptionRequestView = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Who asks, bare JID.
 */
jid: string, 
/**
 * Text sent with the request.
 */
status: string | null, 
/**
 * The nickname the request carried (XEP-0172 §4.2): who they say they are.
 */
nick: string | null, 
/**
 * Unix ms.
 */
received_at: number, };

/**
 * One conversation summary.
 */
export type ConversationView = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Partner bare JID.
 */
peer: string, 
/**
 * Newest body.
 */
last_body: string | null, 
/**
 * Unix ms of the newest message.
 */
last_at: number, 
/**
 * Unread count.
 */
unread: number, 
/**
 * Unread group messages that mention our nickname (0 outside rooms).
 */
mentions: number, 
/**
 * No desktop notifications for this conversation.
 */
muted: boolean, 
/**
 * The partner's avatar by SHA-1 (hex), shown from `linnet-avatar://localhost/<hash>`.
 */
avatar: string | null, };

/**
 * Where a message stands (XEP-0198 ack, XEP-0184 receipt, XEP-0333 marker). Stored as its
 * snake_case name; this is the only place that maps the two.
 */
export type MessageState = "pending" | "sent" | "delivered" | "displayed" | "failed" | "received" | "system";

/**
 * What a reply answers (XEP-0461).
 */
export type ReplyView = { 
/**
 * Row id of the original, when it is stored.
 */
id: number | null, 
/**
 * The original's author as the reply names them (nick in rooms, else a bare JID).
 */
sender: string | null, 
/**
 * The original's text (from the store when known, else the reply's quoted fallback).
 */
quote: string | null, };

/**
 * One emoji's reactions on a message (XEP-0444).
 */
export type ReactionView = { 
/**
 * The emoji.
 */
emoji: string, 
/**
 * How many reacted with it.
 */
count: number, 
/**
 * Who: nicks in rooms, bare JIDs one-to-one; ours as "You".
 */
senders: Array<string>, 
/**
 * We reacted with it.
 */
ours: boolean, };

/**
 * How a message was (or is to be) encrypted end to end.
 */
export type MessageEncryption = "none" | "omemo" | "omemo2" | "undecryptable";

/**
 * Where a Jingle file transfer stands.
 */
export type TransferState = "offered" | "active" | "done" | "declined" | "cancelled" | "failed";

/**
 * A peer-to-peer file transfer (Jingle, XEP-0234): where it stands, and why it ended when
 * it did not succeed.
 */
export type TransferView = { 
/**
 * Offered, active, done, declined, cancelled or failed.
 */
state: TransferState, 
/**
 * In words, for one that did not succeed.
 */
reason: string | null, };

/**
 * A file a message shares. Its link is the message's `body`; the window downloads it only
 * when asked (`save_file`).
 */
export type FileView = { 
/**
 * Name to show.
 */
name: string, 
/**
 * Bytes, when known.
 */
size: number | null, 
/**
 * Media type (`image/png`), when known: the sender's, or for audio and video one guessed
 * from the name.
 */
media_type: string | null, 
/**
 * Encrypted end to end (an `aesgcm://` link, XEP-0454).
 */
encrypted: boolean, 
/**
 * Ours and still uploading (no link yet).
 */
uploading: boolean, 
/**
 * Where a received file was saved (for "Show in folder"); `None` for ours and for files
 * not downloaded yet.
 */
saved_path: string | null, 
/**
 * Ours, sent from this computer (the file is here: nothing to download).
 */
sent_from_here: boolean, 
/**
 * Set when the file goes peer to peer (Jingle, XEP-0234) rather than by upload.
 */
transfer: TransferView | null, };

/**
 * A file the user picked in the file dialog, to show before it is sent.
 */
export type PickedFile = { 
/**
 * Its path, granted for `send_file` / `send_file_direct`.
 */
path: string, 
/**
 * Its name.
 */
name: string, 
/**
 * Bytes, when readable.
 */
size: number | null, };

/**
 * What an `xmpp:` URI asks for (XEP-0147 §3, the actions of its registry that Linnet knows).
 */
export type UriAction = "message" | "join" | "subscribe" | "register";

/**
 * A parsed `xmpp:` URI: the target JID and what to do with it.
 */
export type XmppUri = { 
/**
 * The target (RFC 5122 §2.2: the path), a bare or full JID.
 */
jid: string, 
/**
 * What to do (an unknown action opens a chat, as RFC 5122 §2.5 lets a client).
 */
action: UriAction, 
/**
 * `;body=`: the text to put in the composer (`message`).
 */
body: string | null, 
/**
 * `;name=`: the name to give the contact (`subscribe`, `roster`).
 */
name: string | null, };

/**
 * One message.
 */
export type MessageView = { 
/**
 * Row id.
 */
id: number, 
/**
 * Account id.
 */
account_id: number, 
/**
 * Partner bare JID.
 */
peer: string, 
/**
 * Sent by us.
 */
outgoing: boolean, 
/**
 * Plain text.
 */
body: string, 
/**
 * Unix ms.
 */
at: number, 
/**
 * Send state.
 */
state: MessageState, 
/**
 * Failure reason.
 */
error: string | null, 
/**
 * A group message (XEP-0045): `peer` is the room.
 */
groupchat: boolean, 
/**
 * For group messages from others: the occupant's nickname.
 */
sender: string | null, 
/**
 * Corrected at least once (XEP-0308); `body` is the newest text.
 */
edited: boolean, 
/**
 * Deleted by its sender (XEP-0424) or a moderator (XEP-0425); `body` is then empty.
 */
retracted: boolean, 
/**
 * For a moderated message: the moderator's nick, when the room said.
 */
moderated_by: string | null, 
/**
 * The moderator's reason, if given.
 */
retract_reason: string | null, 
/**
 * The message this one answers (XEP-0461).
 */
reply_to: ReplyView | null, 
/**
 * Reactions (XEP-0444), grouped by emoji in first-reacted order.
 */
reactions: Array<ReactionView>, 
/**
 * End-to-end encryption of this message (XEP-0384).
 */
encryption: MessageEncryption, 
/**
 * Our trust now in the OMEMO device the message came from (`None` when it did not come
 * from a recorded device); the window marks messages from distrusted and undecided ones.
 */
sender_trust: Trust | null, 
/**
 * The file it shares (XEP-0363 / XEP-0066 / XEP-0454), if any.
 */
file: FileView | null, };

/**
 * Our OMEMO device on one account.
 */
export type OwnDevice = { 
/**
 * Device id (1..2^31−1), the same in both OMEMO generations.
 */
device_id: number, 
/**
 * Fingerprint of the identity key as Conversations, Dino and Gajim show it: 64 lower-case
 * hex digits of the Curve25519 key in groups of eight.
 */
fingerprint: string, 
/**
 * `xmpp:` URI (RFC 5122) with `omemo-sid-<device id>=<fingerprint>`, as Conversations
 * puts in its QR codes, so a contact can verify us by scanning.
 */
uri: string, };

/**
 * Trust in a remote device's identity key.
 */
export type Trust = "blind" | "verified" | "untrusted" | "undecided";

/**
 * A contact's (or our own other) OMEMO device as we know it.
 */
export type DeviceView = { 
/**
 * Device id.
 */
device_id: number, 
/**
 * Its identity key's fingerprint, grouped as [`OwnDevice::fingerprint`].
 */
fingerprint: string, 
/**
 * Our trust in it.
 */
trust: Trust, 
/**
 * When we first saw it, unix ms.
 */
first_seen: number, 
/**
 * When it last sent us something we decrypted, unix ms (`None`: never).
 */
last_heard: number | null, 
/**
 * Silent for 30 days while 100 of our messages went unanswered (XEP-0384 §7.4): no longer
 * encrypted for while its owner has another device.
 */
stale: boolean, };

/**
 * An older text of a corrected message (XEP-0308).
 */
export type MessageEditView = { 
/**
 * The text as it was.
 */
body: string, 
/**
 * When it was replaced, unix ms.
 */
at: number, };

/**
 * A search hit: the message and the text around the match.
 */
export type SearchHit = { 
/**
 * The message.
 */
message: MessageView, 
/**
 * Plain text around the match; each matched term between U+0002 and U+0003, cut text
 * marked with "…". Text, never HTML.
 */
snippet: string, };

/**
 * A chat state (XEP-0085 §2): what someone is doing in a conversation.
 */
export type ChatStateName = "active" | "composing" | "paused" | "inactive" | "gone";

/**
 * Payload of `linnet://chat-state`: what a contact or occupant is doing (XEP-0085).
 */
export type ChatStateEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * The contact's bare JID, or the room's.
 */
peer: string, 
/**
 * The occupant's nick in a room; `None` one-to-one.
 */
sender: string | null, 
/**
 * The state.
 */
state: ChatStateName, };

/**
 * What `fetch_history` found in the server's archive (XEP-0313).
 */
export type HistoryPageView = { 
/**
 * Older messages newly stored (they also arrive as a `linnet://messages` event).
 */
stored: number, 
/**
 * The archive holds nothing older: stop asking.
 */
complete: boolean, };

/**
 * When a room's messages notify.
 */
export type RoomNotify = "all" | "mentions" | "none";

/**
 * An occupant's role in a room (XEP-0045 §5.1).
 */
export type Role = "moderator" | "participant" | "visitor" | "none";

/**
 * An occupant's affiliation with a room (XEP-0045 §5.2).
 */
export type Affiliation = "owner" | "admin" | "member" | "outcast" | "none";

/**
 * One occupant of a room (XEP-0045 §7.2.3).
 */
export type Occupant = { 
/**
 * Nickname (the resource of the occupant JID).
 */
nick: string, 
/**
 * Role in the room (§5.1).
 */
role: Role, 
/**
 * Affiliation with the room (§5.2).
 */
affiliation: Affiliation, 
/**
 * Real JID when the room shows it (non-anonymous rooms, or to moderators).
 */
jid: string | null, 
/**
 * Availability.
 */
show: Show, };

/**
 * Why we are not in a room, as a stable code (the words are in [`RoomState::error`]).
 */
export type RoomErrorCode = "nickname_taken" | "password_required" | "members_only" | "banned" | "join_refused" | "kicked" | "banned_now" | "destroyed" | "left";

/**
 * What we know live about one room.
 */
export type RoomState = { 
/**
 * Our self-presence arrived (§7.2.3, status 110).
 */
joined: boolean, 
/**
 * Our nickname.
 */
nick: string, 
/**
 * Room subject (§8.1).
 */
subject: string | null, 
/**
 * Occupants by nickname.
 */
occupants: Array<Occupant>, 
/**
 * Why we are not in the room (nickname taken, kicked, banned, room destroyed…), in words.
 */
error: string | null, 
/**
 * The same as a stable code the UI branches on.
 */
error_code: RoomErrorCode | null, 
/**
 * We created the room and asked to configure it first (§10.1.3): it stays locked, nobody
 * else can enter, until its configuration form is submitted.
 */
awaiting_configuration: boolean, };

/**
 * A room joined on an account (XEP-0045), with its live state.
 */
export type RoomView = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Room bare JID.
 */
jid: string, 
/**
 * Live state: joined, our nickname, subject, occupants, error.
 */
state: RoomState, 
/**
 * When its messages notify.
 */
notify: RoomNotify, 
/**
 * Joined on every connect; false after a kick, a ban, the room's destruction or a refused
 * join, until the user joins again.
 */
autojoin: boolean, };

/**
 * One choice of a list field.
 */
export type FormOption = { 
/**
 * Shown text (remote text), if any.
 */
label: string | null, 
/**
 * The value sent back.
 */
value: string, };

/**
 * One field of a data form (XEP-0004 §3.2).
 */
export type FormField = { 
/**
 * Field name, e.g. `muc#roomconfig_roomname`; empty for `fixed` text.
 */
var: string, 
/**
 * XEP-0004 §3.3 type: `boolean`, `fixed`, `hidden`, `jid-multi`, `jid-single`,
 * `list-multi`, `list-single`, `text-multi`, `text-private` or `text-single`.
 */
kind: string, 
/**
 * Human-readable label (remote text).
 */
label: string | null, 
/**
 * Longer help text (remote text).
 */
desc: string | null, 
/**
 * Whether the form needs a value.
 */
required: boolean, 
/**
 * Current values (booleans as `0`/`1`/`false`/`true`).
 */
values: Array<string>, 
/**
 * Choices of a list field.
 */
options: Array<FormOption>, };

/**
 * A room's configuration form as the room sent it (XEP-0004 §3).
 */
export type RoomConfigForm = { 
/**
 * Form title, if any (remote text).
 */
title: string | null, 
/**
 * Instructions, if any (remote text).
 */
instructions: string | null, 
/**
 * Fields in the room's order.
 */
fields: Array<FormField>, };

/**
 * Where to register an account: the server's domain and, as for an account, optional
 * connection overrides.
 */
export type RegistrationServer = { 
/**
 * The server's domain, e.g. `example.org` (the part after `@` of the new JID).
 */
domain: string, 
/**
 * Host override; `None` or empty looks up SRV records (RFC 6120 §3.2).
 */
host: string | null, 
/**
 * Port override (default 5222, or 5223 with direct TLS).
 */
port: number | null, 
/**
 * XEP-0368 direct TLS instead of STARTTLS.
 */
direct_tls: boolean, };

/**
 * A server's sign-up form (XEP-0077 §3.1) as fields to fill in, whether it came as an XEP-0004
 * form or as legacy fields.
 */
export type RegistrationForm = { 
/**
 * Names the open connection the form came on; [`crate::Engine::register`] submits on it.
 */
session: string, 
/**
 * The server's domain.
 */
domain: string, 
/**
 * Form title, if any (remote text).
 */
title: string | null, 
/**
 * Instructions, if any (remote text).
 */
instructions: string | null, 
/**
 * The fields, in the server's order. Legacy fields become `text-single` fields named by
 * their element (`username`, `email`, …), `password` a `text-private` one, `key` hidden.
 */
fields: Array<FormField>, };

/**
 * A field's new values in a submitted form ([`crate::Engine::set_room_config`],
 * [`crate::Engine::register`]).
 */
export type FieldValues = { 
/**
 * Field name.
 */
var: string, 
/**
 * Values (one for single fields; booleans `1` or `0`).
 */
values: Array<string>, };

/**
 * One command an entity offers (XEP-0050 §2.2).
 */
export type CommandItem = { 
/**
 * The entity that runs it.
 */
jid: string, 
/**
 * Its node, which names it to the entity.
 */
node: string, 
/**
 * Its name for people (remote text); the node when it has none.
 */
name: string, };

/**
 * How far a command got (XEP-0050 §3.4 `status`).
 */
export type CommandStatus = "executing" | "completed" | "canceled";

/**
 * What a stage offers to do next (XEP-0050 §3.4 `<actions/>`).
 */
export type CommandAction = "next" | "prev" | "complete";

/**
 * A note of a stage (XEP-0050 §3.4 `<note/>`): remote text with its kind.
 */
export type CommandNote = { 
/**
 * `info`, `warn` or `error` (`info` when the entity names none or another).
 */
kind: string, 
/**
 * The text.
 */
text: string, };

/**
 * Which running command a next stage belongs to, as the UI hands it back.
 */
export type CommandSession = { 
/**
 * The entity.
 */
jid: string, 
/**
 * The command's node.
 */
node: string, 
/**
 * The session the next stages go in (`sessionid`); `None` when the entity gave none.
 */
id: string | null, 
/**
 * The current form's FORM_TYPE, sent back with the values.
 */
form_type: string | null, };

/**
 * One stage of a running command: what the entity answered.
 */
export type CommandStage = { 
/**
 * The command and its session.
 */
session: CommandSession, 
/**
 * How far it got.
 */
status: CommandStatus, 
/**
 * The form's title, if any (remote text).
 */
title: string | null, 
/**
 * The form's instructions, if any (remote text).
 */
instructions: string | null, 
/**
 * The form's fields (empty when this stage has no form). A `result` form's fields
 * are read-only values to show.
 */
fields: Array<FormField>, 
/**
 * Whether the form is a `result` (values to read) rather than one to fill in.
 */
result: boolean, 
/**
 * Notes to show.
 */
notes: Array<CommandNote>, 
/**
 * What may be done next; with a form and none named, `complete` alone (§3.4).
 */
actions: Array<CommandAction>, 
/**
 * The action Enter should take (`execute` of `<actions/>`), if named.
 */
default_action: CommandAction | null, };

/**
 * Payload of `linnet://room`: reload one room's live state (`room_state`) and the room list.
 */
export type RoomEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Room bare JID.
 */
room: string, };

/**
 * Payload of `linnet://room-invite`: someone invited us to a room (XEP-0045 §7.8.2 or
 * XEP-0249). Accepting is `join_room`.
 */
export type RoomInviteEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Room bare JID.
 */
room: string, 
/**
 * Who invited us: a bare JID, or room/nick when the room hides real JIDs.
 */
from: string | null, 
/**
 * Their reason, if any.
 */
reason: string | null, };

/**
 * Payload of `linnet://account-state`.
 */
export type AccountStateEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * New state.
 */
state: ConnectionState, };

/**
 * Payload of `linnet://messages`: new or updated messages of one conversation, coalesced.
 */
export type MessagesEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Partner bare JID.
 */
peer: string, 
/**
 * The messages, oldest first; an update carries an id the UI already has.
 */
messages: Array<MessageView>, };

/**
 * Payload of `linnet://file-progress`: how far a transfer has come.
 */
export type FileProgressEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * The conversation.
 */
peer: string, 
/**
 * The message sharing the file.
 */
message_id: number, 
/**
 * Our upload (else a download).
 */
upload: boolean, 
/**
 * Bytes moved so far.
 */
done: number, 
/**
 * Bytes in all, when known.
 */
total: number | null, };

/**
 * Payload of `linnet://roster`: reload one account's contacts and subscription requests.
 */
export type RosterEvent = { 
/**
 * Account id.
 */
account_id: number, };

/**
 * Payload of `linnet://blocklist`: the account's blocklist changed (XEP-0191); read it again.
 */
export type BlocklistEvent = { 
/**
 * Account id.
 */
account_id: number, };

/**
 * Payload of `linnet://open-conversation`: the user clicked a notification for this chat.
 */
export type OpenConversationEvent = { 
/**
 * Account id.
 */
account_id: number, 
/**
 * Partner bare JID.
 */
peer: string, };

/**
 * Payload of events that only say "reload" (`linnet://conversations`, `linnet://accounts`).
 */
export type ReloadEvent = Record<symbol, never>;
