// Words for the contact details and profile dialogs.

import type { ContactView, Profile } from '../../ipc';

/** The profile fields shown and edited, with their labels, in order. */
export const PROFILE_FIELDS: ReadonlyArray<readonly [keyof Profile, string]> = [
  ['full_name', 'Full name'],
  ['nickname', 'Nickname'],
  ['email', 'Email'],
  ['phone', 'Phone'],
  ['note', 'About'],
];

/** What a contact's subscription (RFC 6121 §2.1.2.5) means, in words, for `name`. */
export function subscriptionWords(contact: ContactView, name: string): string {
  const asked = contact.ask ? ` You asked to see ${name}'s presence; no answer yet.` : '';
  switch (contact.subscription) {
    case 'both':
      return `You and ${name} see each other's presence.`;
    case 'to':
      return `You see ${name}'s presence; ${name} does not see yours.`;
    case 'from':
      return `${name} sees your presence; you do not see theirs.${asked}`;
    default:
      return `Neither of you sees the other's presence.${asked}`;
  }
}
