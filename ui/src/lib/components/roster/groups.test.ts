import { describe, expect, test } from 'vitest';
import { contact } from '../../../test/backend';
import {
  UNGROUPED,
  contactJid,
  contactRows,
  groupContacts,
  parseGroups,
  showsGroupHeadings,
} from './groups';

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

describe('contactRows', () => {
  const grouped = groupContacts([
    contact('zoe@example.org'),
    contact('bob@example.org', { groups: ['Work', 'Friends'] }),
    contact('dave@example.org', { groups: ['Work'] }),
  ]);

  function describeRows(rows: ReturnType<typeof contactRows>): string[] {
    return rows.map((row) =>
      row.kind === 'group' ? `# ${row.group.name}${row.collapsed ? ' (folded)' : ''}` : row.contact.jid,
    );
  }

  test('each heading is followed by its contacts; keys are unique', () => {
    const rows = contactRows(grouped, new Set());
    expect(describeRows(rows)).toEqual([
      '# Friends',
      'bob@example.org',
      '# Work',
      'bob@example.org',
      'dave@example.org',
      `# ${UNGROUPED}`,
      'zoe@example.org',
    ]);
    expect(new Set(rows.map((r) => r.key)).size, 'bob has a row in each of his groups').toBe(rows.length);
  });

  test('a folded group keeps its heading and hides its contacts', () => {
    expect(describeRows(contactRows(grouped, new Set(['Work'])))).toEqual([
      '# Friends',
      'bob@example.org',
      '# Work (folded)',
      `# ${UNGROUPED}`,
      'zoe@example.org',
    ]);
  });

  test('without roster groups: no headings, and nothing to fold', () => {
    const plain = groupContacts([contact('bob@example.org'), contact('carol@example.org')]);
    expect(showsGroupHeadings(plain)).toBe(false);
    expect(showsGroupHeadings(grouped)).toBe(true);
    expect(describeRows(contactRows(plain, new Set([UNGROUPED])))).toEqual([
      'bob@example.org',
      'carol@example.org',
    ]);
    expect(contactRows([], new Set())).toEqual([]);
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
