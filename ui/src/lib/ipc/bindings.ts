// IPC types shared with the Rust side (src-tauri).
//
// The data types are generated from the Rust types (src-tauri/src/bindings.rs, ts-rs) into
// ./generated.ts, which is committed; a Rust test fails when it is stale. This file re-exports
// them under the names the UI uses and adds what ts-rs cannot see: the command and event maps.
//
// Conventions:
// - Struct fields are snake_case, exactly as serde serialises the Rust structs.
// - Command *arguments* are camelCase on this side (Tauri maps `account_id` in a Rust command
//   signature to `accountId` in the JS invoke payload). See `Commands` below.
// - Times are unix milliseconds (number).

import type {
  CommandAction,
  CommandItem,
  CommandSession,
  CommandStage,
  DatabaseProblem,
  AccountStateEvent,
  AccountView,
  AddAccountRequest,
  ChatStateEvent,
  ChatStateName,
  Contact,
  ConversationView,
  ErrorCode,
  FieldValues,
  FileProgressEvent,
  HistoryPageView,
  PickedFile,
  MessageEditView,
  MessagesEvent,
  MessageView,
  OpenConversationEvent,
  OwnDevice,
  DeviceView,
  Trust,
  PresenceInfo,
  Profile,
  ProfileView,
  ReloadEvent,
  ResourceView,
  RegistrationForm,
  RegistrationServer,
  RoomConfigForm,
  RoomEvent,
  RoomInviteEvent,
  RoomNotify,
  RoomView,
  RosterEvent,
  SearchHit,
  Show,
  SubscriptionRequestView,
  XmppUri,
  BlocklistEvent,
} from './generated';

export type {
  CommandAction,
  CommandItem,
  CommandNote,
  CommandSession,
  CommandStage,
  CommandStatus,
  Route,
  Profile,
  ProfileSource,
  ProfileView,
  ResourceView,
  DatabaseProblem,
  DatabaseProblemKind,
  AccountStateEvent,
  AccountView,
  AddAccountRequest,
  CertificateInfo,
  ChatStateEvent,
  ChatStateName,
  ConnectionState,
  ConversationView,
  ErrorCode,
  FieldValues,
  FileProgressEvent,
  FileView,
  PickedFile,
  TransferState,
  TransferView,
  FormField,
  FormOption,
  HistoryPageView,
  IpcError,
  MessageEditView,
  MessagesEvent,
  MessageEncryption,
  MessageState,
  MessageView,
  Occupant,
  OwnDevice,
  DeviceView,
  Trust,
  ReactionView,
  ReplyView,
  OpenConversationEvent,
  RegistrationForm,
  RegistrationServer,
  RoomConfigForm,
  RoomEvent,
  RoomInviteEvent,
  RoomNotify,
  RoomState,
  RoomView,
  RosterEvent,
  SearchHit,
  SubscriptionRequestView,
  UriAction,
  XmppUri,
  BlocklistEvent,
} from './generated';

/** Every `ErrorCode`, for runtime validation (the check below fails to compile if one is missing). */
export const ERROR_CODES = [
  'auth_failed',
  'certificate_untrusted',
  'conflict',
  'stream_error',
  'network',
  'invalid_jid',
  'keyring_unavailable',
  'password_missing',
  'plain_not_allowed',
  'login_tampered',
  'account_exists',
  'unknown_account',
  'not_connected',
  'server_error',
  'invalid_url',
  'invalid_proxy',
  'not_found',
  'file',
  'internal',
] as const satisfies readonly ErrorCode[];

type MissingErrorCode = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const everyErrorCodeListed: [MissingErrorCode] extends [never] ? true : MissingErrorCode = true;
void everyErrorCodeListed;

/** A contact's (or our own) availability. */
export type PresenceShow = Show;

/** What the user can set as their own presence (`set_presence`); "offline" is Disable instead. */
export type OwnShow = Exclude<Show, 'offline'>;

/** Presence of a contact: the best over its resources, and a presence error if any. */
export type Presence = PresenceInfo;

/** A roster contact with its best presence. */
export type ContactView = Contact;

/**
 * Every command: its JS-side arguments (camelCase keys) and its result.
 *
 * `load_messages.before` is the `id` of the oldest message the UI already holds; the backend
 * returns up to `limit` messages older than it (any order; the UI sorts by `at`, then `id`).
 * `null` means "the newest page".
 */
export interface Commands {
  list_accounts: { args: Record<string, never>; result: AccountView[] };
  add_account: { args: { request: AddAccountRequest }; result: AccountView };
  remove_account: { args: { accountId: number }; result: null };
  /** Changes the connection settings (null host/port: SRV lookup, default port) and reconnects. */
  update_account: {
    args: {
      accountId: number;
      host: string | null;
      port: number | null;
      directTls: boolean;
      /** PLAIN consent (inside verified TLS); null keeps it. */
      allowPlain: boolean | null;
      /** The account's own proxy URL (no password); null: the system's. */
      proxy: string | null;
    };
    result: AccountView;
  };
  set_account_enabled: { args: { accountId: number; enabled: boolean }; result: null };
  trust_certificate: { args: { accountId: number; sha256: string }; result: null };
  list_contacts: { args: { accountId: number }; result: ContactView[] };
  list_conversations: { args: Record<string, never>; result: ConversationView[] };
  load_messages: {
    args: { accountId: number; peer: string; before: number | null; limit: number };
    result: MessageView[];
  };
  /**
   * The messages around the one with row id `id`: up to `limit` before it, it, and up to `limit`
   * after it, oldest first (a search hit shown in context).
   */
  load_messages_around: {
    args: { accountId: number; peer: string; id: number; limit: number };
    result: MessageView[];
  };
  /**
   * Full-text search over the stored history, newest first, at most `limit` hits: every
   * account's when `accountId` is null, one conversation's when `peer` is given too. `query` is
   * what the user typed (words; the last one matches as a prefix); an empty one finds nothing.
   */
  search_messages: {
    args: { accountId: number | null; peer: string | null; query: string; limit: number };
    result: SearchHit[];
  };
  /**
   * Asks the server's archive (XEP-0313) for messages older than the oldest one stored; they
   * are stored and also arrive as `linnet://messages`. Rejects with `not_connected` when the
   * account is offline, `server_error` when the server has no archive or refuses.
   */
  fetch_history: { args: { accountId: number; peer: string }; result: HistoryPageView };
  /** `replyTo`: the row id of the message this one answers (XEP-0461), null for none. */
  send_message: {
    args: { accountId: number; to: string; body: string; replyTo: number | null };
    result: MessageView;
  };
  /**
   * Replaces the text of our own message `id` (XEP-0308); not for a retracted one. The changed
   * row (`edited`, the new `body`) arrives as `linnet://messages`.
   */
  correct_message: { args: { accountId: number; id: number; body: string }; result: null };
  /** Deletes our own message `id` for everyone (XEP-0424); then `linnet://messages`. */
  retract_message: { args: { accountId: number; id: number }; result: null };
  /**
   * Has the room delete a group message (XEP-0425), when we are one of its moderators, with an
   * optional reason (null for none); then `linnet://messages`.
   */
  moderate_message: {
    args: { accountId: number; id: number; reason: string | null };
    result: null;
  };
  /**
   * Sets OUR FULL SET of reactions on message `id` (XEP-0444): toggling one is adding or
   * removing it, then sending the set; `[]` clears ours. Then `linnet://messages`.
   */
  react_to_message: { args: { accountId: number; id: number; emojis: string[] }; result: null };
  /** Tells `peer` (a contact or a room) our chat state (XEP-0085). */
  send_chat_state: { args: { accountId: number; peer: string; state: ChatStateName }; result: null };
  /** The older texts of an edited message, oldest first. */
  message_edits: { args: { accountId: number; id: number }; result: MessageEditView[] };
  /**
   * Sends a `failed` outgoing message again: the row goes back to `pending`, and
   * `linnet://messages` carries that and every later state.
   */
  retry_message: { args: { accountId: number; id: number }; result: null };
  mark_read: { args: { accountId: number; peer: string }; result: null };
  /** Mutes or unmutes one conversation's notifications; then `linnet://conversations`. */
  set_muted: { args: { accountId: number; peer: string; muted: boolean }; result: null };
  /** Whether what we send to `peer` is encrypted with OMEMO; null while undecided. */
  conversation_encryption: { args: { accountId: number; peer: string }; result: boolean | null };
  /** Turns OMEMO on or off for what we send to `peer`; then `linnet://conversations`. */
  set_conversation_encryption: {
    args: { accountId: number; peer: string; on: boolean };
    result: null;
  };
  /** Our OMEMO device (id, fingerprint) on an account; null before its first connect. */
  own_omemo_device: { args: { accountId: number }; result: OwnDevice | null };
  database_problem: { args: Record<string, never>; result: DatabaseProblem | null };
  /**
   * Opens the native file dialog: the files picked (none when cancelled), granted for
   * `send_file` / `send_file_direct`. Nothing is sent yet: the window shows them first.
   */
  pick_files: { args: Record<string, never>; result: PickedFile[] };
  /**
   * Sends a file dropped on the window or picked (`path` as the OS gave it) by HTTP File Upload
   * (XEP-0363, encrypted when the chat is); a photo keeps its metadata only with
   * `keepMetadata`. The shell refuses paths the user did not drop or pick (`not_found`). The
   * stored message, `file.uploading` while its upload runs.
   */
  send_file: {
    args: { accountId: number; to: string; path: string; keepMetadata: boolean };
    result: MessageView;
  };
  /**
   * Sends a dropped or picked file straight to contact `to` (Jingle peer to peer). Failures are
   * `file`, in words (the contact offline, its client without direct transfers, an encrypted
   * chat).
   */
  send_file_direct: { args: { accountId: number; to: string; path: string }; result: MessageView };
  /**
   * Sends pasted data (an image from the clipboard) as a file called `name`; `data` is the
   * bytes in base64, at most 64 MiB (else `file`).
   */
  send_file_data: {
    args: { accountId: number; to: string; name: string; data: string; keepMetadata: boolean };
    result: MessageView;
  };
  /**
   * Stops our upload of message `messageId`: it fails as "Upload cancelled." and
   * `retry_message` starts it again.
   */
  cancel_upload: { args: { messageId: number }; result: null };
  /** Takes the file offered peer to peer in message `messageId`, into Downloads. */
  accept_transfer: { args: { messageId: number }; result: null };
  /** Declines the file offered in message `messageId`. */
  decline_transfer: { args: { messageId: number }; result: null };
  /** Stops the peer-to-peer transfer of message `messageId`, ours or theirs. */
  cancel_transfer: { args: { messageId: number }; result: null };
  /**
   * Downloads the file message `messageId` shares (decrypted when it is an `aesgcm://` link)
   * into Downloads: the saved file's path. Progress arrives as `linnet://file-progress`, the
   * row with its `file.saved_path` as `linnet://messages`. Failures are `file`, in words.
   */
  save_file: { args: { messageId: number }; result: string };
  /**
   * Makes a message's audio or video playable inline: fetched into the media cache unless it
   * is here already (ours, saved, fetched before); then `mediaUrl(messageId)` plays it.
   */
  fetch_media: { args: { messageId: number }; result: null };
  /** The JIDs the account blocks (XEP-0191), sorted. */
  blocklist: { args: { accountId: number }; result: string[] };
  /** Blocks a JID (or a domain) on the account. */
  block_jid: { args: { accountId: number; jid: string }; result: null };
  /** Blocks a JID and reports it to our server as a spammer (XEP-0377). */
  block_and_report: { args: { accountId: number; jid: string }; result: null };
  /** Unblocks a JID on the account. */
  unblock_jid: { args: { accountId: number; jid: string }; result: null };
  /**
   * Makes a picture (base64 PNG, JPEG, GIF or WebP, at most 16 MiB) our avatar on the account,
   * published to PEP and our vCard; `null` removes it. Returns its SHA-1 (null after a
   * removal); `avatarUrl(hash)` shows it. Failures: `file`, `not_connected`, `server`.
   */
  set_avatar: { args: { accountId: number; data: string | null }; result: string | null };
  /** The `xmpp:` link Linnet was started with (once; null afterwards or when none). */
  launch_uri: { args: Record<string, never>; result: XmppUri | null };
  /** Whether Linnet starts when the user logs in. */
  autostart_enabled: { args: Record<string, never>; result: boolean };
  /** Makes Linnet start (or no longer start) when the user logs in. */
  set_autostart: { args: { enabled: boolean }; result: null };
  /** Closing the window keeps Linnet running in the tray (where there is one), or quits. */
  set_close_to_tray: { args: { keep: boolean }; result: null };
  /** Starts recording a voice message from the microphone (one at a time). */
  start_voice_message: { args: Record<string, never>; result: null };
  /** Ends the recording and sends it to `to` as an audio file; the message, as `send_file`. */
  send_voice_message: { args: { accountId: number; to: string }; result: MessageView };
  /** Stops the recording and throws it away. */
  cancel_voice_message: { args: Record<string, never>; result: null };
  /**
   * "Save as…": the shell's save dialog, then the download to the path chosen; that path, or
   * null when the user cancelled.
   */
  save_file_as: { args: { messageId: number }; result: string | null };
  show_saved_file: { args: { path: string }; result: null };
  unlock_database: { args: { passphrase: string | null; unencrypted: boolean }; result: null };
  start_afresh: { args: Record<string, never>; result: null };
  /** The OMEMO devices seen of `peer` (ours for our other devices), oldest first. */
  omemo_devices: { args: { accountId: number; peer: string }; result: DeviceView[] };
  /** Our trust in one device of `peer`; then `linnet://conversations`. */
  set_omemo_trust: {
    args: { accountId: number; peer: string; deviceId: number; trust: Trust };
    result: null;
  };
  /**
   * Opens an http, https, mailto or xmpp link in the system's handler (browser, mail client);
   * anything else rejects with `invalid_url`.
   */
  open_link: { args: { url: string }; result: null };
  /** Which conversation is on screen (both null for none); the shell skips its notifications. */
  set_active_conversation: { args: { accountId: number | null; peer: string | null }; result: null };
  set_presence: {
    args: { accountId: number; show: OwnShow; status: string | null };
    result: null;
  };
  /** Adds a roster item and sends a subscription request. */
  add_contact: {
    args: { accountId: number; jid: string; name: string | null; groups: string[] };
    result: null;
  };
  remove_contact: { args: { accountId: number; jid: string }; result: null };
  list_subscription_requests: { args: { accountId: number }; result: SubscriptionRequestView[] };
  /** Approves a request and subscribes back, so both see each other. */
  approve_subscription: { args: { accountId: number; jid: string }; result: null };
  /** Stops sharing our presence with `jid` (or refuses their request). */
  deny_subscription: { args: { accountId: number; jid: string }; result: null };
  /** Asks to see `jid`'s presence (with our nickname, XEP-0172). */
  request_subscription: { args: { accountId: number; jid: string }; result: null };
  /** Stops seeing `jid`'s presence; they still see ours. */
  unsubscribe: { args: { accountId: number; jid: string }; result: null };
  /** Renames and regroups a contact; a blank name clears it, blank groups are dropped. */
  update_contact: {
    args: { accountId: number; jid: string; name: string | null; groups: string[] };
    result: null;
  };
  /**
   * `jid`'s profile (ours too), read from the server now: vCard4 (XEP-0292), else vcard-temp
   * (XEP-0054); `source: 'none'` when there is neither. Failures: `not_connected`.
   */
  profile: { args: { accountId: number; jid: string }; result: ProfileView };
  /**
   * Makes `profile` ours: vcard-temp (photo kept), vCard4 and the nickname (XEP-0172).
   * Failures: `not_connected`, `server_error`.
   */
  set_profile: { args: { accountId: number; profile: Profile }; result: null };
  /** A contact's online resources, each with the client it runs (asked now, at most 5 s). */
  contact_resources: { args: { accountId: number; jid: string }; result: ResourceView[] };
  /**
   * Stores a new password in the keyring (or, with `sessionOnly`, in memory until the app quits)
   * and reconnects.
   */
  set_password: {
    args: { accountId: number; password: string; sessionOnly: boolean };
    result: null;
  };
  /**
   * Opens a connection to `server` (TLS, no login) and asks for its sign-up form (XEP-0077
   * §3.1); the connection stays open for `register_account` under the form's `session`.
   * Rejects with `network`, `certificate_untrusted`, or `server_error` (in words, e.g. the
   * server does not allow creating accounts).
   */
  registration_form: { args: { server: RegistrationServer }; result: RegistrationForm };
  /**
   * Submits the sign-up form on the connection `session` names (every field but the `fixed`
   * ones, as `set_room_config`). On success the password is stored (keyring, or memory with
   * `sessionOnly`), the account added and connected: returned as `add_account` returns it.
   * Rejects with `server_error` in words (user name taken, a field missing: the form can be
   * corrected and submitted again on the same session), `not_found` when the session expired
   * (fetch the form again), `keyring_unavailable` (then again with `sessionOnly`).
   */
  register_account: {
    args: { session: string; values: FieldValues[]; sessionOnly: boolean };
    result: AccountView;
  };
  /**
   * Abandons the sign-up form of `session` (back to sign in, another server): its connection
   * is closed now. Unknown sessions are ignored; never rejects but with `internal`.
   */
  cancel_registration: { args: { session: string }; result: null };
  /**
   * Changes the account's password on the server (XEP-0077 §3.3), then in the keyring, then
   * reconnects. Rejects with `not_connected`, `server_error`.
   */
  change_password: { args: { accountId: number; password: string }; result: null };
  /**
   * Deletes the account on the server (XEP-0077 §3.2), then removes it from Linnet with its
   * data and keyring entry (as `remove_account`). Rejects with `not_connected`, `server_error`.
   */
  delete_account_on_server: { args: { accountId: number }; result: null };
  /**
   * The ad-hoc commands (XEP-0050) `entity` offers, our server when null. Rejects with
   * `invalid_jid`, `not_connected`, `server_error` (in words).
   */
  list_commands: { args: { accountId: number; entity: string | null }; result: CommandItem[] };
  /** Runs a command: its first stage. Rejects as `list_commands`. */
  run_command: { args: { accountId: number; entity: string; node: string }; result: CommandStage };
  /** The next stage of a running command, with the form's values. Rejects as `list_commands`. */
  continue_command: {
    args: { accountId: number; session: CommandSession; action: CommandAction; values: FieldValues[] };
    result: CommandStage;
  };
  /** Cancels a running command. Rejects with `invalid_jid`, `not_connected`. */
  cancel_command: { args: { accountId: number; session: CommandSession }; result: null };
  /**
   * Joins a group chat (XEP-0045) as `nick`: now if the account is online, and on every connect.
   * Progress, occupants and errors (say the nickname is taken) arrive as `linnet://room`.
   * Rejects with `invalid_jid` for a bad room address or nickname, `unknown_account`.
   * Joining a room already joined again changes the nickname used. `password` is the room's
   * password (XEP-0045 §7.2.6), null for none; the backend keeps it in memory for rejoins until
   * the app quits, never stored. A room refusing us without it says "This room needs a password."
   * as its error. With `configureFirst`, a room this join creates stays locked (a reserved room,
   * XEP-0045 §10.1.3: nobody else can enter) and its `state.awaiting_configuration` is true until
   * its configuration is saved with `set_room_config`; no effect on a room that already exists.
   */
  join_room: {
    args: {
      accountId: number;
      room: string;
      nick: string;
      password: string | null;
      configureFirst: boolean;
    };
    result: null;
  };
  /** Leaves a room and forgets it; its messages stay (a conversation whose peer is the room). */
  leave_room: { args: { accountId: number; room: string }; result: null };
  /** Every account's rooms with their live state (joined, nickname, subject, occupants, error). */
  list_rooms: { args: Record<string, never>; result: RoomView[] };
  /**
   * One room of an account with its live state (a `list_rooms` element). Rejects with
   * `not_found` when the room is not (or no longer) one of the account's rooms.
   */
  room_state: { args: { accountId: number; room: string }; result: RoomView };
  /**
   * When a room's messages notify: every message, only those mentioning our nickname, or never;
   * then `linnet://room`.
   */
  set_room_notify: { args: { accountId: number; room: string; mode: RoomNotify }; result: null };
  /**
   * Invites `jid` (a bare JID) to a room we are in, through the room (XEP-0045 §7.8.2), or with
   * `direct` straight to them (XEP-0249), with an optional reason. Rejects with `invalid_jid`
   * for a bad room or JID, `not_connected`.
   */
  invite_to_room: {
    args: { accountId: number; room: string; jid: string; reason: string | null; direct: boolean };
    result: null;
  };
  /**
   * The room's configuration form (XEP-0045 §10.1-10.2, an XEP-0004 data form), for its owners.
   * Rejects with `not_connected` when the account is offline, `server_error` when the room
   * refuses (its message says why, e.g. only owners may change the settings), `invalid_jid`
   * for a bad room address.
   */
  room_config: { args: { accountId: number; room: string }; result: RoomConfigForm };
  /**
   * Submits the room's configuration form (XEP-0045 §10.2): every field of `room_config` but
   * the `fixed` ones, hidden ones unchanged, booleans as "1" or "0". Rejects as `room_config`;
   * `server_error` also when the room does not accept a value. A room locked awaiting its
   * configuration (`state.awaiting_configuration`) opens: the flag clears, then `linnet://room`.
   */
  set_room_config: {
    args: { accountId: number; room: string; fields: FieldValues[] };
    result: null;
  };
}

export type CommandName = keyof Commands;

/** Event names and payloads emitted by the backend. */
export interface Events {
  'linnet://account-state': AccountStateEvent;
  /** A batch of new or updated messages (an update carries an id the UI already has). */
  'linnet://messages': MessagesEvent;
  /**
   * Invalidation for one account's roster, contact presence or subscription requests: reload
   * `list_contacts` and `list_subscription_requests`.
   */
  'linnet://roster': RosterEvent;
  /** Invalidation: reload `list_conversations`. */
  'linnet://conversations': ReloadEvent;
  /** Invalidation: reload `list_accounts` (added, removed, enabled, settings changed). */
  'linnet://accounts': ReloadEvent;
  /** The user clicked a desktop notification about this conversation: open it. */
  'linnet://open-conversation': OpenConversationEvent;
  /** The account's blocklist changed (by us or another client of ours): read it again. */
  'linnet://blocklist': BlocklistEvent;
  /** A second launch of Linnet handed over an `xmpp:` link (RFC 5122); the window is raised. */
  'linnet://open-uri': XmppUri;
  /**
   * Invalidation for one room's live state (joined, occupants, subject, error): reload that room
   * (`room_state`), or `list_rooms` for a room not listed yet.
   */
  'linnet://room': RoomEvent;
  /**
   * Someone invited us to a room. Not stored by the backend: the UI keeps it until the user
   * joins the room (`join_room`) or dismisses it.
   */
  'linnet://room-invite': RoomInviteEvent;
  /**
   * Someone's chat state (XEP-0085) in a conversation: typing, paused, gone... In rooms, never
   * our own nickname's.
   */
  'linnet://chat-state': ChatStateEvent;
  /**
   * How far an upload (ours, `upload`) or a download (`save_file`) has come: every 256 KiB and
   * at its end. Not stored: the UI keeps the latest per message while the transfer runs.
   */
  'linnet://file-progress': FileProgressEvent;
}

export type EventName = keyof Events;
