// A fake Linnet backend for component tests: answers the IPC commands from in-memory data
// through `mockIPC`, records every call, and emits backend events. Message search answers from
// the stored messages, much as the real full-text index would.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import type { InvokeArgs } from '@tauri-apps/api/core';
import type {
  AccountView,
  CommandItem,
  CommandSession,
  CommandStage,
  AddAccountRequest,
  CommandName,
  ContactView,
  ConversationView,
  DeviceView,
  EventName,
  Events,
  FieldValues,
  FileView,
  FormField,
  HistoryPageView,
  MessageEditView,
  MessageView,
  Occupant,
  OwnDevice,
  Profile,
  RegistrationForm,
  RegistrationServer,
  ResourceView,
  RoomConfigForm,
  RoomInviteEvent,
  RoomNotify,
  RoomState,
  RoomView,
  SearchHit,
  SubscriptionRequestView,
  Trust,
  XmppUri,
} from '../lib/ipc';

export interface Call {
  command: string;
  args: InvokeArgs | undefined;
}

/** Overrides one command; return a value or throw (e.g. an `IpcError`) to reject. */
export type Override = (args: Record<string, unknown>) => unknown;

export class FakeBackend {
  accounts: AccountView[] = [];
  contacts: ContactView[] = [];
  conversations: ConversationView[] = [];
  messages: MessageView[] = [];
  requests: SubscriptionRequestView[] = [];
  /**
   * Group chats, as `list_rooms` (and, one by one, `room_state`) answers them; `join_room` adds
   * one not joined yet.
   */
  rooms: RoomView[] = [];
  /**
   * Rooms' configuration forms (XEP-0045 §10.2) by room JID, as `room_config` answers them to
   * an owner (`roomConfigForm()` for a room not in here); `set_room_config` stores the values.
   */
  roomConfigs = new Map<string, RoomConfigForm>();
  /**
   * Servers that let us sign up (XEP-0077), by domain, with the form `registration_form`
   * answers (`registrationForm()`: user name, password, instructions, at
   * `REGISTRATION_DOMAIN`); any other domain refuses with `server_error`.
   */
  registrationForms = new Map<string, Omit<RegistrationForm, 'session' | 'domain'>>([
    [REGISTRATION_DOMAIN, registrationFormBody()],
  ]);
  /** The accounts the fake servers hold (bare JIDs): `register_account` refuses these names. */
  readonly registered = new Set<string>([`bob@${REGISTRATION_DOMAIN}`]);
  /**
   * The sign-up connections open, session → where it connected; `register_account` on one not
   * in here (it expired) rejects with `not_found`. Tests delete one to expire it.
   */
  readonly registrationSessions = new Map<string, RegistrationServer>();
  /** The system keyring works; when false, storing a password needs `sessionOnly`. */
  keyringAvailable = true;
  /** Sessions whose account the server created but whose password found no keyring. */
  readonly #createdBefore = new Set<string>();
  /** The passwords set by `register_account` and `change_password`, by account id. */
  readonly passwords = new Map<number, string>();
  /** `load_messages` answers pages of `limit` messages (otherwise everything, in one go). */
  paged = false;
  /**
   * Messages only in the server's archive (XEP-0313), older than the stored ones: `fetch_history`
   * moves the newest `archivePage` of a chat into `messages` and reports them as an event.
   */
  archive: MessageView[] = [];
  archivePage = 50;
  /** Older texts of edited messages by row id, oldest first, as `message_edits` answers. */
  edits = new Map<number, MessageEditView[]>();
  /**
   * OMEMO for what we send, by chat (`encryptionKey`), as `conversation_encryption`
   * answers (null, undecided, when not in here); `set_conversation_encryption` stores the choice
   * and announces `linnet://conversations`, and `send_message` encrypts while it is on.
   */
  encryption = new Map<string, boolean | null>();
  /** Our OMEMO device by account id, as `own_omemo_device` answers (null when not in here). */
  ownDevices = new Map<number, OwnDevice>();
  /**
   * The OMEMO devices seen of each peer, by chat (`encryptionKey`), as `omemo_devices` answers
   * (none when not in here); `set_omemo_trust` changes one's trust and announces
   * `linnet://conversations`, as the real backend does.
   */
  omemoDevices = new Map<string, DeviceView[]>();
  /**
   * What the file dialog picks for `pick_files` (paths; none: cancelled). Each path sent
   * (`send_file`) or pasted (`send_file_data`) becomes an outgoing message uploading its
   * file, as the real backend stores it; tests then emit `linnet://file-progress` and the row's
   * changes.
   */
  picked: string[] = [];
  /** The Downloads folder `save_file` saves into. */
  downloads = '/home/alice/Downloads';
  readonly calls: Call[] = [];
  /** The `xmpp:` link the app was started with (`launch_uri` hands it over once). */
  launchUri: XmppUri | null = null;
  /**
   * The ad-hoc commands (XEP-0050) every server offers, as `list_commands` answers for a null
   * entity: `uptime` completes at once with a note; `add-user` asks for a JID and a password
   * (one stage, Complete), then completes with a note naming the JID, or refuses an empty JID.
   */
  commands: CommandItem[] = [
    { jid: 'example.org', node: 'uptime', name: 'Get uptime' },
    { jid: 'example.org', node: 'add-user', name: 'Add User' },
  ];
  /** JIDs the account blocks (`block_jid`). */
  readonly blocked = new Set<string>();
  /** Linnet starts at login (`set_autostart`). */
  autostart = false;
  /** A voice message is being recorded (`start_voice_message`). */
  recording = false;
  /**
   * Profiles by bare JID, as `profile` answers them (source `vcard4`; `none` with empty fields
   * when not in here); `set_profile` stores ours under the account's JID.
   */
  readonly profiles = new Map<string, Profile>();
  /** Contacts' online resources by bare JID, as `contact_resources` answers (none otherwise). */
  readonly resources = new Map<string, ResourceView[]>();
  readonly overrides = new Map<CommandName, Override>();
  #nextId = 1000;

  constructor() {
    mockIPC((command, args) => this.#handle(command, args), { shouldMockEvents: true });
  }

  /** Calls of one command, arguments only. */
  callsOf(command: CommandName): Array<Record<string, unknown>> {
    return this.calls
      .filter((c) => c.command === command)
      .map((c) => (c.args ?? {}) as Record<string, unknown>);
  }

  on(command: CommandName, override: Override): void {
    this.overrides.set(command, override);
  }

  emit<E extends EventName>(name: E, payload: Events[E]): Promise<void> {
    return emit(name, payload);
  }

  #handle(command: string, args: InvokeArgs | undefined): unknown {
    this.calls.push({ command, args });
    const a = (args ?? {}) as Record<string, unknown>;
    const override = this.overrides.get(command as CommandName);
    if (override) return override(a);
    switch (command as CommandName) {
      case 'list_accounts':
        return this.accounts;
      case 'add_account': {
        const request = a['request'] as AddAccountRequest;
        const account: AccountView = {
          id: this.#nextId++,
          jid: request.jid,
          enabled: true,
          state: { kind: 'connecting' },
          host: request.host ?? null,
          port: request.port ?? null,
          direct_tls: request.direct_tls,
          avatar: null,
          own_show: 'available',
          own_status: null,
          connected_via: null,
          allow_plain: false,
          proxy: null,
        };
        this.accounts.push(account);
        return account;
      }
      case 'update_account': {
        const known = this.accounts.find((x) => x.id === a['accountId']);
        if (!known) throw { code: 'unknown_account', message: 'no such account' };
        const updated: AccountView = {
          ...known,
          host: a['host'] as string | null,
          port: a['port'] as number | null,
          direct_tls: a['directTls'] as boolean,
          allow_plain: (a['allowPlain'] as boolean | null) ?? known.allow_plain,
          proxy: a['proxy'] as string | null,
          state: { kind: 'connecting' },
        };
        this.accounts = this.accounts.map((x) => (x.id === updated.id ? updated : x));
        return updated;
      }
      case 'remove_account':
        this.accounts = this.accounts.filter((x) => x.id !== a['accountId']);
        return null;
      case 'registration_form':
        return this.#registrationForm(a['server'] as RegistrationServer);
      case 'register_account':
        return this.#register(a);
      case 'cancel_registration':
        this.registrationSessions.delete(a['session'] as string);
        return null;
      case 'change_password': {
        // Like the real backend: changed on the server while online, then stored.
        const known = this.#online(a);
        this.passwords.set(known.id, a['password'] as string);
        return null;
      }
      case 'list_commands':
        return a['entity'] === null || a['entity'] === 'example.org' ? this.commands : [];
      case 'run_command':
        return this.#runCommand(a['entity'] as string, a['node'] as string);
      case 'continue_command':
        return this.#continueCommand(a['session'] as CommandSession, a['values'] as FieldValues[]);
      case 'cancel_command':
        return null;
      case 'delete_account_on_server': {
        // Like the real backend: gone from the server, then from Linnet (as remove_account).
        const known = this.#online(a);
        this.registered.delete(known.jid);
        this.accounts = this.accounts.filter((x) => x.id !== known.id);
        this.passwords.delete(known.id);
        return null;
      }
      case 'list_contacts':
        return this.contacts.filter((c) => c.account_id === a['accountId']);
      case 'list_conversations':
        return this.conversations;
      case 'load_messages':
        return this.#page(a);
      case 'load_messages_around':
        return this.#around(a);
      case 'search_messages':
        return this.#search(a);
      case 'fetch_history':
        return this.fetchHistory(a);
      case 'send_message': {
        const replyTo = (a['replyTo'] ?? null) as number | null;
        const original = this.messages.find((m) => m.id === replyTo);
        const message: MessageView = {
          ...noFacets(),
          id: this.#nextId++,
          account_id: a['accountId'] as number,
          peer: a['to'] as string,
          outgoing: true,
          body: a['body'] as string,
          at: Date.now(),
          state: 'pending',
          error: null,
          groupchat: this.rooms.some((r) => r.account_id === a['accountId'] && r.jid === a['to']),
          sender: null,
          reply_to: original
            ? { id: original.id, sender: original.sender ?? original.peer, quote: original.body }
            : null,
          encryption:
            this.encryption.get(encryptionKey(a['accountId'] as number, a['to'] as string)) === true
              ? 'omemo'
              : 'none',
          sender_trust: null,
          file: null,
        };
        this.messages.push(message);
        return message;
      }
      case 'pick_files':
        return this.picked.map((path) => ({ path, name: baseName(path), size: null }));
      case 'send_file':
        return this.#upload(a, baseName(a['path'] as string), null);
      case 'send_file_data':
        return this.#upload(a, a['name'] as string, atob(a['data'] as string).length);
      case 'cancel_upload': {
        // Like the real backend: the upload stops, the message fails (Retry starts it again).
        const known = this.messages.find((m) => m.id === a['messageId']);
        if (!known?.file?.uploading) throw { code: 'file', message: 'Nothing is uploading there.' };
        this.#change(known, { state: 'failed', error: 'Upload cancelled.' });
        return null;
      }
      case 'send_file_direct': {
        const sent = this.#upload(a, baseName(a['path'] as string), null);
        const file = { ...sent.file!, uploading: false, sent_from_here: true };
        const direct: MessageView = {
          ...sent,
          state: 'sent',
          file: { ...file, transfer: { state: 'offered', reason: null } },
        };
        this.messages[this.messages.indexOf(sent)] = direct;
        return direct;
      }
      case 'accept_transfer':
      case 'decline_transfer':
      case 'cancel_transfer': {
        // Like the real backend: only an open transfer; the changed row follows as an event.
        const known = this.messages.find((m) => m.id === a['messageId']);
        const open = known?.file?.transfer;
        if (!known?.file || !open || (open.state !== 'offered' && open.state !== 'active')) {
          throw { code: 'not_found', message: 'No transfer under way there.' };
        }
        const next =
          command === 'accept_transfer'
            ? { state: 'active' as const, reason: null }
            : command === 'decline_transfer'
              ? { state: 'declined' as const, reason: 'Declined.' }
              : { state: 'cancelled' as const, reason: 'Cancelled.' };
        this.#change(known, { file: { ...known.file, transfer: next } });
        return null;
      }
      case 'save_file': {
        // Like the real backend: saved in Downloads, remembered on the row, announced.
        const known = this.messages.find((m) => m.id === a['messageId']);
        if (!known?.file || known.file.uploading) {
          throw { code: 'file', message: 'That message shares no file.' };
        }
        const path = `${this.downloads}/${known.file.name}`;
        this.#change(known, { file: { ...known.file, saved_path: known.outgoing ? null : path } });
        return path;
      }
      case 'fetch_media': {
        const known = this.messages.find((m) => m.id === a['messageId']);
        if (!known?.file) throw { code: 'file', message: 'That message shares no file.' };
        return null;
      }
      case 'blocklist':
        return [...this.blocked].sort();
      case 'block_jid':
      case 'block_and_report':
        this.blocked.add(a['jid'] as string);
        return null;
      case 'unblock_jid':
        this.blocked.delete(a['jid'] as string);
        return null;
      case 'set_avatar': {
        // A stand-in hash per picture (the engine's is the SHA-1 of the PNG it makes).
        const data = a['data'] as string | null;
        const hash = data === null ? null : fakeHash(data);
        this.accounts = this.accounts.map((x) =>
          x.id === a['accountId'] ? { ...x, avatar: hash } : x,
        );
        void this.emit('linnet://accounts', {});
        return hash;
      }
      case 'launch_uri': {
        const uri = this.launchUri;
        this.launchUri = null;
        return uri;
      }
      case 'set_close_to_tray':
        return null;
      case 'autostart_enabled':
        return this.autostart;
      case 'set_autostart':
        this.autostart = a['enabled'] as boolean;
        return null;
      case 'start_voice_message':
        this.recording = true;
        return null;
      case 'cancel_voice_message':
        this.recording = false;
        return null;
      case 'send_voice_message': {
        // Like the real backend: the recording goes as an Ogg Opus file, uploading.
        if (!this.recording) throw { code: 'file', message: 'Nothing is being recorded.' };
        this.recording = false;
        const sent = this.#upload(a, 'Voice message 2026-12-04 21-05-09.ogg', 24_000);
        const voice = { ...sent, file: { ...sent.file!, media_type: 'audio/ogg', sent_from_here: true } };
        this.messages[this.messages.indexOf(sent)] = voice;
        return voice;
      }
      case 'save_file_as':
        // The dialog's answer is the test's (`on('save_file_as', …)`); cancelled by default.
        return null;
      case 'show_saved_file':
        return null;
      case 'correct_message': {
        // Like the real backend: our own, not retracted; the changed row follows as an event.
        const known = this.#own(a);
        if (known.retracted) throw { code: 'internal', message: 'message was retracted' };
        const older = [...(this.edits.get(known.id) ?? []), { body: known.body, at: Date.now() }];
        this.edits.set(known.id, older);
        this.#change(known, { body: a['body'] as string, edited: true });
        return null;
      }
      case 'retract_message':
        this.#change(this.#own(a), { body: '', retracted: true });
        return null;
      case 'moderate_message': {
        const known = this.#find(a);
        const moderator = this.rooms.find((r) => r.account_id === known.account_id && r.jid === known.peer);
        this.#change(known, {
          body: '',
          retracted: true,
          moderated_by: moderator?.state.nick ?? null,
          retract_reason: (a['reason'] ?? null) as string | null,
        });
        return null;
      }
      case 'react_to_message': {
        // Like the real backend: the set replaces ours; grouped by emoji in first-reacted order.
        const known = this.#find(a);
        const room = this.rooms.find((r) => r.account_id === known.account_id && r.jid === known.peer);
        const self = room ? room.state.nick : (this.accounts.find((x) => x.id === known.account_id)?.jid ?? '');
        const emojis = a['emojis'] as string[];
        const reactions = known.reactions
          .map((r) => {
            const senders = r.senders.filter((s) => s !== self);
            if (emojis.includes(r.emoji)) senders.push(self);
            return { ...r, senders, count: senders.length, ours: emojis.includes(r.emoji) };
          })
          .filter((r) => r.count > 0);
        for (const emoji of emojis) {
          if (!reactions.some((r) => r.emoji === emoji)) {
            reactions.push({ emoji, count: 1, senders: [self], ours: true });
          }
        }
        this.#change(known, { reactions });
        return null;
      }
      case 'message_edits':
        return this.edits.get(this.#find(a).id) ?? [];
      case 'retry_message': {
        // Like the real backend: the row goes back to pending, reported as an event.
        const known = this.messages.find((m) => m.account_id === a['accountId'] && m.id === a['id']);
        if (!known) throw { code: 'internal', message: 'no such message' };
        const pending: MessageView = { ...known, state: 'pending', error: null };
        this.messages = this.messages.map((m) => (m === known ? pending : m));
        void this.emit('linnet://messages', {
          account_id: pending.account_id,
          peer: pending.peer,
          messages: [pending],
        });
        return null;
      }
      case 'add_contact': {
        const accountId = a['accountId'] as number;
        const jid = a['jid'] as string;
        this.contacts = this.contacts.filter((c) => !(c.account_id === accountId && c.jid === jid));
        this.contacts.push(
          contact(jid, {
            account_id: accountId,
            name: a['name'] as string | null,
            groups: a['groups'] as string[],
            subscription: 'none',
            ask: true,
            presence: { show: 'offline', status: null, priority: 0, error: null },
          }),
        );
        return null;
      }
      case 'update_contact':
        this.contacts = this.contacts.map((c) =>
          c.account_id === a['accountId'] && c.jid === a['jid']
            ? { ...c, name: a['name'] as string | null, groups: a['groups'] as string[] }
            : c,
        );
        void this.emit('linnet://roster', { account_id: a['accountId'] as number });
        return null;
      case 'profile': {
        const known = this.profiles.get(a['jid'] as string);
        return known
          ? { profile: known, source: 'vcard4' }
          : { profile: emptyProfile(), source: 'none' };
      }
      case 'set_profile': {
        const account = this.accounts.find((x) => x.id === a['accountId']);
        if (account) this.profiles.set(account.jid, a['profile'] as Profile);
        return null;
      }
      case 'contact_resources':
        return this.resources.get(a['jid'] as string) ?? [];
      case 'request_subscription':
      case 'unsubscribe':
        return null;
      case 'remove_contact':
        this.contacts = this.contacts.filter(
          (c) => !(c.account_id === a['accountId'] && c.jid === a['jid']),
        );
        return null;
      case 'list_subscription_requests':
        return this.requests.filter((r) => r.account_id === a['accountId']);
      case 'approve_subscription':
      case 'deny_subscription':
        this.requests = this.requests.filter(
          (r) => !(r.account_id === a['accountId'] && r.jid === a['jid']),
        );
        return null;
      case 'set_muted':
        this.conversations = this.conversations.map((c) =>
          c.account_id === a['accountId'] && c.peer === a['peer']
            ? { ...c, muted: a['muted'] as boolean }
            : c,
        );
        return null;
      case 'conversation_encryption':
        return this.encryption.get(encryptionKey(a['accountId'] as number, a['peer'] as string)) ?? null;
      case 'set_conversation_encryption':
        // Like the real backend: stored, then announced as `linnet://conversations`.
        this.encryption.set(encryptionKey(a['accountId'] as number, a['peer'] as string), a['on'] as boolean);
        void this.emit('linnet://conversations', {});
        return null;
      case 'own_omemo_device':
        return this.ownDevices.get(a['accountId'] as number) ?? null;
      case 'omemo_devices':
        return this.omemoDevices.get(encryptionKey(a['accountId'] as number, a['peer'] as string)) ?? [];
      case 'set_omemo_trust': {
        const key = encryptionKey(a['accountId'] as number, a['peer'] as string);
        const devices = this.omemoDevices.get(key) ?? [];
        if (!devices.some((d) => d.device_id === a['deviceId'])) {
          throw { code: 'not_found', message: 'no such device' };
        }
        this.omemoDevices.set(
          key,
          devices.map((d) => (d.device_id === a['deviceId'] ? { ...d, trust: a['trust'] as Trust } : d)),
        );
        void this.emit('linnet://conversations', {});
        return null;
      }
      case 'list_rooms':
        return this.rooms;
      case 'room_state': {
        const known = this.rooms.find((r) => r.account_id === a['accountId'] && r.jid === a['room']);
        if (!known) throw { code: 'not_found', message: 'no such room' };
        return known;
      }
      case 'join_room': {
        // Like the real backend: remembered at once, joined later (tests emit `linnet://room`).
        // The password (null for none) and `configureFirst` are only recorded, as the call's
        // arguments: a test locks a room it "created" with `awaiting_configuration`.
        const accountId = a['accountId'] as number;
        const jid = a['room'] as string;
        if (!this.accounts.some((x) => x.id === accountId)) {
          throw { code: 'unknown_account', message: 'no such account' };
        }
        const known = this.rooms.find((r) => r.account_id === accountId && r.jid === jid);
        const joining = room(jid, {
          account_id: accountId,
          state: roomState({ joined: false, nick: a['nick'] as string }),
        });
        this.rooms = known
          ? this.rooms.map((r) => (r === known ? joining : r))
          : [...this.rooms, joining];
        return null;
      }
      case 'set_room_notify': {
        // Like the real backend: stored, then announced as `linnet://room`.
        const known = this.rooms.find((r) => r.account_id === a['accountId'] && r.jid === a['room']);
        if (!known) throw { code: 'not_found', message: 'no such room' };
        this.rooms = this.rooms.map((r) =>
          r === known ? { ...r, notify: a['mode'] as RoomNotify } : r,
        );
        void this.emit('linnet://room', { account_id: known.account_id, room: known.jid });
        return null;
      }
      case 'invite_to_room': {
        // Like the real backend: sent at once while online (the room passes it on).
        const known = this.accounts.find((x) => x.id === a['accountId']);
        if (known?.state.kind !== 'online') {
          throw { code: 'not_connected', message: 'account is not connected' };
        }
        return null;
      }
      case 'room_config': {
        this.#checkOwner(a);
        const jid = a['room'] as string;
        return this.roomConfigs.get(jid) ?? roomConfigForm();
      }
      case 'set_room_config': {
        // Like the real backend: only an owner's form is accepted; the room keeps the values.
        // A room locked until configured (§10.1.3) opens, announced as `linnet://room`.
        const listed = this.#checkOwner(a);
        const jid = a['room'] as string;
        const form = this.roomConfigs.get(jid) ?? roomConfigForm();
        const submitted = a['fields'] as FieldValues[];
        const fields = form.fields.map((f) => {
          const values = submitted.find((x) => x.var === f.var)?.values;
          return values && f.kind !== 'fixed' ? { ...f, values: [...values] } : f;
        });
        this.roomConfigs.set(jid, { ...form, fields });
        if (listed.state.awaiting_configuration) {
          const unlocked = { ...listed, state: { ...listed.state, awaiting_configuration: false } };
          this.rooms = this.rooms.map((r) => (r === listed ? unlocked : r));
          void this.emit('linnet://room', { account_id: listed.account_id, room: listed.jid });
        }
        return null;
      }
      case 'leave_room':
        this.rooms = this.rooms.filter(
          (r) => !(r.account_id === a['accountId'] && r.jid === a['room']),
        );
        return null;
      case 'open_link':
      case 'set_account_enabled':
      case 'trust_certificate':
      case 'mark_read':
      case 'set_presence':
      case 'set_password':
      case 'set_active_conversation':
      case 'send_chat_state':
        return null;
    }
    throw new Error(`fake backend: unknown command ${command}`);
  }

  /**
   * Stores our message sharing the file `name` with `to` (`accountId`), uploading: its body the
   * name until the upload is done, as the real backend does.
   */
  #upload(a: Record<string, unknown>, name: string, size: number | null): MessageView {
    const accountId = a['accountId'] as number;
    const to = a['to'] as string;
    const encrypted = this.encryption.get(encryptionKey(accountId, to)) === true;
    const sent = message(this.#nextId++, {
      account_id: accountId,
      peer: to,
      outgoing: true,
      body: name,
      at: Date.now(),
      state: 'pending',
      groupchat: this.rooms.some((r) => r.account_id === accountId && r.jid === to),
      encryption: encrypted ? 'omemo' : 'none',
      file: fileView(name, { size, encrypted, uploading: true }),
    });
    this.messages.push(sent);
    return sent;
  }

  /** The account the command names (`accountId`), online; else `not_connected`. */
  #online(a: Record<string, unknown>): AccountView {
    const known = this.accounts.find((x) => x.id === a['accountId']);
    if (!known) throw { code: 'unknown_account', message: 'no such account' };
    if (known.state.kind !== 'online') throw { code: 'not_connected', message: 'account is not connected' };
    return known;
  }

  /** `registration_form`: opens a session on a server that lets us sign up. */
  #runCommand(entity: string, node: string): CommandStage {
    const session = { jid: entity, node, id: `${node}-1`, form_type: null };
    const stage = {
      session,
      status: 'completed' as const,
      title: null,
      instructions: null,
      fields: [],
      result: false,
      notes: [],
      actions: [],
      default_action: null,
    };
    if (node === 'uptime') {
      return { ...stage, notes: [{ kind: 'info', text: 'This server has been running for 3 days.' }] };
    }
    if (node === 'add-user') {
      const field = (v: string, kind: string, label: string) => ({
        var: v, kind, label, desc: null, required: true, values: [], options: [],
      });
      return {
        ...stage,
        status: 'executing',
        title: 'Adding a User',
        instructions: 'Fill out this form to add a user.',
        fields: [field('accountjid', 'jid-single', 'The Jabber ID for the account to be added'), field('password', 'text-private', 'The password for this account')],
        actions: ['complete'],
        default_action: 'complete',
      };
    }
    throw { code: 'server_error', message: 'This command does not exist (any more) there.' };
  }

  #continueCommand(session: CommandSession, values: FieldValues[]): CommandStage {
    const jid = values.find((v) => v.var === 'accountjid')?.values[0] ?? '';
    if (!jid) throw { code: 'server_error', message: 'The command did not accept these values. Check them and try again.' };
    return {
      session,
      status: 'completed',
      title: null,
      instructions: null,
      fields: [],
      result: false,
      notes: [{ kind: 'info', text: `Account ${jid} created.` }],
      actions: [],
      default_action: null,
    };
  }

  #registrationForm(server: RegistrationServer): RegistrationForm {
    const body = this.registrationForms.get(server.domain);
    if (!body) {
      throw { code: 'server_error', message: 'This server does not allow creating accounts (not-allowed).' };
    }
    const session = `registration-${this.#nextId++}`;
    this.registrationSessions.set(session, server);
    return { session, domain: server.domain, ...body };
  }

  /**
   * `register_account`, as the real backend does it: on an open session, every required field
   * given, a user name not taken: created on the server; then a keyring (or `sessionOnly`),
   * else `keyring_unavailable` and the retry does not create it again; then the account is
   * added, connecting, with the session's overrides, and the session closes.
   */
  #register(a: Record<string, unknown>): AccountView {
    const server = this.registrationSessions.get(a['session'] as string);
    if (!server) throw { code: 'not_found', message: 'The sign-up session expired.' };
    const values = a['values'] as FieldValues[];
    const value = (name: string): string => values.find((v) => v.var === name)?.values[0] ?? '';
    const form = this.registrationForms.get(server.domain);
    for (const field of form?.fields ?? []) {
      if (field.required && value(field.var) === '') {
        throw { code: 'server_error', message: `Missing field: ${field.label ?? field.var}.` };
      }
    }
    const session = a['session'] as string;
    const jid = `${value('username')}@${server.domain}`;
    // Created on the server by an earlier call that could not store the password: not again.
    if (!this.#createdBefore.has(session)) {
      if (this.registered.has(jid)) {
        throw { code: 'server_error', message: 'That user name is already taken (conflict).' };
      }
      this.registered.add(jid);
    }
    if (!this.keyringAvailable && a['sessionOnly'] !== true) {
      this.#createdBefore.add(session);
      throw { code: 'keyring_unavailable', message: 'The Secret Service is not running.' };
    }
    this.#createdBefore.delete(session);
    this.registrationSessions.delete(session);
    const created = account(this.#nextId++, jid, {
      state: { kind: 'connecting' },
      host: server.host,
      port: server.port,
      direct_tls: server.direct_tls,
    });
    this.accounts.push(created);
    this.passwords.set(created.id, value('password'));
    return created;
  }

  /** The stored message the command names (`accountId`, `id`). */
  #find(a: Record<string, unknown>): MessageView {
    const known = this.messages.find((m) => m.account_id === a['accountId'] && m.id === a['id']);
    if (!known) throw { code: 'not_found', message: 'no such message' };
    return known;
  }

  /** Like `#find`, for the commands that only take our own messages. */
  #own(a: Record<string, unknown>): MessageView {
    const known = this.#find(a);
    if (!known.outgoing) throw { code: 'internal', message: 'not our message' };
    return known;
  }

  /** Changes a stored message and reports it as `linnet://messages`, as the real backend does. */
  #change(known: MessageView, changes: Partial<MessageView>): void {
    const changed: MessageView = { ...known, ...changes };
    this.messages = this.messages.map((m) => (m === known ? changed : m));
    void this.emit('linnet://messages', {
      account_id: changed.account_id,
      peer: changed.peer,
      messages: [changed],
    });
  }

  /**
   * What the real backend refuses before a room's configuration reaches us: the account offline
   * (`not_connected`), or a room that is not ours to configure (`server_error`, in the room's
   * words: not listed, not in it, or our occupant is not an owner). Returns the room.
   */
  #checkOwner(a: Record<string, unknown>): RoomView {
    const known = this.accounts.find((x) => x.id === a['accountId']);
    if (known?.state.kind !== 'online') {
      throw { code: 'not_connected', message: 'account is not connected' };
    }
    const listed = this.rooms.find((r) => r.account_id === a['accountId'] && r.jid === a['room']);
    const self = listed?.state.occupants.find((o) => o.nick === listed.state.nick);
    if (!listed?.state.joined || self?.affiliation !== 'owner') {
      throw { code: 'server_error', message: "Only the room's owners can change its settings." };
    }
    return listed;
  }

  /**
   * The `fetch_history` answer: stores the next archive page of the chat and emits it, as the
   * real backend does (public for overrides that delay or fail it first).
   */
  fetchHistory(a: Record<string, unknown>): HistoryPageView {
    const accountId = a['accountId'] as number;
    const peer = a['peer'] as string;
    const archived = this.archive
      .filter((m) => m.account_id === accountId && m.peer === peer)
      .sort((x, y) => x.at - y.at || x.id - y.id);
    const fetched = archived.slice(-this.archivePage);
    this.archive = this.archive.filter((m) => !fetched.includes(m));
    this.messages.push(...fetched);
    if (fetched.length > 0) {
      void this.emit('linnet://messages', { account_id: accountId, peer, messages: fetched });
    }
    return { stored: fetched.length, complete: fetched.length === archived.length };
  }

  /** The stored messages of one chat, oldest first. */
  #chat(accountId: unknown, peer: unknown): MessageView[] {
    return this.messages
      .filter((m) => m.account_id === accountId && m.peer === peer)
      .sort((x, y) => x.at - y.at || x.id - y.id);
  }

  /**
   * `load_messages_around`: up to `limit` messages before the one with row id `id`, it, and up
   * to `limit` after it, oldest first; `not_found` for a message not stored.
   */
  #around(a: Record<string, unknown>): MessageView[] {
    const all = this.#chat(a['accountId'], a['peer']);
    const index = all.findIndex((m) => m.id === a['id']);
    if (index < 0) throw { code: 'not_found', message: 'no such message' };
    const limit = a['limit'] as number;
    return all.slice(Math.max(0, index - limit), index + limit + 1);
  }

  /**
   * `search_messages`, much as SQLite FTS5 answers it: the stored messages (of one account and
   * chat when given) whose words include every word of the query, the last one as a prefix,
   * case-insensitively; newest first, at most `limit`. The snippet is the body with the matched
   * words between U+0002 and U+0003, cut to a few words around the first one ("…").
   */
  #search(a: Record<string, unknown>): SearchHit[] {
    const terms = words(a['query'] as string);
    if (terms.length === 0) return [];
    const accountId = a['accountId'] as number | null;
    const peer = a['peer'] as string | null;
    const last = terms.length - 1;
    const matches = (word: string, i: number): boolean =>
      i === last ? word.startsWith(terms[i] ?? '') : word === terms[i];
    return this.messages
      .filter((m) => (accountId === null || m.account_id === accountId) && (peer === null || m.peer === peer))
      .filter((m) => !m.retracted && m.state !== 'system')
      .filter((m) => {
        const body = words(m.body);
        return terms.every((_, i) => body.some((w) => matches(w, i)));
      })
      .sort((x, y) => y.at - x.at || y.id - x.id)
      .slice(0, a['limit'] as number)
      .map((m) => ({ message: m, snippet: snippet(m.body, (w) => terms.some((_, i) => matches(w, i))) }));
  }

  /**
   * `load_messages`: every message of the chat older than `before`, or, with `paged`, the newest
   * `limit` of them, as the real backend answers.
   */
  #page(a: Record<string, unknown>): MessageView[] {
    const all = this.#chat(a['accountId'], a['peer']);
    const before = a['before'] as number | null;
    const end = before === null ? all.length : all.findIndex((m) => m.id === before);
    const older = all.slice(0, end < 0 ? all.length : end);
    return this.paged ? older.slice(-(a['limit'] as number)) : older;
  }
}

/** The key of one chat in `FakeBackend.encryption`. */
export function encryptionKey(accountId: number, peer: string): string {
  return `${accountId} ${peer}`;
}

/** 64 hex digits in eight groups, as the backend gives OMEMO fingerprints; `seed` varies them. */
export function omemoFingerprint(seed: number): string {
  const hex = (n: number): string => ((n * 2654435761 + seed * 40503) >>> 0).toString(16).padStart(8, '0');
  return Array.from({ length: 8 }, (_, i) => hex(seed * 8 + i + 1)).join(' ');
}

/** A contact's OMEMO device as `omemo_devices` answers it, trusted blindly by default. */
export function omemoDevice(deviceId: number, overrides: Partial<DeviceView> = {}): DeviceView {
  return {
    device_id: deviceId,
    fingerprint: omemoFingerprint(deviceId),
    trust: 'blind',
    first_seen: Date.UTC(2026, 9, 1),
    last_heard: null,
    stale: false,
    ...overrides,
  };
}

/** Our OMEMO device on the account of `jid`, with the `xmpp:` URI its QR code carries. */
export function ownDevice(jid: string, deviceId: number): OwnDevice {
  const fingerprint = omemoFingerprint(deviceId);
  return {
    device_id: deviceId,
    fingerprint,
    uri: `xmpp:${jid}?omemo-sid-${deviceId}=${fingerprint.replace(/ /g, '')}`,
  };
}

/** The words of a text, lowercased, as the search index sees them. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Words of context kept on either side of the first match in a snippet. */
const SNIPPET_CONTEXT = 4;

/**
 * A search snippet of `body`: the words around the first one `matched` accepts, each matched
 * word between U+0002 and U+0003, "…" where text was cut.
 */
function snippet(body: string, matched: (word: string) => boolean): string {
  const tokens = [...body.matchAll(/[\p{L}\p{N}]+/gu)];
  const first = Math.max(0, tokens.findIndex((t) => matched(t[0].toLowerCase())));
  const from = tokens[first - SNIPPET_CONTEXT]?.index ?? 0;
  const endToken = tokens[first + SNIPPET_CONTEXT];
  const to = endToken ? (endToken.index ?? 0) + endToken[0].length : body.length;
  let out = from > 0 ? '…' : '';
  let at = from;
  for (const token of tokens) {
    const index = token.index ?? 0;
    if (index < from || index + token[0].length > to) continue;
    if (!matched(token[0].toLowerCase())) continue;
    out += `${body.slice(at, index)}\u0002${token[0]}\u0003`;
    at = index + token[0].length;
  }
  out += body.slice(at, to);
  return to < body.length ? `${out}…` : out;
}

export const ALICE: AccountView = {
  id: 1,
  jid: 'alice@example.org',
  enabled: true,
  state: { kind: 'online' },
  host: null,
  port: null,
  direct_tls: false,
  avatar: null,
  own_show: 'available',
  own_status: null,
  connected_via: null,
  allow_plain: false,
  proxy: null,
};

/** An account view with the defaults of a fresh account (no connection overrides). */
export function account(id: number, jid: string, overrides: Partial<AccountView> = {}): AccountView {
  return {
    id,
    jid,
    enabled: true,
    state: { kind: 'online' },
    host: null,
    port: null,
    direct_tls: false,
    avatar: null,
    own_show: 'available',
    own_status: null,
    connected_via: null,
    allow_plain: false,
    proxy: null,
    ...overrides,
  };
}

export function contact(jid: string, overrides: Partial<ContactView> = {}): ContactView {
  return {
    account_id: ALICE.id,
    jid,
    name: null,
    groups: [],
    subscription: 'both',
    ask: false,
    presence: { show: 'available', status: null, priority: 0, error: null },
    avatar: null,
    nick: null,
    ...overrides,
  };
}

/** A profile with no field given. */
export function emptyProfile(): Profile {
  return { full_name: null, nickname: null, email: null, phone: null, note: null };
}

export function subscriptionRequest(
  jid: string,
  overrides: Partial<SubscriptionRequestView> = {},
): SubscriptionRequestView {
  return {
    account_id: ALICE.id,
    jid,
    status: null,
    nick: null,
    received_at: Date.UTC(2026, 10, 20, 14, 0),
    ...overrides,
  };
}

export function conversation(peer: string, overrides: Partial<ConversationView> = {}): ConversationView {
  return {
    account_id: ALICE.id,
    peer,
    last_body: null,
    last_at: Date.UTC(2026, 10, 20, 12, 0),
    unread: 0,
    mentions: 0,
    muted: false,
    avatar: null,
    ...overrides,
  };
}

/** The message facets of a plain message: not edited nor retracted, no reply, no reactions. */
export function noFacets(): Pick<
  MessageView,
  'edited' | 'retracted' | 'moderated_by' | 'retract_reason' | 'reply_to' | 'reactions'
> {
  return {
    edited: false,
    retracted: false,
    moderated_by: null,
    retract_reason: null,
    reply_to: null,
    reactions: [],
  };
}

export function message(id: number, overrides: Partial<MessageView> = {}): MessageView {
  return {
    ...noFacets(),
    id,
    account_id: ALICE.id,
    peer: 'bob@example.org',
    outgoing: false,
    body: `message ${id}`,
    at: Date.UTC(2026, 10, 20, 12, 0) + id * 60_000,
    state: 'received',
    error: null,
    groupchat: false,
    sender: null,
    encryption: 'none',
    sender_trust: null,
    file: null,
    ...overrides,
  };
}

/** A shared file as a message carries it: a received one, not saved yet, type and size unknown. */
export function fileView(name: string, overrides: Partial<FileView> = {}): FileView {
  return {
    name,
    size: null,
    media_type: null,
    encrypted: false,
    uploading: false,
    saved_path: null,
    sent_from_here: false,
    transfer: null,
    ...overrides,
  };
}

/** The last segment of a path (`/`- or `\`-separated), as the backend names a file sent. */
function baseName(path: string): string {
  return path.split(/[/\\]/).pop() ?? path;
}

/** A group message from `sender` in `room` (outgoing: ours, reflected by the room). */
export function groupMessage(
  id: number,
  room: string,
  sender: string | null,
  overrides: Partial<MessageView> = {},
): MessageView {
  return message(id, { peer: room, groupchat: true, sender, ...overrides });
}

/** A line from `room` itself (someone left, a nickname changed): no sender, state `system`. */
export function systemLine(id: number, room: string, body: string): MessageView {
  return groupMessage(id, room, null, { body, state: 'system' });
}

/**
 * A room's live state: joined as "alice" with nobody else in, no subject, no error, not locked
 * awaiting its configuration.
 */
export function roomState(overrides: Partial<RoomState> = {}): RoomState {
  return {
    joined: true,
    nick: 'alice',
    subject: null,
    occupants: [],
    error: null,
    error_code: null,
    awaiting_configuration: false,
    ...overrides,
  };
}

/** A room of Alice's account, joined (see `roomState`), notifying about every message. */
export function room(jid: string, overrides: Partial<RoomView> = {}): RoomView {
  return { account_id: ALICE.id, jid, state: roomState(), notify: 'all', autojoin: true, ...overrides };
}

/** An occupant: an available participant with no affiliation and a hidden real JID. */
export function occupant(nick: string, overrides: Partial<Occupant> = {}): Occupant {
  return { nick, role: 'participant', affiliation: 'none', jid: null, show: 'available', ...overrides };
}

/** An invitation to `room` for Alice's account, from bob@example.org, without a reason. */
export function roomInvite(room: string, overrides: Partial<RoomInviteEvent> = {}): RoomInviteEvent {
  return { account_id: ALICE.id, room, from: 'bob@example.org', reason: null, ...overrides };
}

/** A data form field (XEP-0004 §3.2) of `kind`, labelled by its name, without values. */
export function formField(name: string, kind: string, overrides: Partial<FormField> = {}): FormField {
  return { var: name, kind, label: name, desc: null, required: false, values: [], options: [], ...overrides };
}

/**
 * A room configuration form (XEP-0045 §10.2) much as Prosody sends it: FORM_TYPE (hidden), a
 * note (fixed), the name (empty), persistent (true), who may see real JIDs (moderators), and
 * the room's password (none).
 */
export function roomConfigForm(overrides: Partial<RoomConfigForm> = {}): RoomConfigForm {
  return {
    title: 'Configuration for room',
    instructions: 'Complete and submit this form to configure the room.',
    fields: [
      formField('FORM_TYPE', 'hidden', {
        label: null,
        values: ['http://jabber.org/protocol/muc#roomconfig'],
      }),
      formField('', 'fixed', { label: null, values: ['Room information'] }),
      formField('muc#roomconfig_roomname', 'text-single', { label: 'Title' }),
      formField('muc#roomconfig_persistentroom', 'boolean', {
        label: 'Persistent (room persists even if last participant leaves)',
        values: ['1'],
      }),
      formField('muc#roomconfig_whois', 'list-single', {
        label: 'Addresses (JIDs) of room occupants may be viewed by:',
        values: ['moderators'],
        options: [
          { label: 'Moderators only', value: 'moderators' },
          { label: 'Anyone', value: 'anyone' },
        ],
      }),
      formField('muc#roomconfig_roomsecret', 'text-private', { label: 'Password' }),
    ],
    ...overrides,
  };
}

/** The server of `FakeBackend.registrationForms` that lets anyone sign up. */
export const REGISTRATION_DOMAIN = 'example.net';

/**
 * A sign-up form (XEP-0077 §3.1) without its session: the legacy fields a server like Prosody
 * asks for (user name and password, required, without labels) and its instructions.
 */
export function registrationFormBody(
  overrides: Partial<Omit<RegistrationForm, 'session' | 'domain'>> = {},
): Omit<RegistrationForm, 'session' | 'domain'> {
  return {
    title: null,
    instructions: 'Choose a username and password for use with this service.',
    fields: [
      formField('username', 'text-single', { label: null, required: true }),
      formField('password', 'text-private', { label: null, required: true }),
    ],
    ...overrides,
  };
}

/** A 40-hex-digit stand-in for a picture's SHA-1, the same for the same data. */
function fakeHash(data: string): string {
  let h = 0;
  for (const ch of data) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(5);
}
