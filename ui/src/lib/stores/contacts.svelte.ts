// Roster contacts with presence, keyed by account id.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { ContactView } from '../ipc';
import { LatestLoad } from './latest';

export class ContactsStore {
  readonly #byAccount = new SvelteMap<number, ContactView[]>();
  readonly #loads = new LatestLoad();

  forAccount(accountId: number): ContactView[] {
    return this.#byAccount.get(accountId) ?? [];
  }

  find(accountId: number, jid: string): ContactView | undefined {
    return this.forAccount(accountId).find((c) => c.jid === jid);
  }

  /** Reloads one account's roster (after `linnet://roster` or when the account comes online). */
  async load(accountId: number): Promise<void> {
    const ticket = this.#loads.begin(accountId);
    const contacts = await ipc.listContacts(accountId);
    if (this.#loads.isLatest(accountId, ticket)) this.#byAccount.set(accountId, contacts);
  }

  /** Adds a contact and asks for their presence; the roster event brings it into the list. */
  async add(accountId: number, jid: string, name: string | null, groups: string[]): Promise<void> {
    await ipc.addContact(accountId, jid, name, groups);
  }

  /** Renames and regroups a contact; the roster event brings the change into the list. */
  async update(accountId: number, jid: string, name: string | null, groups: string[]): Promise<void> {
    await ipc.updateContact(accountId, jid, name, groups);
  }

  /** Removes a contact from the roster; it leaves the list at once. */
  async remove(accountId: number, jid: string): Promise<void> {
    await ipc.removeContact(accountId, jid);
    this.#loads.begin(accountId);
    this.#byAccount.set(
      accountId,
      this.forAccount(accountId).filter((c) => c.jid !== jid),
    );
  }

  forget(accountId: number): void {
    this.#byAccount.delete(accountId);
  }
}

/**
 * What to call a contact: the roster name we gave them if set, else the nickname they publish
 * (XEP-0172), else the JID.
 */
export function displayName(contact: ContactView | undefined, jid: string): string {
  const name = contact?.name?.trim() || contact?.nick?.trim();
  return name ? name : jid;
}

/** Sort order for the contact list: online first, then by display name. */
export function compareContacts(a: ContactView, b: ContactView): number {
  const aOnline = a.presence.show !== 'offline';
  const bOnline = b.presence.show !== 'offline';
  if (aOnline !== bOnline) return aOnline ? -1 : 1;
  return displayName(a, a.jid).localeCompare(displayName(b, b.jid));
}

/** Case-insensitive match of `query` against name, JID and groups. */
export function matchesFilter(contact: ContactView, query: string): boolean {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return true;
  return [contact.jid, contact.name ?? '', contact.nick ?? '', ...contact.groups].some((s) =>
    s.toLocaleLowerCase().includes(q),
  );
}
