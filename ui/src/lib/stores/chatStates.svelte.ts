// Who is typing where (XEP-0085 chat states from `linnet://chat-state`), per (account, peer,
// sender). Only `composing` is shown; it lapses by itself after `COMPOSING_TTL_MS` without a
// new one (a peer that went away mid-sentence never says `paused`), and a message from the
// sender ends it at once.

import { SvelteMap } from 'svelte/reactivity';
import type { ChatStateEvent } from '../ipc';
import { chatKey } from './messages.svelte';

/** A `composing` not renewed for this long no longer counts (XEP-0085 leaves it to clients). */
export const COMPOSING_TTL_MS = 30_000;

export class ChatStatesStore {
  /** Senders composing, by `chatKey`: the occupant's nick, or "" in a one-to-one chat. */
  readonly #composing = new SvelteMap<string, readonly string[]>();
  /** Expiry timers by `chatKey` and sender. */
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #ttl: number;

  constructor(ttlMs = COMPOSING_TTL_MS) {
    this.#ttl = ttlMs;
  }

  /**
   * Who is typing in a conversation: occupants' nicks in a room (sorted), `[null]` when the
   * partner of a one-to-one chat is, `[]` for nobody.
   */
  typing(accountId: number, peer: string): Array<string | null> {
    const senders = this.#composing.get(chatKey(accountId, peer)) ?? [];
    return senders.map((s) => (s === '' ? null : s));
  }

  /** Applies a `linnet://chat-state` event. */
  apply(event: ChatStateEvent): void {
    if (event.state === 'composing') this.#start(event.account_id, event.peer, event.sender);
    else this.clear(event.account_id, event.peer, event.sender);
  }

  /** `sender` (null in a one-to-one chat) no longer types, say because their message arrived. */
  clear(accountId: number, peer: string, sender: string | null): void {
    const key = chatKey(accountId, peer);
    const who = sender ?? '';
    this.#stopTimer(key, who);
    const now = this.#composing.get(key);
    if (!now?.includes(who)) return;
    const rest = now.filter((s) => s !== who);
    if (rest.length > 0) this.#composing.set(key, rest);
    else this.#composing.delete(key);
  }

  /** Forgets an account's chat states (removed, or offline: nobody's state reaches us). */
  forget(accountId: number): void {
    const prefix = chatKey(accountId, '');
    for (const [timerKey, timer] of this.#timers) {
      if (timerKey.startsWith(prefix)) {
        clearTimeout(timer);
        this.#timers.delete(timerKey);
      }
    }
    for (const key of [...this.#composing.keys()]) {
      if (key.startsWith(prefix)) this.#composing.delete(key);
    }
  }

  #start(accountId: number, peer: string, sender: string | null): void {
    const key = chatKey(accountId, peer);
    const who = sender ?? '';
    this.#stopTimer(key, who);
    this.#timers.set(
      timerKey(key, who),
      setTimeout(() => this.clear(accountId, peer, sender), this.#ttl),
    );
    const now = this.#composing.get(key) ?? [];
    if (!now.includes(who)) this.#composing.set(key, [...now, who].sort());
  }

  #stopTimer(key: string, who: string): void {
    const k = timerKey(key, who);
    const timer = this.#timers.get(k);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers.delete(k);
    }
  }
}

function timerKey(key: string, who: string): string {
  return `${key}\u0000${who}`;
}
