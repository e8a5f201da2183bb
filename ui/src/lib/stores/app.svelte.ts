// The whole UI state: one store per domain plus the open chat, wired to backend events.
// Created once per mounted App (tests mount a fresh one each time) and shared via context.

import { createContext } from 'svelte';
import * as ipc from '../ipc';
import type { Events, IpcError, XmppUri } from '../ipc';
import { AccountsStore } from './accounts.svelte';
import { ChatStatesStore } from './chatStates.svelte';
import { ContactsStore, displayName } from './contacts.svelte';
import { ConversationsStore } from './conversations.svelte';
import { FileTransfersStore } from './files.svelte';
import { RoomInvitesStore } from './invites.svelte';
import { MessagesStore } from './messages.svelte';
import { OmemoStore } from './omemo.svelte';
import { RoomsStore, privateChat, privateChatName, roomName } from './rooms.svelte';
import { SettingsStore } from './settings.svelte';
import { SubscriptionRequestsStore } from './subscriptions.svelte';

/** The chat shown on the right. */
export interface ChatRef {
  accountId: number;
  peer: string;
}

export class AppState {
  readonly accounts = new AccountsStore();
  readonly contacts = new ContactsStore();
  readonly conversations = new ConversationsStore();
  readonly messages = new MessagesStore();
  readonly subscriptionRequests = new SubscriptionRequestsStore();
  readonly rooms = new RoomsStore();
  readonly roomInvites = new RoomInvitesStore();
  /** Who is typing where (XEP-0085). */
  readonly chatStates = new ChatStatesStore();
  /** The OMEMO devices of the contacts whose chats were opened, and our trust in them. */
  readonly omemo = new OmemoStore();
  /** App-wide preferences (localStorage). */
  readonly settings = new SettingsStore();
  /** How far the running file uploads and downloads have come, by message id. */
  readonly files = new FileTransfersStore();

  /** The open chat, if any. */
  chat: ChatRef | null = $state(null);

  /**
   * A message to scroll to and highlight once its chat shows it (a search hit); the chat view
   * clears it when done.
   */
  reveal: (ChatRef & { id: number }) | null = $state(null);

  /** Whether a room's chat shows its occupant list (the user's last choice, for every room). */
  occupantsShown = $state(true);

  /**
   * Text an `xmpp:` link put in a chat's composer (RFC 5122 `?message;body=`): the composer of
   * that chat takes it; nothing is sent until the user presses Enter.
   */
  draft: (ChatRef & { text: string }) | null = $state(null);

  /** An `xmpp:` link that asks to join a room or add a contact, waiting for the user's yes. */
  uriPrompt: { accountId: number; uri: XmppUri } | null = $state(null);
  /** A `?register` link's server (XEP-0147): the sign-up form is shown for it, not yet sent. */
  signUpAt: string | null = $state(null);

  /** A failure not tied to one form (initial load, mark-read...), shown in a banner. */
  problem: IpcError | null = $state(null);

  /** Unix ms, refreshed by `tick()` (App calls it every minute) for "Today"/"Yesterday". */
  now: number = $state(0);

  /** Whether the window has focus; incoming messages in the open chat count as read then. */
  readonly #isAttended: () => boolean;
  readonly #clock: () => number;

  constructor(options: { isAttended?: () => boolean; clock?: () => number } = {}) {
    this.#isAttended = options.isAttended ?? (() => document.hasFocus());
    this.#clock = options.clock ?? Date.now;
    this.now = this.#clock();
  }

  tick(): void {
    this.now = this.#clock();
  }

  /**
   * Subscribes to backend events, then loads accounts, conversations, rooms and rosters. Events are
   * subscribed first so none is lost between the load and the subscription. Resolves to the
   * function that unsubscribes.
   */
  async start(): Promise<() => void> {
    const stop = await ipc.subscribeAll([
      ipc.subscribe('linnet://account-state', (p) => this.#onAccountState(p)),
      ipc.subscribe('linnet://messages', (p) => this.#onMessages(p)),
      ipc.subscribe('linnet://roster', (p) => this.#report(this.loadRoster(p.account_id))),
      ipc.subscribe('linnet://conversations', () => this.#onConversations()),
      ipc.subscribe('linnet://accounts', () => this.#report(this.accounts.load())),
      ipc.subscribe('linnet://room', (p) => this.#report(this.rooms.refresh(p.account_id, p.room))),
      ipc.subscribe('linnet://room-invite', (p) => this.#onRoomInvite(p)),
      ipc.subscribe('linnet://chat-state', (p) => this.chatStates.apply(p)),
      ipc.subscribe('linnet://file-progress', (p) => this.files.apply(p)),
      // The user clicked a desktop notification; the shell has raised the window.
      ipc.subscribe('linnet://open-conversation', (p) => this.openChat(p.account_id, p.peer)),
      // A second launch handed us an `xmpp:` link; the shell has raised the window.
      ipc.subscribe('linnet://open-uri', (p) => this.openUri(p)),
    ]);
    await this.reload();
    // The shell learns the window-closing choice (it keeps none of its own).
    this.#report(ipc.setCloseToTray(this.settings.closeToTray));
    // An `xmpp:` link Linnet was started with.
    const launched = await ipc.launchUri().catch(() => null);
    if (launched) this.openUri(launched);
    return stop;
  }

  /**
   * Shows what an `xmpp:` link asks (RFC 5122, XEP-0147), with the first enabled account: a
   * chat with the text in its composer (never sent by itself), or a question before joining a
   * room or adding a contact. Without an account there is nothing to do it with. A `register`
   * link needs none: it opens the sign-up screen for the server it names, which connects only
   * when the user goes on.
   */
  openUri(uri: XmppUri): void {
    if (uri.action === 'register') {
      this.signUpAt = uri.jid.slice(uri.jid.lastIndexOf('@') + 1).split('/')[0] ?? uri.jid;
      return;
    }
    const list = this.accounts.list;
    const account = list.find((a) => a.enabled) ?? list[0];
    if (!account) return;
    if (uri.action === 'message') {
      this.openChat(account.id, uri.jid);
      if (uri.body) this.draft = { accountId: account.id, peer: uri.jid, text: uri.body };
      return;
    }
    this.uriPrompt = { accountId: account.id, uri };
  }

  /** Loads accounts, conversations, rooms and every roster; a failure goes to `problem`. */
  async reload(): Promise<void> {
    this.problem = null;
    try {
      await Promise.all([this.accounts.load(), this.conversations.load(), this.rooms.load()]);
      await Promise.all(this.accounts.list.map((a) => this.loadRoster(a.id)));
    } catch (error) {
      this.problem = ipc.toIpcError(error);
    }
  }

  /** Reloads one account's contacts and pending subscription requests. */
  async loadRoster(accountId: number): Promise<void> {
    await Promise.all([this.contacts.load(accountId), this.subscriptionRequests.load(accountId)]);
  }

  /** Opens a chat: loads its newest messages and marks it read. */
  openChat(accountId: number, peer: string): void {
    this.reveal = null;
    this.chat = { accountId, peer };
    this.#report(ipc.setActiveConversation(accountId, peer));
    this.#report(this.messages.open(accountId, peer));
    this.markOpenChatRead();
  }

  /**
   * Opens a chat at message `id` (a search hit): the messages around it, scrolled to it and
   * highlighted (see `reveal`). When they cannot be loaded, the chat opens at its newest ones.
   */
  openMessage(accountId: number, peer: string, id: number): void {
    this.chat = { accountId, peer };
    this.reveal = { accountId, peer, id };
    this.#report(ipc.setActiveConversation(accountId, peer));
    this.#report(
      this.messages.openAround(accountId, peer, id).catch(async (error: unknown) => {
        if (this.reveal?.id === id) this.reveal = null;
        await this.messages.open(accountId, peer);
        throw error;
      }),
    );
    this.markOpenChatRead();
  }

  /**
   * What to call a conversation in lists: a room by its name, a private chat with an occupant
   * "Nick (private, in room)", anyone else by their contact name or JID. `groupchat`: its
   * messages are a room's (a room left is no longer listed).
   */
  conversationName(accountId: number, peer: string, groupchat = false): string {
    const occupant = privateChat(peer);
    if (occupant) return privateChatName(occupant);
    if (groupchat || this.rooms.find(accountId, peer)) return roomName(peer);
    return displayName(this.contacts.find(accountId, peer), peer);
  }

  /** Marks the open chat read if it has unread messages (e.g. when the window regains focus). */
  markOpenChatRead(): void {
    const open = this.chat;
    if (open && (this.conversations.find(open.accountId, open.peer)?.unread ?? 0) > 0) {
      this.#report(this.conversations.markRead(open.accountId, open.peer));
    }
  }

  /**
   * Joins a room (again, say with another nickname or the password after an error) and opens
   * its chat; `password` is the room's, null for none. With `configureFirst`, a room this join
   * creates stays locked until its settings are saved (its chat then opens them). The room is
   * listed at once; joining goes on in the background, reported as `linnet://room`. An
   * invitation to the room is answered.
   */
  async joinRoom(
    accountId: number,
    room: string,
    nick: string,
    password: string | null,
    configureFirst: boolean,
  ): Promise<void> {
    await this.rooms.join(accountId, room, nick, password, configureFirst);
    this.roomInvites.remove(accountId, room);
    // The backend announces a join only while online: list the room now in any case.
    this.#report(this.rooms.load());
    this.openChat(accountId, room);
  }

  /**
   * Leaves a room (its messages stay). The room's chat closes: without the room, what is typed
   * there could not go anywhere.
   */
  async leaveRoom(accountId: number, room: string): Promise<void> {
    await this.rooms.leave(accountId, room);
    if (this.chat?.accountId === accountId && this.chat.peer === room) {
      this.chat = null;
      this.#report(ipc.setActiveConversation(null, null));
    }
  }

  /** Removes an account and everything the UI holds for it. */
  async removeAccount(accountId: number): Promise<void> {
    await this.accounts.remove(accountId);
    this.#forgetAccount(accountId);
  }

  /**
   * Deletes an account on its server (XEP-0077 §3.2, for good), then, as `removeAccount`, from
   * Linnet and everything the UI holds for it.
   */
  async deleteAccountOnServer(accountId: number): Promise<void> {
    await this.accounts.deleteOnServer(accountId);
    this.#forgetAccount(accountId);
  }

  /** Drops what the UI holds for an account gone (contacts, chats, rooms...). */
  #forgetAccount(accountId: number): void {
    this.contacts.forget(accountId);
    this.subscriptionRequests.forget(accountId);
    this.messages.forget(accountId);
    this.conversations.forget(accountId);
    this.rooms.forget(accountId);
    this.roomInvites.forget(accountId);
    this.chatStates.forget(accountId);
    this.omemo.forget(accountId);
    this.files.forget(accountId);
    if (this.chat?.accountId === accountId) {
      this.chat = null;
      this.#report(ipc.setActiveConversation(null, null));
    }
  }

  #onAccountState({ account_id, state }: Events['linnet://account-state']): void {
    const previous = this.accounts.get(account_id)?.state.kind;
    if (!this.accounts.applyState(account_id, state)) {
      this.#report(this.accounts.load());
      return;
    }
    if (state.kind === 'online' && previous !== 'online') {
      this.#report(this.loadRoster(account_id));
      // The connection details (route, login mechanism) are known once online.
      this.#report(this.accounts.load());
    }
    // Rooms are joined again on connect (announced as `linnet://room`), but going offline
    // drops their live state without an event: reload when the account comes or goes.
    if ((state.kind === 'online') !== (previous === 'online')) {
      this.#report(this.rooms.load());
    }
    // Offline, nobody's "typing…" can end: forget them.
    if (state.kind !== 'online') this.chatStates.forget(account_id);
  }

  /**
   * The conversation list changed, or a chat's settings did (muted, OMEMO: the backend also turns
   * OMEMO on by itself when an undecided contact writes encrypted). The open chat's encryption is
   * read again if its toggle loaded it (one-to-one chats only; rooms have none), and so are its
   * contact's OMEMO devices (our trust in one changed: `set_omemo_trust`).
   */
  #onConversations(): void {
    this.#report(this.conversations.load());
    const open = this.chat;
    if (open && this.conversations.encryption(open.accountId, open.peer) !== undefined) {
      this.#report(this.conversations.loadEncryption(open.accountId, open.peer));
    }
    if (open) this.#reloadOmemoDevices(open.accountId, open.peer);
  }

  /** The open chat's OMEMO devices again, if its header loaded them. */
  #reloadOmemoDevices(accountId: number, peer: string): void {
    if (this.omemo.isLoaded(accountId, peer)) this.#report(this.omemo.load(accountId, peer));
  }

  /** An invitation to a room we are already in (or joining) has nothing left to offer. */
  #onRoomInvite(invite: Events['linnet://room-invite']): void {
    if (!this.rooms.find(invite.account_id, invite.room)) this.roomInvites.add(invite);
  }

  #onMessages({ account_id, peer, messages }: Events['linnet://messages']): void {
    this.messages.merge(account_id, peer, messages);
    // An upload that ended (uploaded, cancelled, refused) no longer shows progress.
    this.files.settle(messages);
    // Their message is what they were typing.
    for (const m of messages) {
      if (!m.outgoing && m.state !== 'system') {
        this.chatStates.clear(account_id, peer, m.groupchat ? m.sender : null);
      }
    }
    const open = this.chat;
    const isOpen = open !== null && open.accountId === account_id && open.peer === peer;
    // Lines from a room itself (`system`) never count as unread: nothing to mark.
    const incoming = messages.some((m) => !m.outgoing && m.state !== 'system');
    if (isOpen && incoming && this.#isAttended()) {
      this.#report(this.conversations.markRead(account_id, peer));
    }
    // An encrypted message may come from a device not seen before: the contact's first (recorded
    // silently) or a new one, which the backend announces with a line in the chat.
    const devicesMayChange = messages.some(
      (m) => m.state === 'system' || (!m.outgoing && m.encryption !== 'none'),
    );
    if (isOpen && devicesMayChange) this.#reloadOmemoDevices(account_id, peer);
  }

  /** Runs a background task; a failure shows in the banner instead of vanishing. */
  #report(task: Promise<unknown>): void {
    task.catch((error: unknown) => {
      this.problem = ipc.toIpcError(error);
    });
  }
}

const [getAppState, setAppState] = createContext<AppState>();

export { getAppState, setAppState };
