// The virtual contact list. jsdom has no layout: src/test/layout.ts gives every scroll viewport
// VIEWPORT_HEIGHT px and every row ROW_HEIGHT px, so virtua renders what a browser would show
// of a list of such rows.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { ContactView } from '../../ipc';
import { ALICE, FakeBackend, account, contact } from '../../../test/backend';
import { ROW_HEIGHT, VIEWPORT_HEIGHT } from '../../../test/layout';
import { renderApp } from '../../../test/render';

const WORK = account(2, 'alice@work.example');

/** One screen of rows plus virtua's 200 px buffer on either side (and a row of slack each). */
const MOUNTED_BOUND = (VIEWPORT_HEIGHT + 2 * 200) / ROW_HEIGHT + 2;

/** The JID of contact `n` (1-based); the list sorts them by name, so row n-1 without groups. */
function jid(n: number): string {
  return `c${String(n).padStart(3, '0')}@example.org`;
}

function numbered(count: number, overrides: (n: number) => Partial<ContactView> = () => ({})): ContactView[] {
  return Array.from({ length: count }, (_, i) =>
    contact(jid(i + 1), { name: `Contact ${String(i + 1).padStart(3, '0')}`, ...overrides(i + 1) }),
  );
}

function backendWith(contacts: ContactView[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = contacts;
  return backend;
}

/** The container (data-testid="contact-list") and its virtual list, once `count` contacts match. */
async function contactList(count: number): Promise<{ container: HTMLElement; list: HTMLElement }> {
  const container = await screen.findByTestId('contact-list');
  await waitFor(() => expect(container.dataset['count']).toBe(String(count)));
  return { container, list: within(container).getByRole('list', { name: 'Contacts' }) };
}

/** Test ids of the rows in the DOM, in order: `contact-{jid}` and `contact-group-{name}`. */
function renderedRows(container: HTMLElement): string[] {
  return [...container.querySelectorAll('[data-testid^="contact-"]')].map(
    (row) => row.getAttribute('data-testid') ?? '',
  );
}

function renderedContacts(container: HTMLElement): string[] {
  return renderedRows(container)
    .filter((id) => !id.startsWith('contact-group-'))
    .map((id) => id.slice('contact-'.length));
}

async function scrollListTo(list: HTMLElement, top: number): Promise<void> {
  list.scrollTop = top;
  await fireEvent.scroll(list);
}

async function typeFilter(text: string): Promise<void> {
  await fireEvent.input(screen.getByTestId('contact-filter'), { target: { value: text } });
}

/** A key press on whatever has the focus. */
async function press(key: string): Promise<void> {
  await fireEvent.keyDown(document.activeElement ?? document.body, { key });
}

function focusedTestId(): string | null | undefined {
  return document.activeElement?.getAttribute('data-testid');
}

describe('virtual contact list', () => {
  test('with 500 contacts, only the rows near the viewport are in the DOM', async () => {
    backendWith(numbered(500));
    renderApp();
    const { container, list } = await contactList(500);

    await waitFor(() =>
      expect(renderedContacts(container).length).toBeGreaterThan(VIEWPORT_HEIGHT / ROW_HEIGHT / 2),
    );
    const shown = renderedContacts(container);
    expect(shown.length, 'only the rows near the viewport are mounted').toBeLessThanOrEqual(MOUNTED_BOUND);
    expect(shown, 'the first rows, in order').toEqual(shown.map((_, i) => jid(i + 1)));

    // Rows stay hidden (visibility) until virtua measured them.
    await waitFor(() => {
      const items = within(list).getAllByRole('listitem');
      expect(items[0]?.getAttribute('aria-setsize'), 'the list says how long it really is').toBe('500');
      expect(items[0]?.getAttribute('aria-posinset')).toBe('1');
      expect(
        within(list).getByRole('button', { name: /^Available Contact 001 c001@example.org/ }),
        'a row is named by the presence and contact, as before',
      ).toBe(screen.getByTestId(`contact-${jid(1)}`));
    });

    await scrollListTo(list, 250 * ROW_HEIGHT);
    await waitFor(() => expect(renderedContacts(container)).toContain(jid(260)));
    expect(renderedContacts(container)).not.toContain(jid(1));
    expect(renderedContacts(container).length).toBeLessThanOrEqual(MOUNTED_BOUND);
  });

  test('group headings are rows of the list; folding one hides its contacts', async () => {
    // 5 groups of 100: "Group A" holds contacts 1–100, "Group B" 101–200, …
    backendWith(numbered(500, (n) => ({ groups: [`Group ${'ABCDE'[Math.floor((n - 1) / 100)]}`] })));
    renderApp();
    const { container, list } = await contactList(500);

    await waitFor(() => expect(renderedRows(container).slice(0, 3)).toEqual([
      'contact-group-Group A',
      `contact-${jid(1)}`,
      `contact-${jid(2)}`,
    ]));
    expect(renderedRows(container).length).toBeLessThanOrEqual(MOUNTED_BOUND);
    const groupA = screen.getByTestId('contact-group-Group A');
    expect(groupA.getAttribute('aria-expanded')).toBe('true');
    expect(groupA.textContent).toContain('100/100');
    await waitFor(() =>
      expect(
        within(list).getByRole('button', { name: 'Group A (100 of 100 online)', expanded: true }),
        'a heading holds the fold button, named by the group',
      ).toBe(within(list).getByRole('heading', { name: 'Group A (100 of 100 online)' }).firstElementChild),
    );
    expect(screen.queryByTestId('contact-group-Group B'), 'far below: not rendered').toBeNull();

    // Group B's heading is row 101 (after A's heading and 100 contacts).
    await scrollListTo(list, 101 * ROW_HEIGHT);
    await waitFor(() => expect(renderedRows(container)).toContain('contact-group-Group B'));
    const rows = renderedRows(container);
    expect(rows[rows.indexOf('contact-group-Group B') + 1]).toBe(`contact-${jid(101)}`);

    await scrollListTo(list, 0);
    await fireEvent.click(await screen.findByTestId('contact-group-Group A'));
    await waitFor(() =>
      expect(renderedRows(container).slice(0, 3)).toEqual([
        'contact-group-Group A',
        'contact-group-Group B',
        `contact-${jid(101)}`,
      ]),
    );
    expect(screen.getByTestId('contact-group-Group A').getAttribute('aria-expanded')).toBe('false');
    expect(container.dataset['count'], 'folding hides rows, not matches').toBe('500');

    await fireEvent.click(screen.getByTestId('contact-group-Group A'));
    await waitFor(() => expect(renderedRows(container)[1]).toBe(`contact-${jid(1)}`));
  });

  test('typing in the filter narrows the list at once; data-count follows', async () => {
    backendWith(numbered(500));
    renderApp();
    const { container, list } = await contactList(500);
    await waitFor(() => expect(renderedContacts(container)).toContain(jid(1)));
    await scrollListTo(list, 300 * ROW_HEIGHT);
    await waitFor(() => expect(renderedContacts(container)).toContain(jid(310)));

    // "Contact 420" to "Contact 429", by name.
    await typeFilter('contact 42');
    await waitFor(() => expect(container.dataset['count']).toBe('10'));
    await waitFor(() =>
      expect(renderedContacts(container), 'the matches, from the top of the list').toEqual(
        Array.from({ length: 10 }, (_, i) => jid(420 + i)),
      ),
    );

    // By JID: the last contact, far down the full list.
    await typeFilter('C500@');
    await waitFor(() => expect(renderedContacts(container)).toEqual([jid(500)]));
    expect(container.dataset['count']).toBe('1');

    await typeFilter('nobody');
    await waitFor(() => expect(container.dataset['count']).toBe('0'));
    expect(renderedContacts(container)).toEqual([]);
    expect(container.textContent).toContain('No contact matches.');

    await typeFilter('');
    await waitFor(() => expect(container.dataset['count']).toBe('500'));
    await waitFor(() => expect(renderedContacts(container)).toContain(jid(1)));
    expect(renderedContacts(container).length).toBeLessThanOrEqual(MOUNTED_BOUND);
    expect(container.textContent).not.toContain('No contact matches.');
  });

  test('data-count counts the matching contacts of every account; none says so', async () => {
    const backend = backendWith([
      contact('bob@example.org', { groups: ['Friends', 'Work'] }),
      contact('bob@example.org', { account_id: WORK.id }),
      contact('carol@example.org', { account_id: WORK.id }),
    ]);
    backend.accounts = [ALICE, WORK];
    renderApp();
    const { container } = await contactList(3);
    await waitFor(() =>
      expect(renderedRows(container), 'bob is under both his groups, and once for the work account').toEqual([
        'contact-group-Friends',
        'contact-bob@example.org',
        'contact-group-Work',
        'contact-bob@example.org',
        'contact-group-Contacts',
        'contact-bob@example.org',
        'contact-carol@example.org',
      ]),
    );
    expect(
      screen.getAllByTestId('contact-bob@example.org').map((row) => row.dataset['account']),
    ).toEqual([String(ALICE.id), String(ALICE.id), String(WORK.id)]);

    await typeFilter('carol');
    await waitFor(() => expect(container.dataset['count']).toBe('1'));
  });

  test('without contacts, an empty list says so', async () => {
    backendWith([]);
    renderApp();
    const { container, list } = await contactList(0);
    expect(container.textContent).toContain('No contacts yet.');
    expect(within(list).queryAllByRole('listitem')).toEqual([]);
  });
});

describe('contact list keyboard', () => {
  test('Up/Down move the focus between rows, Home/End to the ends, scrolling rows in', async () => {
    backendWith(numbered(500));
    renderApp();
    const { container } = await contactList(500);

    const filter = screen.getByTestId('contact-filter');
    filter.focus();
    await fireEvent.keyDown(filter, { key: 'ArrowDown' });
    await waitFor(() => expect(focusedTestId(), 'Down from the filter').toBe(`contact-${jid(1)}`));

    await press('ArrowDown');
    await waitFor(() => expect(focusedTestId()).toBe(`contact-${jid(2)}`));
    await press('ArrowUp');
    await waitFor(() => expect(focusedTestId()).toBe(`contact-${jid(1)}`));
    await press('ArrowUp');
    expect(focusedTestId(), 'Up on the first row stays there').toBe(`contact-${jid(1)}`);

    await press('End');
    await waitFor(() =>
      expect(focusedTestId(), 'End: the last row, 499 rows down').toBe(`contact-${jid(500)}`),
    );
    await waitFor(() => expect(renderedContacts(container)).not.toContain(jid(1)));
    expect(renderedContacts(container).length).toBeLessThanOrEqual(MOUNTED_BOUND);
    await press('ArrowDown');
    expect(focusedTestId(), 'Down on the last row stays there').toBe(`contact-${jid(500)}`);
    await press('ArrowUp');
    await waitFor(() => expect(focusedTestId()).toBe(`contact-${jid(499)}`));

    await press('Home');
    await waitFor(() => expect(focusedTestId()).toBe(`contact-${jid(1)}`));
  });

  test('group headings are stops too; the keys leave the remove confirmation alone', async () => {
    backendWith([
      contact('bob@example.org', { groups: ['Friends'] }),
      contact('carol@example.org', { groups: ['Friends'] }),
      contact('dave@example.org'),
    ]);
    renderApp();
    const friends = await screen.findByTestId('contact-group-Friends');
    friends.focus();
    await fireEvent.keyDown(friends, { key: 'ArrowDown' });
    await waitFor(() => expect(focusedTestId()).toBe('contact-bob@example.org'));
    await press('End');
    await waitFor(() => expect(focusedTestId()).toBe('contact-dave@example.org'));
    await press('ArrowUp');
    await waitFor(() => expect(focusedTestId()).toBe('contact-group-Contacts'));

    await fireEvent.click(screen.getByTestId('remove-contact-carol@example.org'));
    const cancel = document.activeElement as HTMLElement;
    expect(cancel.textContent?.trim()).toBe('Cancel');
    await fireEvent.keyDown(cancel, { key: 'ArrowDown' });
    expect(document.activeElement, 'arrows inside the confirmation do not move between rows').toBe(cancel);
  });

  test('the focused row stays in the DOM, and focused, while scrolled out of view', async () => {
    backendWith(numbered(500));
    renderApp();
    const { container, list } = await contactList(500);
    const first = await screen.findByTestId(`contact-${jid(1)}`);
    first.focus();
    await scrollListTo(list, 300 * ROW_HEIGHT);
    await waitFor(() => expect(renderedContacts(container)).toContain(jid(310)));
    expect(renderedContacts(container)).not.toContain(jid(2));
    expect(document.activeElement, 'the focus was not dropped').toBe(first);
    expect(first.isConnected).toBe(true);
  });
});
