// Group chats (XEP-0045) with their live state, keyed by account id. `list_rooms` answers for
// every account at once; `linnet://room` says "reload this room", which `room_state` answers
// for that room alone (a big room sends many while its occupants arrive).

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { FieldValues, Occupant, RoomConfigForm, RoomNotify, RoomView } from '../ipc';

export class RoomsStore {
  readonly #byAccount = new SvelteMap<number, RoomView[]>();
  /** Bumped by local changes (a room left): a list asked for before them is stale. */
  #version = 0;
  /** The `list_rooms` call under way, and the one queued behind it (see `load`). */
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  /** The `room_state` calls under way, by `roomKey`; `again` asks for one more after it. */
  readonly #refreshing = new Map<string, { again: boolean; done: Promise<void> }>();
  /**
   * Requests (`list_rooms` or `room_state`) are numbered as they start; `#shown` holds, by
   * `roomKey`, the number of the one whose answer a room shows, so an older answer arriving
   * later never replaces a newer one.
   */
  #sequence = 0;
  readonly #shown = new Map<string, number>();
  /** Locked rooms (by `roomKey`) whose settings opened by themselves once (see `offerSetup`). */
  readonly #setupOffered = new Set<string>();

  /** Every account's rooms, by name, then account. */
  readonly all: RoomView[] = $derived(
    [...this.#byAccount.values()]
      .flat()
      .sort(
        (a, b) =>
          roomName(a.jid).localeCompare(roomName(b.jid)) ||
          a.jid.localeCompare(b.jid) ||
          a.account_id - b.account_id,
      ),
  );

  forAccount(accountId: number): RoomView[] {
    return this.#byAccount.get(accountId) ?? [];
  }

  find(accountId: number, jid: string): RoomView | undefined {
    return this.forAccount(accountId).find((r) => r.jid === jid);
  }

  /**
   * Reloads every room. Room events come in bursts (each occupant's presence is one): one
   * `list_rooms` at a time, and every request made while one runs shares a single next call,
   * which starts once it ends, so its answer is at least as new as the request.
   */
  load(): Promise<void> {
    if (this.#running) {
      this.#queued ??= this.#running
        .catch(() => undefined)
        .then(() => {
          this.#queued = null;
          return this.load();
        });
      return this.#queued;
    }
    const run = this.#fetch().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #fetch(): Promise<void> {
    const version = this.#version;
    const sequence = ++this.#sequence;
    const rooms = await ipc.listRooms();
    if (version !== this.#version) return;
    const byAccount = new Map<number, RoomView[]>();
    const shown = new Map<string, number>();
    const add = (room: RoomView, seq: number): void => {
      shown.set(roomKey(room.account_id, room.jid), seq);
      const list = byAccount.get(room.account_id);
      if (list) list.push(room);
      else byAccount.set(room.account_id, [room]);
    };
    for (const room of rooms) {
      const seq = this.#shown.get(roomKey(room.account_id, room.jid)) ?? 0;
      const newer = seq > sequence ? this.find(room.account_id, room.jid) : undefined;
      if (newer) add(newer, seq);
      else add(room, sequence);
    }
    // A room `room_state` answered for after this list was asked for stays.
    for (const [key, seq] of this.#shown) {
      if (seq <= sequence || shown.has(key)) continue;
      const room = this.#findKey(key);
      if (room) add(room, seq);
    }
    this.#shown.clear();
    for (const [key, seq] of shown) this.#shown.set(key, seq);
    for (const accountId of [...this.#byAccount.keys()]) {
      if (!byAccount.has(accountId)) this.#byAccount.delete(accountId);
    }
    for (const [accountId, list] of byAccount) this.#byAccount.set(accountId, list);
  }

  /**
   * Reloads one room after a `linnet://room`: only that room (`room_state`) when it is listed,
   * replaced in place; every room (`load`) for one not listed yet, or no longer known to the
   * backend. One `room_state` per room at a time: requests made while one runs share a single
   * next call, which starts once it ends.
   */
  refresh(accountId: number, room: string): Promise<void> {
    const key = roomKey(accountId, room);
    const running = this.#refreshing.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    if (!this.find(accountId, room)) return this.load();
    const entry = { again: false, done: Promise.resolve() };
    this.#refreshing.set(key, entry);
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          if (!(await this.#fetchRoom(accountId, room))) entry.again = true;
        } while (entry.again && this.find(accountId, room));
      } finally {
        this.#refreshing.delete(key);
      }
    })();
    return entry.done;
  }

  /** One `room_state` call; false when its answer was stale (asked for before a local change). */
  async #fetchRoom(accountId: number, room: string): Promise<boolean> {
    const version = this.#version;
    const sequence = ++this.#sequence;
    let view: RoomView;
    try {
      view = await ipc.roomState(accountId, room);
    } catch (error) {
      if (ipc.toIpcError(error).code !== 'not_found') throw error;
      await this.load();
      return true;
    }
    if (version !== this.#version) return false;
    const key = roomKey(accountId, room);
    const list = this.forAccount(accountId);
    if ((this.#shown.get(key) ?? 0) > sequence || !list.some((r) => r.jid === room)) return true;
    this.#shown.set(key, sequence);
    this.#byAccount.set(accountId, list.map((r) => (r.jid === room ? view : r)));
    return true;
  }

  #findKey(key: string): RoomView | undefined {
    const tab = key.indexOf('\t');
    return this.find(Number(key.slice(0, tab)), key.slice(tab + 1));
  }

  /**
   * Joins `room` as `nick` (again with another nickname or the password after an error), with
   * the room's password or null; the progress follows as `linnet://room` while online (reload
   * with `load` to list the room in any case). With `configureFirst`, a room this join creates
   * stays locked until its settings are saved (`state.awaiting_configuration`).
   */
  async join(
    accountId: number,
    room: string,
    nick: string,
    password: string | null,
    configureFirst: boolean,
  ): Promise<void> {
    await ipc.joinRoom(accountId, room, nick, password, configureFirst);
  }

  /**
   * Whether the settings of a room locked until set up (a reserved room, XEP-0045 §10.1.3, we
   * are in) should open by themselves, asked by the room's chat whenever the room changes: true
   * the first time it is `locked`, then false while it stays so (even after its chat was closed
   * and opened again), so settings the user closed do not come back by themselves. Once seen
   * not locked, the room counts as new again the next time it is.
   */
  offerSetup(accountId: number, room: string, locked: boolean): boolean {
    const key = roomKey(accountId, room);
    if (!locked) {
      this.#setupOffered.delete(key);
      return false;
    }
    if (this.#setupOffered.has(key)) return false;
    this.#setupOffered.add(key);
    return true;
  }

  /** Invites `jid` to a room we are in, with an optional reason (null for none). */
  async invite(
    accountId: number,
    room: string,
    jid: string,
    reason: string | null,
    direct = false,
  ): Promise<void> {
    await ipc.inviteToRoom(accountId, room, jid, reason, direct);
  }

  /** The configuration form of a room we own (XEP-0045 §10.2); the room refuses others. */
  config(accountId: number, room: string): Promise<RoomConfigForm> {
    return ipc.roomConfig(accountId, room);
  }

  /** Submits a room's configuration (every field but the `fixed` ones). */
  async setConfig(accountId: number, room: string, fields: FieldValues[]): Promise<void> {
    await ipc.setRoomConfig(accountId, room, fields);
  }

  /** Leaves a room; it leaves the list at once (its conversation stays). */
  async leave(accountId: number, room: string): Promise<void> {
    await ipc.leaveRoom(accountId, room);
    this.#version++;
    this.#setupOffered.delete(roomKey(accountId, room));
    const rest = this.forAccount(accountId).filter((r) => r.jid !== room);
    if (rest.length > 0) this.#byAccount.set(accountId, rest);
    else this.#byAccount.delete(accountId);
  }

  /**
   * Sets when a room's messages notify. Shows the choice at once and puts the old one back if
   * the backend refuses; the backend confirms with a `linnet://room`.
   */
  async setNotify(accountId: number, room: string, mode: RoomNotify): Promise<void> {
    const previous = this.find(accountId, room)?.notify;
    const apply = (value: RoomNotify): void => {
      this.#byAccount.set(
        accountId,
        this.forAccount(accountId).map((r) => (r.jid === room ? { ...r, notify: value } : r)),
      );
    };
    if (previous !== undefined) {
      // A list asked for before this choice would undo it.
      this.#version++;
      apply(mode);
    }
    try {
      await ipc.setRoomNotify(accountId, room, mode);
    } catch (error) {
      if (previous !== undefined && this.find(accountId, room)) apply(previous);
      throw error;
    }
  }

  forget(accountId: number): void {
    this.#version++;
    this.#byAccount.delete(accountId);
    for (const key of [...this.#setupOffered]) {
      if (key.startsWith(roomKey(accountId, ''))) this.#setupOffered.delete(key);
    }
  }
}

/** A room's key in the maps of `RoomsStore`: account id and room JID. */
function roomKey(accountId: number, jid: string): string {
  return `${accountId}\t${jid}`;
}

/** What to call a room: the local part of its JID (`dev` for dev@conference.example.org). */
export function roomName(jid: string): string {
  const at = jid.indexOf('@');
  return at > 0 ? jid.slice(0, at) : jid;
}

/**
 * A private chat with a room occupant (XEP-0045 §7.5) goes by the occupant's JID,
 * "room@service/Nick"; a one-to-one chat with a contact goes by a bare JID.
 */
export function occupantJid(room: string, nick: string): string {
  return `${room}/${nick}`;
}

/**
 * The room and nickname of a private chat's peer, or null for any other chat. A chat's peer with a
 * resource is an occupant's JID, even when its room is not (or no longer) in the list.
 */
export function privateChat(peer: string): { room: string; nick: string } | null {
  const slash = peer.indexOf('/');
  return slash > 0 ? { room: peer.slice(0, slash), nick: peer.slice(slash + 1) } : null;
}

/** What to call a private chat: "Bob (private, in quiet)". */
export function privateChatName(chat: { room: string; nick: string }): string {
  return `${chat.nick} (private, in ${roomName(chat.room)})`;
}

/** The room address typed or pasted: an `xmpp:` URI (`?join`) or a bare JID, cleaned up. */
export function roomAddress(input: string): string {
  let jid = input.trim();
  if (jid.toLowerCase().startsWith('xmpp:')) jid = jid.slice('xmpp:'.length);
  const query = jid.indexOf('?');
  if (query >= 0) jid = jid.slice(0, query);
  const resource = jid.indexOf('/');
  if (resource >= 0) jid = jid.slice(0, resource);
  return jid.trim();
}

/** A default nickname: the local part of the account's JID (`alice` for alice@example.org). */
export function defaultNick(accountJid: string | undefined): string {
  return accountJid ? roomName(accountJid) : '';
}

const ROLE_ORDER: Record<string, number> = { moderator: 0, participant: 1, visitor: 2 };

/** Occupant list order: moderators, participants, visitors, then by nickname. */
export function compareOccupants(a: Occupant, b: Occupant): number {
  return (
    (ROLE_ORDER[a.role] ?? 3) - (ROLE_ORDER[b.role] ?? 3) ||
    a.nick.localeCompare(b.nick) ||
    (a.nick < b.nick ? -1 : a.nick > b.nick ? 1 : 0)
  );
}

/**
 * Words for an occupant's standing: the affiliation when it means something (owner, admin,
 * member) and the role when it differs from the usual participant (moderator, visitor), e.g.
 * "owner, moderator". Empty for a plain participant.
 */
export function occupantStanding(occupant: Occupant): string {
  const words: string[] = [];
  if (['owner', 'admin', 'member'].includes(occupant.affiliation)) words.push(occupant.affiliation);
  if (['moderator', 'visitor'].includes(occupant.role)) words.push(occupant.role);
  return words.join(', ');
}
