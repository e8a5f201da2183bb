// Pure helpers for the roster: grouping contacts and reading the add-contact form.

import type { ContactView } from '../../ipc';
import { compareContacts } from '../../stores/contacts.svelte';

/** The heading for contacts in no roster group. */
export const UNGROUPED = 'Contacts';

export interface RosterGroup {
  name: string;
  /** Sorted with `compareContacts`. */
  contacts: ContactView[];
  /** How many of them are not offline. */
  online: number;
}

/**
 * Groups contacts by roster group (RFC 6121 §2.1.2.4). A contact in several groups appears in
 * each; a contact in none goes under `UNGROUPED`. Named groups come in alphabetical order,
 * `UNGROUPED` last.
 */
export function groupContacts(contacts: readonly ContactView[]): RosterGroup[] {
  const byName = new Map<string, ContactView[]>();
  for (const contact of contacts) {
    const names = new Set(contact.groups.map((g) => g.trim()).filter((g) => g !== ''));
    if (names.size === 0) names.add(UNGROUPED);
    for (const name of names) {
      const members = byName.get(name);
      if (members) members.push(contact);
      else byName.set(name, [contact]);
    }
  }
  return [...byName.entries()]
    .sort(([a], [b]) => {
      if (a === UNGROUPED || b === UNGROUPED) return a === b ? 0 : a === UNGROUPED ? 1 : -1;
      return a.localeCompare(b);
    })
    .map(([name, members]) => {
      const sorted = [...members].sort(
        (a, b) => compareContacts(a, b) || a.account_id - b.account_id,
      );
      return {
        name,
        contacts: sorted,
        online: sorted.filter((c) => c.presence.show !== 'offline').length,
      };
    });
}

/** Whether the list shows group headings: not when nobody uses roster groups. */
export function showsGroupHeadings(groups: readonly RosterGroup[]): boolean {
  return !(groups.length === 1 && groups[0]?.name === UNGROUPED);
}

/**
 * One row of the virtual contact list: a group heading, or a contact under it. `key` is unique
 * in the list (a contact in two groups has a row in each).
 */
export type ContactListRow =
  | { kind: 'group'; key: string; group: RosterGroup; collapsed: boolean }
  | { kind: 'contact'; key: string; contact: ContactView };

/**
 * The rows of the contact list, in order: each group's heading followed by its contacts, those
 * of a collapsed group left out. Without headings (see `showsGroupHeadings`), the contacts
 * alone, and nothing can be collapsed.
 */
export function contactRows(
  groups: readonly RosterGroup[],
  collapsed: ReadonlySet<string>,
): ContactListRow[] {
  const headings = showsGroupHeadings(groups);
  const rows: ContactListRow[] = [];
  for (const group of groups) {
    const isCollapsed = headings && collapsed.has(group.name);
    if (headings) {
      rows.push({ kind: 'group', key: `group\u0000${group.name}`, group, collapsed: isCollapsed });
    }
    if (isCollapsed) continue;
    for (const contact of group.contacts) {
      rows.push({
        kind: 'contact',
        key: `contact\u0000${group.name}\u0000${contact.account_id}\u0000${contact.jid}`,
        contact,
      });
    }
  }
  return rows;
}

/** Splits the comma-separated groups field: trimmed, no empty names, no duplicates. */
export function parseGroups(input: string): string[] {
  const names = input
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  return [...new Set(names)];
}

/**
 * The bare JID in what the user typed or pasted: trimmed, without an `xmpp:` URI scheme
 * (RFC 5122) or its `?query`, and without a `/resource`.
 */
export function contactJid(input: string): string {
  let jid = input.trim();
  if (jid.toLowerCase().startsWith('xmpp:')) jid = jid.slice('xmpp:'.length);
  const query = jid.indexOf('?');
  if (query >= 0) jid = jid.slice(0, query);
  const resource = jid.indexOf('/');
  if (resource >= 0) jid = jid.slice(0, resource);
  return jid.trim();
}
