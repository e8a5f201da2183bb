// Conversations (one per account and peer), ordered by last activity.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { ConversationView } from '../ipc';
import { chatKey } from './messages.svelte';

export class ConversationsStore {
  #items: ConversationView[] = $state([]);
  /**
   * Mute choices made here for chats not in the list yet (no message exchanged): the list only
   * holds conversations with messages, so this is where their setting shows until then.
   */
  readonly #mutedWithoutMessages = new SvelteMap<string, boolean>();
  /**
   * OMEMO for what we send, by chat, for the one-to-one chats opened (their encryption toggle
   * loads it): true or false as chosen, null while undecided (off until the contact writes
   * encrypted, when the backend turns it on by itself). Not in here: not loaded yet.
   */
  readonly #encryption = new SvelteMap<string, boolean | null>();
  /**
   * Bumped by every load and change of a chat's encryption: an answer is only applied while it
   * is the latest, so a slow load cannot undo a choice made since.
   */
  readonly #encryptionSeq = new Map<string, number>();

  /** Newest activity first. */
  readonly sorted: ConversationView[] = $derived(
    [...this.#items].sort((a, b) => b.last_at - a.last_at || a.peer.localeCompare(b.peer)),
  );

  /** Sum of unread counts over every account. */
  readonly unreadTotal: number = $derived(this.#items.reduce((sum, c) => sum + c.unread, 0));

  async load(): Promise<void> {
    this.#items = await ipc.listConversations();
  }

  find(accountId: number, peer: string): ConversationView | undefined {
    return this.#items.find((c) => c.account_id === accountId && c.peer === peer);
  }

  /**
   * Clears the unread count (and with it the mentions, which are unread messages) at once; the
   * backend confirms with a `linnet://conversations`.
   */
  async markRead(accountId: number, peer: string): Promise<void> {
    this.#items = this.#items.map((c) =>
      c.account_id === accountId && c.peer === peer ? { ...c, unread: 0, mentions: 0 } : c,
    );
    await ipc.markRead(accountId, peer);
  }

  /** Whether notifications are muted for a chat (false when never set). */
  isMuted(accountId: number, peer: string): boolean {
    return (
      this.find(accountId, peer)?.muted ??
      this.#mutedWithoutMessages.get(chatKey(accountId, peer)) ??
      false
    );
  }

  /**
   * Mutes or unmutes a chat's notifications. Shows the choice at once and puts the old one back
   * if the backend refuses; the backend confirms with a `linnet://conversations`.
   */
  async setMuted(accountId: number, peer: string, muted: boolean): Promise<void> {
    const key = chatKey(accountId, peer);
    const previous = this.isMuted(accountId, peer);
    const apply = (value: boolean): void => {
      if (this.find(accountId, peer)) {
        this.#items = this.#items.map((c) =>
          c.account_id === accountId && c.peer === peer ? { ...c, muted: value } : c,
        );
      } else {
        this.#mutedWithoutMessages.set(key, value);
      }
    };
    apply(muted);
    try {
      await ipc.setMuted(accountId, peer, muted);
    } catch (error) {
      apply(previous);
      throw error;
    }
  }

  /**
   * Whether what we send to `peer` is encrypted with OMEMO: true, false, null while undecided
   * (sent unencrypted for now), undefined before `loadEncryption` answered.
   */
  encryption(accountId: number, peer: string): boolean | null | undefined {
    return this.#encryption.get(chatKey(accountId, peer));
  }

  /** Whether what we send to `peer` goes out encrypted (undecided and unknown do not). */
  isEncrypted(accountId: number, peer: string): boolean {
    return this.encryption(accountId, peer) === true;
  }

  /** (Re)reads a chat's encryption setting from the backend. */
  async loadEncryption(accountId: number, peer: string): Promise<void> {
    const key = chatKey(accountId, peer);
    const seq = this.#nextEncryptionSeq(key);
    const value = await ipc.conversationEncryption(accountId, peer);
    if (this.#encryptionSeq.get(key) === seq) this.#encryption.set(key, value);
  }

  /**
   * Turns OMEMO on or off for what we send to `peer`. Shows the choice at once and puts the old
   * one back if the backend refuses; the backend confirms with a `linnet://conversations`.
   */
  async setEncryption(accountId: number, peer: string, on: boolean): Promise<void> {
    const key = chatKey(accountId, peer);
    const previous = this.#encryption.get(key);
    const seq = this.#nextEncryptionSeq(key);
    this.#encryption.set(key, on);
    try {
      await ipc.setConversationEncryption(accountId, peer, on);
    } catch (error) {
      if (this.#encryptionSeq.get(key) === seq) {
        if (previous === undefined) this.#encryption.delete(key);
        else this.#encryption.set(key, previous);
      }
      throw error;
    }
  }

  #nextEncryptionSeq(key: string): number {
    const seq = (this.#encryptionSeq.get(key) ?? 0) + 1;
    this.#encryptionSeq.set(key, seq);
    return seq;
  }

  forget(accountId: number): void {
    this.#items = this.#items.filter((c) => c.account_id !== accountId);
    const prefix = chatKey(accountId, '');
    for (const map of [this.#mutedWithoutMessages, this.#encryption, this.#encryptionSeq]) {
      for (const key of [...map.keys()]) {
        if (key.startsWith(prefix)) map.delete(key);
      }
    }
  }
}

/** The window title: "Linnet", or "(3) Linnet" with 3 unread messages. */
export function windowTitle(unread: number): string {
  return unread > 0 ? `(${unread}) Linnet` : 'Linnet';
}
