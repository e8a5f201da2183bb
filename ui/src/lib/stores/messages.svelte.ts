// Message timelines, one per (account id, peer).
//
// A timeline is a contiguous run of a chat's stored messages. Usually it ends with the newest
// one (`atLiveEnd`): pages of older messages are added at its start, new messages at its end.
// Showing a search hit loads a window around it instead (`openAround`), which may end before
// the newest message. Such a window still grows at its start (scrolling up loads older pages,
// as ever), but it is not extended at its end: new messages arriving meanwhile are left out
// (they would leave a gap), and "Jump to latest" (`jumpToLatest`), opening the chat again from
// a list, or sending a message there replaces the window with the newest page. That is simpler
// and sturdier than paging forwards, which would need a "newer than" query besides
// `load_messages` and a second kind of scroll anchoring in the list.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { MessageEditView, MessageState, MessageView } from '../ipc';

/** Messages per page requested from `load_messages`. */
export const PAGE_SIZE = 50;

/** Messages asked for on either side of a search hit (`load_messages_around`). */
export const AROUND_SIZE = 50;

/**
 * Newest messages a timeline keeps while nobody reads back in it (see `setReading`): a burst of
 * 10,000 messages to an open chat keeps memory and the cost of each merge flat. Older ones are
 * read from the local store again when the user scrolls up.
 */
export const LIVE_WINDOW = 200;

export interface Timeline {
  /** Oldest first, ordered by `at` then `id`. */
  messages: MessageView[];
  /** True once a local page came back shorter than `PAGE_SIZE`: nothing older is stored. */
  localStart: boolean;
  /** True once the server's archive answered `complete` or had nothing new: stop asking it. */
  archiveComplete: boolean;
  /** Nothing older locally nor on the server: the beginning of the conversation. */
  reachedStart: boolean;
  loading: boolean;
  /** True while `loading` asks the server's archive (slower than a local page). */
  fetchingArchive: boolean;
  /**
   * The messages run up to the newest one stored: new ones are added as they arrive. False for
   * a window around a search hit that ends earlier (see the top of this file).
   */
  atLiveEnd: boolean;
}

const EMPTY: Timeline = {
  messages: [],
  localStart: false,
  archiveComplete: false,
  reachedStart: false,
  loading: false,
  fetchingArchive: false,
  atLiveEnd: true,
};

export function chatKey(accountId: number, peer: string): string {
  return `${accountId}\u0000${peer}`;
}

function byTime(a: MessageView, b: MessageView): number {
  return a.at - b.at || a.id - b.id;
}

/** How far an outgoing message got; a stale update never moves a message backwards. */
const PROGRESS: Partial<Record<MessageState, number>> = {
  pending: 0,
  sent: 1,
  delivered: 2,
  displayed: 3,
};

function isStale(known: MessageView, update: MessageView): boolean {
  const before = PROGRESS[known.state];
  const after = PROGRESS[update.state];
  return before !== undefined && after !== undefined && after < before;
}

/**
 * Adds new messages and replaces known ones (same id), oldest first. A late update along
 * pending -> sent -> delivered -> displayed (say the `send_message` answer arriving after the
 * `sent` event) does not undo progress; `failed` always applies, and a retry may go back to
 * `pending` from `failed`.
 */
export function mergeMessages(
  existing: readonly MessageView[],
  incoming: readonly MessageView[],
): MessageView[] {
  const byId = new Map<number, MessageView>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) {
    const known = byId.get(m.id);
    if (known && isStale(known, m)) continue;
    byId.set(m.id, m);
  }
  return [...byId.values()].sort(byTime);
}

export class MessagesStore {
  readonly #timelines = new SvelteMap<string, Timeline>();
  /**
   * Bumped, by chat key, when a timeline's messages are replaced (`openAround`, `jumpToLatest`):
   * a page asked for before belongs to the old run, and is dropped rather than merged.
   */
  readonly #epochs = new Map<string, number>();
  /** `edits` answers, by message and text. */
  readonly #edits = new Map<string, Promise<MessageEditView[]>>();
  /** Chats whose user scrolled up from the newest messages: their timelines are not trimmed. */
  readonly #reading = new Set<string>();

  timeline(accountId: number, peer: string): Timeline {
    return this.#timelines.get(chatKey(accountId, peer)) ?? EMPTY;
  }

  /**
   * Loads the newest page the first time a chat is opened; later calls do nothing, but for a
   * chat showing a window around an older message, which goes back to the newest page.
   */
  async open(accountId: number, peer: string): Promise<void> {
    const known = this.#timelines.get(chatKey(accountId, peer));
    if (!known) await this.#loadPage(accountId, peer, null);
    else if (!known.atLiveEnd) await this.jumpToLatest(accountId, peer);
  }

  /**
   * Shows message `id` in its context (a search hit): when the timeline does not hold it, it is
   * replaced with the messages around it, which may end before the newest one (`atLiveEnd`
   * false). Rejects with `not_found` when the message is gone; a chat never opened that fails
   * to load is left unopened (`open` loads it).
   */
  async openAround(accountId: number, peer: string, id: number): Promise<void> {
    const key = chatKey(accountId, peer);
    const before = this.#timelines.get(key);
    if (before?.messages.some((m) => m.id === id)) return;
    const epoch = this.#bump(key);
    this.#update(key, { loading: true });
    let loaded = false;
    try {
      const around = [...(await ipc.loadMessagesAround(accountId, peer, id, AROUND_SIZE))].sort(byTime);
      if (this.#epochs.get(key) !== epoch) return;
      const index = around.findIndex((m) => m.id === id);
      if (index < 0) throw { code: 'not_found', message: 'That message is no longer stored.' };
      const atLiveEnd = around.length - index - 1 < AROUND_SIZE;
      const now = this.#timelines.get(key) ?? EMPTY;
      // Reaching the newest message, the window may join what arrived meanwhile.
      const newest = around.at(-1);
      const arrived =
        atLiveEnd && now.atLiveEnd && newest
          ? now.messages.filter((m) => byTime(m, newest) > 0)
          : [];
      this.#update(key, {
        messages: mergeMessages(around, arrived),
        localStart: index < AROUND_SIZE,
        atLiveEnd,
      });
      loaded = true;
    } finally {
      if (this.#epochs.get(key) === epoch) {
        if (!loaded && !before) this.#timelines.delete(key);
        else this.#update(key, { loading: false });
      }
    }
  }

  /** Replaces the timeline with the newest page (after a window around an older message). */
  async jumpToLatest(accountId: number, peer: string): Promise<void> {
    const key = chatKey(accountId, peer);
    const epoch = this.#bump(key);
    this.#update(key, { loading: true });
    try {
      const page = await ipc.loadMessages(accountId, peer, null, PAGE_SIZE);
      if (this.#epochs.get(key) !== epoch) return;
      this.#update(key, {
        messages: mergeMessages([], page),
        localStart: page.length < PAGE_SIZE,
        atLiveEnd: true,
      });
    } finally {
      if (this.#epochs.get(key) === epoch) this.#update(key, { loading: false });
    }
  }

  /** Starts a new run of messages for a chat; returns its number. */
  #bump(key: string): number {
    const epoch = (this.#epochs.get(key) ?? 0) + 1;
    this.#epochs.set(key, epoch);
    return epoch;
  }

  /**
   * Loads the page before the oldest message shown; once the local store has nothing older,
   * asks the server's archive instead (until it has nothing older either).
   */
  async loadEarlier(accountId: number, peer: string): Promise<void> {
    const current = this.timeline(accountId, peer);
    if (current.loading || current.reachedStart) return;
    const oldest = current.messages[0]?.id ?? null;
    if (current.localStart) await this.#fetchArchive(accountId, peer, oldest);
    else await this.#loadPage(accountId, peer, oldest);
  }

  async #loadPage(accountId: number, peer: string, before: number | null): Promise<void> {
    const key = chatKey(accountId, peer);
    this.#update(key, { loading: true });
    try {
      await this.#readPage(accountId, peer, before);
    } finally {
      this.#update(key, { loading: false });
    }
  }

  /**
   * Has the backend fetch older messages from the server's archive into the local store, then
   * reads the local page before `before` again: that is where they landed (they sort first).
   * A failure (say `not_connected`) leaves the archive to be asked again later.
   */
  async #fetchArchive(accountId: number, peer: string, before: number | null): Promise<void> {
    const key = chatKey(accountId, peer);
    const epoch = this.#epochs.get(key);
    this.#update(key, { loading: true, fetchingArchive: true });
    try {
      const { stored, complete } = await ipc.fetchHistory(accountId, peer);
      if (this.#epochs.get(key) !== epoch) return;
      // With something new stored, the local store has more again (read next time if this fails).
      this.#update(key, { archiveComplete: complete || stored === 0, localStart: stored === 0 });
      if (stored > 0) await this.#readPage(accountId, peer, before);
    } finally {
      this.#update(key, { loading: false, fetchingArchive: false });
    }
  }

  /**
   * Reads the local page before `before` (null: the newest) into the timeline, unless its
   * messages were replaced meanwhile.
   */
  async #readPage(accountId: number, peer: string, before: number | null): Promise<void> {
    const key = chatKey(accountId, peer);
    const epoch = this.#epochs.get(key);
    const page = await ipc.loadMessages(accountId, peer, before, PAGE_SIZE);
    if (this.#epochs.get(key) !== epoch) return;
    const now = this.#timelines.get(key) ?? EMPTY;
    this.#update(key, {
      messages: mergeMessages(now.messages, page),
      localStart: page.length < PAGE_SIZE,
    });
  }

  /** Changes some fields of a timeline; `reachedStart` follows from the two others. */
  #update(key: string, changes: Partial<Omit<Timeline, 'reachedStart'>>): void {
    const next = { ...(this.#timelines.get(key) ?? EMPTY), ...changes };
    this.#timelines.set(key, { ...next, reachedStart: next.localStart && next.archiveComplete });
  }

  /**
   * Applies a `linnet://messages` batch. A chat never opened is left alone: opening it loads
   * the newest page, these messages included. A window that ends before the newest message
   * takes only changes to its messages and messages within its span (or older ones, from the
   * archive, once it reaches the start of the local store), never newer ones, which would leave
   * a gap: they show once the user is back at the newest page.
   */
  merge(accountId: number, peer: string, batch: readonly MessageView[]): void {
    const key = chatKey(accountId, peer);
    const now = this.#timelines.get(key);
    if (!now) return;
    let incoming = batch;
    const oldest = now.messages[0];
    const newest = now.messages.at(-1);
    if (!now.atLiveEnd && oldest && newest) {
      const known = new Set(now.messages.map((m) => m.id));
      incoming = batch.filter(
        (m) =>
          known.has(m.id) ||
          (byTime(m, newest) < 0 && (now.localStart || byTime(m, oldest) > 0)),
      );
      if (incoming.length === 0) return;
    }
    this.#update(key, { messages: mergeMessages(now.messages, incoming) });
    this.#trim(key);
  }

  /**
   * Whether the user reads back in a chat (scrolled up from its newest messages). While not,
   * its timeline keeps only the newest `LIVE_WINDOW` messages as new ones arrive; a chat that is
   * closed is not being read.
   */
  setReading(accountId: number, peer: string, reading: boolean): void {
    const key = chatKey(accountId, peer);
    if (reading) {
      this.#reading.add(key);
    } else {
      this.#reading.delete(key);
      this.#trim(key);
    }
  }

  /**
   * Drops the oldest messages of a timeline at the live end beyond `LIVE_WINDOW` (once it holds a
   * page more, so that not every new message copies the array), unless the user reads back.
   */
  #trim(key: string): void {
    const now = this.#timelines.get(key);
    if (!now?.atLiveEnd || this.#reading.has(key)) return;
    if (now.messages.length <= LIVE_WINDOW + PAGE_SIZE) return;
    this.#update(key, { messages: now.messages.slice(-LIVE_WINDOW), localStart: false });
  }

  /**
   * Sends a message (answering the message `replyTo`, a row id, unless null) and shows the
   * backend's local echo (state `pending`) at once, at the chat's newest messages.
   */
  async send(
    accountId: number,
    to: string,
    body: string,
    replyTo: number | null = null,
  ): Promise<MessageView> {
    const message = await ipc.sendMessage(accountId, to, body, replyTo);
    await this.#echo(accountId, to, [message]);
    return message;
  }

  /**
   * Sends a dropped or picked file (its path) to `to` (XEP-0363), or peer to peer with
   * `direct` (Jingle); `keepMetadata`: a photo keeps its location and camera details. Its
   * message shows at once.
   */
  async sendFile(
    accountId: number,
    to: string,
    path: string,
    options: { keepMetadata?: boolean; direct?: boolean } = {},
  ): Promise<MessageView> {
    const message = options.direct
      ? await ipc.sendFileDirect(accountId, to, path)
      : await ipc.sendFile(accountId, to, path, options.keepMetadata ?? false);
    await this.#echo(accountId, to, [message]);
    return message;
  }

  /** Sends pasted bytes (`data`, base64) as a file called `name` to `to`. */
  async sendFileData(
    accountId: number,
    to: string,
    name: string,
    data: string,
    keepMetadata = false,
  ): Promise<MessageView> {
    const message = await ipc.sendFileData(accountId, to, name, data, keepMetadata);
    await this.#echo(accountId, to, [message]);
    return message;
  }

  /** Ends the voice message being recorded and sends it to `to`; shown like any file of ours. */
  async sendVoiceMessage(accountId: number, to: string): Promise<MessageView> {
    const message = await ipc.sendVoiceMessage(accountId, to);
    await this.#echo(accountId, to, [message]);
    return message;
  }

  /**
   * Shows what we just sent (the backend's local echo) among the chat's newest messages: from a
   * window around an older message, the chat goes to its newest page, theirs.
   */
  async #echo(accountId: number, to: string, sent: readonly MessageView[]): Promise<void> {
    if (sent.length === 0) return;
    if (this.timeline(accountId, to).atLiveEnd) this.merge(accountId, to, sent);
    else await this.jumpToLatest(accountId, to);
  }

  /**
   * The facets below change a message the UI already shows. Nothing changes here: the backend
   * reports the changed row as `linnet://messages` (see `merge`).
   */

  /** Replaces the text of our own message `id` (XEP-0308). */
  async correct(accountId: number, id: number, body: string): Promise<void> {
    await ipc.correctMessage(accountId, id, body);
  }

  /** Deletes our own message `id` for everyone (XEP-0424). */
  async retract(accountId: number, id: number): Promise<void> {
    await ipc.retractMessage(accountId, id);
  }

  /** Has the room delete the group message `id` (XEP-0425), with a reason or null. */
  async moderate(accountId: number, id: number, reason: string | null): Promise<void> {
    await ipc.moderateMessage(accountId, id, reason);
  }

  /**
   * Adds our reaction `emoji` to `message`, or takes it back when we reacted with it already:
   * the backend takes our whole set (XEP-0444).
   */
  async toggleReaction(message: MessageView, emoji: string): Promise<void> {
    const ours = message.reactions.filter((r) => r.ours).map((r) => r.emoji);
    const emojis = ours.includes(emoji) ? ours.filter((e) => e !== emoji) : [...ours, emoji];
    await ipc.reactToMessage(message.account_id, message.id, emojis);
  }

  /** Adds our reaction `emoji` to `message`; nothing to do when it is one of ours already. */
  async addReaction(message: MessageView, emoji: string): Promise<void> {
    if (message.reactions.some((r) => r.ours && r.emoji === emoji)) return;
    await this.toggleReaction(message, emoji);
  }

  /**
   * The older texts of an edited message, oldest first; asked once per text of the message (a
   * new correction asks again).
   */
  edits(message: MessageView): Promise<MessageEditView[]> {
    const key = `${chatKey(message.account_id, message.peer)}\u0000${message.id}\u0000${message.body}`;
    let edits = this.#edits.get(key);
    if (!edits) {
      edits = ipc.messageEdits(message.account_id, message.id).catch((error: unknown) => {
        this.#edits.delete(key);
        throw error;
      });
      this.#edits.set(key, edits);
    }
    return edits;
  }

  /**
   * Sends a failed outgoing message again. Nothing changes here: the backend moves the row back
   * to `pending` and reports it, and what follows, as `linnet://messages` (see `merge`).
   */
  async retry(accountId: number, id: number): Promise<void> {
    await ipc.retryMessage(accountId, id);
  }

  forget(accountId: number): void {
    const prefix = chatKey(accountId, '');
    for (const key of [...this.#timelines.keys()]) {
      if (key.startsWith(prefix)) {
        this.#timelines.delete(key);
        this.#bump(key);
      }
    }
  }
}
