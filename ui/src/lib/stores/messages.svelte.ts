// Message timelines, one per (account id, peer).

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { MessageEditView, MessageState, MessageView } from '../ipc';

/** Messages per page requested from `load_messages`. */
export const PAGE_SIZE = 50;

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
}

const EMPTY: Timeline = {
  messages: [],
  localStart: false,
  archiveComplete: false,
  reachedStart: false,
  loading: false,
  fetchingArchive: false,
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
  /** `edits` answers, by message and text. */
  readonly #edits = new Map<string, Promise<MessageEditView[]>>();

  timeline(accountId: number, peer: string): Timeline {
    return this.#timelines.get(chatKey(accountId, peer)) ?? EMPTY;
  }

  /** Loads the newest page the first time a chat is opened; later calls do nothing. */
  async open(accountId: number, peer: string): Promise<void> {
    if (this.#timelines.has(chatKey(accountId, peer))) return;
    await this.#loadPage(accountId, peer, null);
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
    this.#update(key, { loading: true, fetchingArchive: true });
    try {
      const { stored, complete } = await ipc.fetchHistory(accountId, peer);
      // With something new stored, the local store has more again (read next time if this fails).
      this.#update(key, { archiveComplete: complete || stored === 0, localStart: stored === 0 });
      if (stored > 0) await this.#readPage(accountId, peer, before);
    } finally {
      this.#update(key, { loading: false, fetchingArchive: false });
    }
  }

  /** Reads the local page before `before` (null: the newest) into the timeline. */
  async #readPage(accountId: number, peer: string, before: number | null): Promise<void> {
    const key = chatKey(accountId, peer);
    const page = await ipc.loadMessages(accountId, peer, before, PAGE_SIZE);
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
   * the newest page, these messages included.
   */
  merge(accountId: number, peer: string, batch: readonly MessageView[]): void {
    const key = chatKey(accountId, peer);
    const now = this.#timelines.get(key);
    if (!now) return;
    this.#update(key, { messages: mergeMessages(now.messages, batch) });
  }

  /**
   * Sends a message (answering the message `replyTo`, a row id, unless null) and shows the
   * backend's local echo (state `pending`) at once.
   */
  async send(
    accountId: number,
    to: string,
    body: string,
    replyTo: number | null = null,
  ): Promise<MessageView> {
    const message = await ipc.sendMessage(accountId, to, body, replyTo);
    this.merge(accountId, to, [message]);
    return message;
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
      if (key.startsWith(prefix)) this.#timelines.delete(key);
    }
  }
}
