// Conversations (one per account and peer), ordered by last activity.

import * as ipc from '../ipc';
import type { ConversationView } from '../ipc';

export class ConversationsStore {
  #items: ConversationView[] = $state([]);

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

  /** Clears the unread count at once; the backend confirms with a `linnet://conversations`. */
  async markRead(accountId: number, peer: string): Promise<void> {
    this.#items = this.#items.map((c) =>
      c.account_id === accountId && c.peer === peer ? { ...c, unread: 0 } : c,
    );
    await ipc.markRead(accountId, peer);
  }

  forget(accountId: number): void {
    this.#items = this.#items.filter((c) => c.account_id !== accountId);
  }
}

/** The window title: "Linnet", or "(3) Linnet" with 3 unread messages. */
export function windowTitle(unread: number): string {
  return unread > 0 ? `(${unread}) Linnet` : 'Linnet';
}
