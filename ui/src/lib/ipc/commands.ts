// Typed wrappers over `invoke`: one function per backend command.
// Every function rejects with an `IpcError` ({code, message}) and nothing else.

import { invoke } from '@tauri-apps/api/core';
import type {
  CommandAction,
  CommandItem,
  CommandSession,
  CommandStage,
  DatabaseProblem,
  AccountView,
  AddAccountRequest,
  ChatStateName,
  CommandName,
  Commands,
  ContactView,
  ConversationView,
  FieldValues,
  HistoryPageView,
  MessageEditView,
  MessageView,
  PickedFile,
  OwnDevice,
  DeviceView,
  Trust,
  OwnShow,
  Profile,
  ProfileView,
  RegistrationForm,
  RegistrationServer,
  ResourceView,
  RoomConfigForm,
  RoomNotify,
  RoomView,
  SearchHit,
  SubscriptionRequestView,
  XmppUri,
} from './bindings';
import { toIpcError } from './errors';

/** Calls a backend command with typed arguments and result. */
export async function call<C extends CommandName>(
  command: C,
  args: Commands[C]['args'],
): Promise<Commands[C]['result']> {
  try {
    return await invoke<Commands[C]['result']>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

export function listAccounts(): Promise<AccountView[]> {
  return call('list_accounts', {});
}

export function addAccount(request: AddAccountRequest): Promise<AccountView> {
  return call('add_account', { request });
}

export async function removeAccount(accountId: number): Promise<void> {
  await call('remove_account', { accountId });
}

/**
 * Changes an account's host/port override, direct TLS, PLAIN consent (null keeps it) and own
 * proxy (null: the system's), then reconnects it.
 */
export function updateAccount(
  accountId: number,
  host: string | null,
  port: number | null,
  directTls: boolean,
  allowPlain: boolean | null = null,
  proxy: string | null = null,
): Promise<AccountView> {
  return call('update_account', { accountId, host, port, directTls, allowPlain, proxy });
}

export async function setAccountEnabled(accountId: number, enabled: boolean): Promise<void> {
  await call('set_account_enabled', { accountId, enabled });
}

export async function trustCertificate(accountId: number, sha256: string): Promise<void> {
  await call('trust_certificate', { accountId, sha256 });
}

export function listContacts(accountId: number): Promise<ContactView[]> {
  return call('list_contacts', { accountId });
}

export function listConversations(): Promise<ConversationView[]> {
  return call('list_conversations', {});
}

/** `before`: id of the oldest message already shown, or null for the newest page. */
export function loadMessages(
  accountId: number,
  peer: string,
  before: number | null,
  limit: number,
): Promise<MessageView[]> {
  return call('load_messages', { accountId, peer, before, limit });
}

/**
 * The messages around row id `id` (up to `limit` before and after it, and it), oldest first:
 * a search hit in its context.
 */
export function loadMessagesAround(
  accountId: number,
  peer: string,
  id: number,
  limit: number,
): Promise<MessageView[]> {
  return call('load_messages_around', { accountId, peer, id, limit });
}

/**
 * Full-text search of the stored messages, newest first: all accounts when `accountId` is null,
 * one conversation when `peer` is given. An empty query finds nothing.
 */
export function searchMessages(
  accountId: number | null,
  peer: string | null,
  query: string,
  limit: number,
): Promise<SearchHit[]> {
  return call('search_messages', { accountId, peer, query, limit });
}

/**
 * Fetches older messages of a chat from the server's archive into the local store; they also
 * arrive as `linnet://messages`. `complete`: the archive holds nothing older.
 */
export function fetchHistory(accountId: number, peer: string): Promise<HistoryPageView> {
  return call('fetch_history', { accountId, peer });
}

/** Sends `body` to `to`; `replyTo` is the row id of the message it answers (null for none). */
export function sendMessage(
  accountId: number,
  to: string,
  body: string,
  replyTo: number | null = null,
): Promise<MessageView> {
  return call('send_message', { accountId, to, body, replyTo });
}

/** Replaces the text of our own message `id` (XEP-0308); the row follows as an event. */
export async function correctMessage(accountId: number, id: number, body: string): Promise<void> {
  await call('correct_message', { accountId, id, body });
}

/** Deletes our own message `id` for everyone (XEP-0424). */
export async function retractMessage(accountId: number, id: number): Promise<void> {
  await call('retract_message', { accountId, id });
}

/** Has the room delete the group message `id` (XEP-0425); `reason` null for none. */
export async function moderateMessage(
  accountId: number,
  id: number,
  reason: string | null,
): Promise<void> {
  await call('moderate_message', { accountId, id, reason });
}

/** Sets our full set of reactions on message `id` (XEP-0444); `[]` removes ours. */
export async function reactToMessage(accountId: number, id: number, emojis: string[]): Promise<void> {
  await call('react_to_message', { accountId, id, emojis });
}

/** Tells `peer` our chat state (XEP-0085). */
export async function sendChatState(
  accountId: number,
  peer: string,
  state: ChatStateName,
): Promise<void> {
  await call('send_chat_state', { accountId, peer, state });
}

/** The older texts of an edited message, oldest first. */
export function messageEdits(accountId: number, id: number): Promise<MessageEditView[]> {
  return call('message_edits', { accountId, id });
}

/** Sends the failed outgoing message `id` again; its new states arrive as `linnet://messages`. */
export async function retryMessage(accountId: number, id: number): Promise<void> {
  await call('retry_message', { accountId, id });
}

export async function markRead(accountId: number, peer: string): Promise<void> {
  await call('mark_read', { accountId, peer });
}

/** Turns desktop notifications for one conversation off (`muted`) or back on. */
export async function setMuted(accountId: number, peer: string, muted: boolean): Promise<void> {
  await call('set_muted', { accountId, peer, muted });
}

/** Whether what we send to `peer` is encrypted with OMEMO; `null` while undecided. */
export function conversationEncryption(accountId: number, peer: string): Promise<boolean | null> {
  return call('conversation_encryption', { accountId, peer });
}

/** Turns OMEMO on or off for what we send to `peer`. */
export async function setConversationEncryption(accountId: number, peer: string, on: boolean): Promise<void> {
  await call('set_conversation_encryption', { accountId, peer, on });
}

/** Our OMEMO device on an account (`null` before its first connect). */
export function ownOmemoDevice(accountId: number): Promise<OwnDevice | null> {
  return call('own_omemo_device', { accountId });
}

/** The OMEMO devices seen of `peer` (ours for our other devices), with fingerprints and trust. */
export function omemoDevices(accountId: number, peer: string): Promise<DeviceView[]> {
  return call('omemo_devices', { accountId, peer });
}

/** Sets our trust in one OMEMO device of `peer` (`verified` after comparing fingerprints). */
export async function setOmemoTrust(accountId: number, peer: string, deviceId: number, trust: Trust): Promise<void> {
  await call('set_omemo_trust', { accountId, peer, deviceId, trust });
}

/** Opens a link outside the app (system browser, mail client...). */
export async function openLink(url: string): Promise<void> {
  await call('open_link', { url });
}

/** Tells the shell which chat is on screen (null for none), so it does not notify about it. */
export async function setActiveConversation(accountId: number | null, peer: string | null): Promise<void> {
  await call('set_active_conversation', { accountId, peer });
}

/** Sets our own presence on one account (RFC 6121 §4.2); `status` null means no status text. */
export async function setPresence(accountId: number, show: OwnShow, status: string | null): Promise<void> {
  await call('set_presence', { accountId, show, status });
}

/** Adds `jid` to the roster and asks to see their presence. */
export async function addContact(
  accountId: number,
  jid: string,
  name: string | null,
  groups: string[],
): Promise<void> {
  await call('add_contact', { accountId, jid, name, groups });
}

export async function removeContact(accountId: number, jid: string): Promise<void> {
  await call('remove_contact', { accountId, jid });
}

export function listSubscriptionRequests(accountId: number): Promise<SubscriptionRequestView[]> {
  return call('list_subscription_requests', { accountId });
}

/** Lets `jid` see our presence, and asks to see theirs. */
export async function approveSubscription(accountId: number, jid: string): Promise<void> {
  await call('approve_subscription', { accountId, jid });
}

export async function denySubscription(accountId: number, jid: string): Promise<void> {
  await call('deny_subscription', { accountId, jid });
}

/** Asks to see `jid`'s presence. */
export async function requestSubscription(accountId: number, jid: string): Promise<void> {
  await call('request_subscription', { accountId, jid });
}

/** Stops seeing `jid`'s presence (they still see ours). */
export async function unsubscribe(accountId: number, jid: string): Promise<void> {
  await call('unsubscribe', { accountId, jid });
}

/** Renames and regroups a contact (`name` null or blank: no name). */
export async function updateContact(
  accountId: number,
  jid: string,
  name: string | null,
  groups: string[],
): Promise<void> {
  await call('update_contact', { accountId, jid, name, groups });
}

/** `jid`'s profile as the server has it now (vCard4, else vcard-temp). */
export function loadProfile(accountId: number, jid: string): Promise<ProfileView> {
  return call('profile', { accountId, jid });
}

/** Makes `profile` ours on the account (vCard4, vcard-temp and nickname). */
export async function saveProfile(accountId: number, profile: Profile): Promise<void> {
  await call('set_profile', { accountId, profile });
}

/** A contact's online resources with their clients. */
export function contactResources(accountId: number, jid: string): Promise<ResourceView[]> {
  return call('contact_resources', { accountId, jid });
}

/**
 * Replaces the stored password of an account and reconnects it. `sessionOnly` keeps it in memory
 * until the app quits instead of the keyring (the fallback after `keyring_unavailable`).
 */
export async function setPassword(
  accountId: number,
  password: string,
  sessionOnly: boolean,
): Promise<void> {
  await call('set_password', { accountId, password, sessionOnly });
}

/**
 * Opens a connection to the server (TLS, no login) and asks for its sign-up form (XEP-0077).
 * Rejects with `network`, `certificate_untrusted` or `server_error` (say the server does not
 * allow creating accounts; the message says why).
 */
export function registrationForm(server: RegistrationServer): Promise<RegistrationForm> {
  return call('registration_form', { server });
}

/** Abandons the sign-up form of `session`, closing its connection (unknown ones are ignored). */
export async function cancelRegistration(session: string): Promise<void> {
  await call('cancel_registration', { session });
}

/**
 * Submits the sign-up form on its `session`; the new account is stored (its password in the
 * keyring, or in memory with `sessionOnly`), added and connected. Rejects with `server_error`
 * (the form can be corrected and sent again), `not_found` (the session expired: fetch the form
 * again) or `keyring_unavailable`.
 */
export function registerAccount(
  session: string,
  values: FieldValues[],
  sessionOnly: boolean,
): Promise<AccountView> {
  return call('register_account', { session, values, sessionOnly });
}

/**
 * Changes the account's password on the server (XEP-0077 §3.3) and in the keyring, then
 * reconnects. Rejects with `not_connected` or `server_error`.
 */
export async function changePassword(accountId: number, password: string): Promise<void> {
  await call('change_password', { accountId, password });
}

/** The ad-hoc commands (XEP-0050) of `entity`, our server when null. */
export function listCommands(accountId: number, entity: string | null): Promise<CommandItem[]> {
  return call('list_commands', { accountId, entity });
}

/** Runs an ad-hoc command: its first stage. */
export function runCommand(accountId: number, entity: string, node: string): Promise<CommandStage> {
  return call('run_command', { accountId, entity, node });
}

/** The next stage of a running command: `action` with the form's values. */
export function continueCommand(
  accountId: number,
  session: CommandSession,
  action: CommandAction,
  values: FieldValues[],
): Promise<CommandStage> {
  return call('continue_command', { accountId, session, action, values });
}

/** Cancels a running command. */
export async function cancelCommand(accountId: number, session: CommandSession): Promise<void> {
  await call('cancel_command', { accountId, session });
}

/**
 * Deletes the account on the server (XEP-0077 §3.2), then from Linnet with its data (as
 * `removeAccount`). Rejects with `not_connected` or `server_error`.
 */
export async function deleteAccountOnServer(accountId: number): Promise<void> {
  await call('delete_account_on_server', { accountId });
}

/**
 * Joins the group chat `room` as `nick` (now if online, and on every connect), with the room's
 * `password` if it has one (null for none: kept in memory by the backend, never stored);
 * progress and errors arrive as `linnet://room`. With `configureFirst`, a room this join creates
 * stays locked until its configuration is saved (`state.awaiting_configuration` meanwhile).
 * Rejects with `invalid_jid` for a bad address or nickname.
 */
export async function joinRoom(
  accountId: number,
  room: string,
  nick: string,
  password: string | null,
  configureFirst: boolean,
): Promise<void> {
  await call('join_room', { accountId, room, nick, password, configureFirst });
}

/** Leaves a group chat and forgets it; its messages stay. */
export async function leaveRoom(accountId: number, room: string): Promise<void> {
  await call('leave_room', { accountId, room });
}

/** Every account's rooms with their live state. */
export function listRooms(): Promise<RoomView[]> {
  return call('list_rooms', {});
}

/**
 * One room with its live state; rejects with `not_found` when it is not (or no longer) one of
 * the account's rooms.
 */
export function roomState(accountId: number, room: string): Promise<RoomView> {
  return call('room_state', { accountId, room });
}

/** When a room's messages notify (all, mentions of our nickname, none); then `linnet://room`. */
export async function setRoomNotify(accountId: number, room: string, mode: RoomNotify): Promise<void> {
  await call('set_room_notify', { accountId, room, mode });
}

/**
 * Invites `jid` to a room we are in, through the room or (`direct`) straight to them; `reason`
 * null for none. Rejects with `invalid_jid` or `not_connected`.
 */
export async function inviteToRoom(
  accountId: number,
  room: string,
  jid: string,
  reason: string | null,
  direct: boolean,
): Promise<void> {
  await call('invite_to_room', { accountId, room, jid, reason, direct });
}

/**
 * The configuration form of a room we own (XEP-0045 §10.2). Rejects with `not_connected`,
 * `server_error` (say we are not an owner; the message says why) or `invalid_jid`.
 */
export function roomConfig(accountId: number, room: string): Promise<RoomConfigForm> {
  return call('room_config', { accountId, room });
}

/**
 * Submits a room's configuration: every field of its form but the `fixed` ones (booleans as
 * "1" or "0"). Rejects as `roomConfig`, and with `server_error` when the room refuses a value.
 */
export async function setRoomConfig(
  accountId: number,
  room: string,
  fields: FieldValues[],
): Promise<void> {
  await call('set_room_config', { accountId, room, fields });
}

/** Why Linnet's database is not open (`null`: it is; the app can start). */
export function databaseProblem(): Promise<DatabaseProblem | null> {
  return call('database_problem', {});
}

/**
 * Opens the database again: with `passphrase` when given, else with the keyring's key;
 * `unencrypted` goes on without encryption (offered only when no keyring is usable).
 */
export function unlockDatabase(passphrase: string | null, unencrypted = false): Promise<null> {
  return call('unlock_database', { passphrase, unencrypted });
}

/** Moves the unreadable database aside (kept) and starts with a new, empty one. */
export function startAfresh(): Promise<null> {
  return call('start_afresh', {});
}

/** Opens the file dialog: the files picked (none when cancelled), not sent yet. */
export function pickFiles(): Promise<PickedFile[]> {
  return call('pick_files', {});
}

/** Sends a dropped or picked file (its path) to `to`; `keepMetadata`: a photo's stays on. */
export function sendFile(
  accountId: number,
  to: string,
  path: string,
  keepMetadata = false,
): Promise<MessageView> {
  return call('send_file', { accountId, to, path, keepMetadata });
}

/** Sends a dropped or picked file straight to contact `to`, peer to peer (Jingle). */
export function sendFileDirect(accountId: number, to: string, path: string): Promise<MessageView> {
  return call('send_file_direct', { accountId, to, path });
}

/** Sends pasted bytes (`data`, base64, at most 64 MiB) as a file called `name` to `to`. */
export function sendFileData(
  accountId: number,
  to: string,
  name: string,
  data: string,
  keepMetadata = false,
): Promise<MessageView> {
  return call('send_file_data', { accountId, to, name, data, keepMetadata });
}

/** Stops our upload of message `messageId`; the message fails ("Upload cancelled."). */
export async function cancelUpload(messageId: number): Promise<void> {
  await call('cancel_upload', { messageId });
}

/** Takes the file offered peer to peer in message `messageId`; it arrives in Downloads. */
export async function acceptTransfer(messageId: number): Promise<void> {
  await call('accept_transfer', { messageId });
}

/** Declines the file offered in message `messageId`. */
export async function declineTransfer(messageId: number): Promise<void> {
  await call('decline_transfer', { messageId });
}

/** Stops the peer-to-peer transfer of message `messageId`. */
export async function cancelTransfer(messageId: number): Promise<void> {
  await call('cancel_transfer', { messageId });
}

/**
 * Downloads the file message `messageId` shares (an encrypted one decrypted) into Downloads:
 * the saved file's path.
 */
export function saveFile(messageId: number): Promise<string> {
  return call('save_file', { messageId });
}

/** Makes a message's audio or video playable (fetched when not here); then play `mediaUrl`. */
export function fetchMedia(messageId: number): Promise<null> {
  return call('fetch_media', { messageId });
}

/** The JIDs the account blocks (XEP-0191), sorted. */
export function blocklist(accountId: number): Promise<string[]> {
  return call('blocklist', { accountId });
}

/** Blocks a JID (or a domain) on the account: the server drops all it sends. */
export function blockJid(accountId: number, jid: string): Promise<null> {
  return call('block_jid', { accountId, jid });
}

/** Blocks a JID and reports it to our server as a spammer (XEP-0377). */
export function blockAndReport(accountId: number, jid: string): Promise<null> {
  return call('block_and_report', { accountId, jid });
}

/** Unblocks a JID on the account. */
export function unblockJid(accountId: number, jid: string): Promise<null> {
  return call('unblock_jid', { accountId, jid });
}

/** Makes `data` (a picture, base64) our avatar on the account; `null` removes it. */
export function setAvatar(accountId: number, data: string | null): Promise<string | null> {
  return call('set_avatar', { accountId, data });
}

/** The `xmpp:` link Linnet was started with, once. */
export function launchUri(): Promise<XmppUri | null> {
  return call('launch_uri', {});
}

/** Whether Linnet starts when the user logs in. */
export function autostartEnabled(): Promise<boolean> {
  return call('autostart_enabled', {});
}

/** Makes Linnet start (or no longer start) when the user logs in. */
export function setAutostart(enabled: boolean): Promise<null> {
  return call('set_autostart', { enabled });
}

/** Closing the window keeps Linnet running in the tray, or quits. */
export function setCloseToTray(keep: boolean): Promise<null> {
  return call('set_close_to_tray', { keep });
}

/** Starts recording a voice message from the microphone. */
export function startVoiceMessage(): Promise<null> {
  return call('start_voice_message', {});
}

/** Ends the recording and sends it to `to` as an audio file. */
export function sendVoiceMessage(accountId: number, to: string): Promise<MessageView> {
  return call('send_voice_message', { accountId, to });
}

/** Stops the recording and throws it away. */
export function cancelVoiceMessage(): Promise<null> {
  return call('cancel_voice_message', {});
}

/** "Save as…": asks where, then downloads there; the path, or null when cancelled. */
export function saveFileAs(messageId: number): Promise<string | null> {
  return call('save_file_as', { messageId });
}

/** Shows a file saved in Downloads (or with "Save as…") in the system's file manager. */
export function showSavedFile(path: string): Promise<null> {
  return call('show_saved_file', { path });
}
