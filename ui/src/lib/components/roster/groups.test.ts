import { describe, expect, test } from 'vitest';
import { contact } from '../../../test/backend';
import { UNGROUPED, contactJid, groupContacts, parseGroups } from './groups';

describe('groupContacts', () => {
  test('puts each contact under its groups, ungrouped ones under "Contacts" last', () => {
    const groups = groupContacts([
      contact('zoe@example.org'),
      contact('bob@example.org', { groups: ['Work', 'Friends'] }),
      contact('carol@example.org', { groups: ['Work'], presence: { show: 'offline', status: null, priority: 0, error: null } }),
      contact('dave@example.org', { groups: ['Work'] }),
    ]);
    expect(groups.map((g) => g.name)).toEqual(['Friends', 'Work', UNGROUPED]);
    const work = groups[1];
    expect(work?.contacts.map((c) => c.jid), 'online first, then by name').toEqual([
      'bob@example.org',
      'dave@example.org',
      'carol@example.org',
    ]);
    expect(work?.online).toBe(2);
    expect(groups[0]?.contacts.map((c) => c.jid), 'bob is in both of his groups').toEqual([
      'bob@example.org',
    ]);
  });

  test('a group literally named "Contacts" merges with the ungrouped contacts', () => {
    const groups = groupContacts([
      contact('a@example.org', { groups: [UNGROUPED] }),
      contact('b@example.org', { groups: ['  '] }),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.contacts).toHaveLength(2);
  });
});

describe('parseGroups', () => {
  test.each([
    ['', []],
    [' Friends ,Work,, ', ['Friends', 'Work']],
    ['Work, Work', ['Work']],
  ])('%j', (input, expected) => {
    expect(parseGroups(input)).toEqual(expected);
  });
});

describe('contactJid', () => {
  test.each([
    [' bob@example.org ', 'bob@example.org'],
    ['xmpp:bob@example.org?message', 'bob@example.org'],
    ['XMPP:bob@example.org', 'bob@example.org'],
    ['bob@example.org/phone', 'bob@example.org'],
    ['bob', 'bob'],
  ])('%j is %j', (input, expected) => {
    expect(contactJid(input)).toBe(expected);
  });
});
