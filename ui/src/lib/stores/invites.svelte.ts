// Invitations to group chats received this session (`linnet://room-invite`), in memory only:
// the backend does not keep them. One per account and room: a repeated invitation replaces the
// earlier one. Joining the room or dismissing the invitation removes it.

import { SvelteMap } from 'svelte/reactivity';
import type { RoomInviteEvent } from '../ipc';

export class RoomInvitesStore {
  readonly #byKey = new SvelteMap<string, RoomInviteEvent>();

  /** Every pending invitation, oldest first (a repeated one counts as new). */
  readonly all: RoomInviteEvent[] = $derived([...this.#byKey.values()]);

  add(invite: RoomInviteEvent): void {
    const key = inviteKey(invite.account_id, invite.room);
    this.#byKey.delete(key);
    this.#byKey.set(key, invite);
  }

  remove(accountId: number, room: string): void {
    this.#byKey.delete(inviteKey(accountId, room));
  }

  forget(accountId: number): void {
    for (const [key, invite] of [...this.#byKey]) {
      if (invite.account_id === accountId) this.#byKey.delete(key);
    }
  }
}

export function inviteKey(accountId: number, room: string): string {
  return `${accountId}/${room}`;
}

/**
 * Who sent an invitation, for "… invited you": their JID, or their nickname when the room hides
 * real JIDs (`from` is then the room's occupant address, room@service/Nick).
 */
export function inviterName(invite: RoomInviteEvent): string {
  const from = invite.from;
  if (!from) return 'Someone';
  const occupant = `${invite.room}/`;
  return from.startsWith(occupant) && from.length > occupant.length
    ? from.slice(occupant.length)
    : from;
}
