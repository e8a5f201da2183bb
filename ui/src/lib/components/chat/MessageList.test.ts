// The virtual message list of ChatView. jsdom has no layout: src/test/layout.ts gives every
// scroll viewport VIEWPORT_HEIGHT px and every row ROW_HEIGHT px, so virtua renders what a
// browser would show of a list of such rows.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, contact, conversation, message } from '../../../test/backend';
import { ROW_HEIGHT, VIEWPORT_HEIGHT } from '../../../test/layout';
import { renderApp } from '../../../test/render';
import type { MessageView } from '../../ipc';

const BOB = 'bob@example.org';

function backendWithHistory(count: number): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = Array.from({ length: count }, (_, i) => message(i + 1));
  return backend;
}

async function openBob(): Promise<{ chat: HTMLElement; list: HTMLElement }> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  return { chat, list: within(chat).getByRole('list', { name: 'Messages with Bob' }) };
}

function renderedIds(chat: HTMLElement): number[] {
  return within(chat)
    .queryAllByTestId('message')
    .map((row) => Number(row.dataset['id']));
}

/** Messages only in the server's archive: `message(i)` as stored later, with id 1000 + i. */
function archived(from: number, to: number): MessageView[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    message(1000 + from + i, { at: message(from + i).at }),
  );
}

async function scrollListTo(list: HTMLElement, top: number): Promise<void> {
  list.scrollTop = top;
  await fireEvent.scroll(list);
}

/** Lets pending timers run: size reports, and virtua's 150 ms of scroll-to-end retries. */
function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens Bob's chat and waits until it shows message `newest`, scrolled to the end. */
async function openBobAt(newest: number): Promise<{ chat: HTMLElement; list: HTMLElement }> {
  const opened = await openBob();
  await waitFor(() => expect(renderedIds(opened.chat)).toContain(newest));
  await settle(250);
  return opened;
}

describe('message list', () => {
  test('a chat of 10,000 messages has only the rows of one screen in the DOM, newest last', async () => {
    backendWithHistory(10_000);
    renderApp();
    const { chat, list } = await openBob();

    await waitFor(() => expect(renderedIds(chat)).toContain(10_000));
    const ids = renderedIds(chat);
    // One screen of rows plus virtua's 200 px buffer on either side.
    const bound = (VIEWPORT_HEIGHT + 2 * 200) / ROW_HEIGHT + 2;
    expect(ids.length).toBeGreaterThan(VIEWPORT_HEIGHT / ROW_HEIGHT / 2);
    expect(ids.length, 'only the rows near the viewport are mounted').toBeLessThanOrEqual(bound);
    expect(ids, 'the newest messages, oldest first').toEqual(
      [...ids].sort((a, b) => a - b).filter((id) => id > 10_000 - ids.length),
    );
    expect(list.scrollTop, 'the list opened scrolled to its end').toBeGreaterThan(300_000);

    // Rows stay hidden (visibility) until virtua measured them.
    await waitFor(() => {
      const rows = within(list).getAllByRole('listitem');
      expect(rows.length).toBe(list.querySelectorAll('[role="listitem"]').length);
      const size = Number(rows[0]?.getAttribute('aria-setsize'));
      expect(size - 10_000, 'the set size counts messages and day separators').toBeGreaterThan(0);
      expect(Number(rows.at(-1)?.getAttribute('aria-posinset')), 'the last row is the newest').toBe(size);
    });
  });

  test('day separators are rows of the list too', async () => {
    const backend = backendWithHistory(0);
    const today = Date.UTC(2026, 10, 20, 9, 0);
    backend.messages = [message(1, { at: today - 86_400_000 }), message(2, { at: today })];
    renderApp();
    const { list } = await openBob();
    await waitFor(() => expect(within(list).getAllByTestId('day-separator')).toHaveLength(2));
    await waitFor(() => {
      const texts = within(list)
        .getAllByRole('listitem')
        .map((row) => row.textContent?.trim().split(/\s+/)[0]);
      expect(texts, 'the server has nothing older either: the beginning is shown').toEqual([
        'Beginning',
        'Yesterday',
        'message',
        'Today',
        'message',
      ]);
    });
  });

  test('follows new messages at the bottom, and stays put once the user scrolled up', async () => {
    const backend = backendWithHistory(200);
    renderApp();
    const { chat, list } = await openBobAt(200);

    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [message(201)] });
    await waitFor(() => expect(renderedIds(chat), 'the new message scrolled into view').toContain(201));
    await settle(250);

    await scrollListTo(list, 2_000);
    await settle();
    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [message(202)] });
    await settle(200);
    expect(list.scrollTop, 'reading older messages is not interrupted').toBe(2_000);
    expect(renderedIds(chat)).not.toContain(202);
    expect(renderedIds(chat)).toContain(2_000 / ROW_HEIGHT);

    const composer = within(chat).getByTestId('composer');
    await fireEvent.input(composer, { target: { value: 'back to now' } });
    await fireEvent.keyDown(composer, { key: 'Enter' });
    await waitFor(() => {
      const rows = within(chat).getAllByTestId('message');
      expect(rows.at(-1)?.textContent, 'sending jumps to the newest message').toContain('back to now');
    });
  });

  test('nearing the top loads the previous page and keeps the rows the user reads in place', async () => {
    const backend = backendWithHistory(120);
    backend.paged = true;
    renderApp();
    const { chat, list } = await openBobAt(120);
    expect(backend.callsOf('load_messages')).toHaveLength(1);

    await scrollListTo(list, 0);
    await waitFor(() =>
      expect(backend.callsOf('load_messages')[1]).toEqual({
        accountId: ALICE.id,
        peer: BOB,
        before: 71,
        limit: 50,
      }),
    );
    // 50 older rows of ROW_HEIGHT came in above: the view moved down by as much.
    await waitFor(() => expect(list.scrollTop).toBe(50 * ROW_HEIGHT));
    const ids = renderedIds(chat);
    expect(ids).toContain(71);
    expect(ids, 'the row just above is the newest of the loaded page').toContain(70);
  });

  test('"Load earlier messages" is there for the keyboard, until the start of the history', async () => {
    const backend = backendWithHistory(70);
    backend.paged = true;
    renderApp();
    const { chat } = await openBobAt(70);

    const button = within(chat).getByRole('button', { name: 'Load earlier messages' });
    button.focus();
    await fireEvent.click(button);
    await waitFor(() =>
      expect(backend.callsOf('load_messages').map((c) => c['before'])).toEqual([null, 21]),
    );
    // A page shorter than 50 is the start of what is stored; the server's archive is next.
    await waitFor(() => expect(button.getAttribute('aria-disabled')).toBe('false'));
    expect(backend.callsOf('fetch_history')).toEqual([]);
    await fireEvent.click(button);
    await waitFor(() =>
      expect(
        within(chat).queryByRole('button', { name: /earlier messages/ }),
        'the archive has nothing older either: nothing more to load',
      ).toBeNull(),
    );
    expect(backend.callsOf('fetch_history')).toEqual([{ accountId: ALICE.id, peer: BOB }]);
    await waitFor(() =>
      expect(document.activeElement, 'the focus stays in the chat, on the list').toBe(
        within(chat).getByRole('list', { name: 'Messages with Bob' }),
      ),
    );
  });

  test('a failed automatic load is reported once; the button retries', async () => {
    const backend = backendWithHistory(120);
    backend.paged = true;
    let failing = true;
    const normal = backend.messages;
    backend.on('load_messages', (args) => {
      if (args['before'] !== null && failing) throw { code: 'internal', message: 'database is locked' };
      const older = normal.filter((m) => args['before'] === null || m.id < (args['before'] as number));
      return older.slice(-50);
    });
    renderApp();
    const { chat, list } = await openBobAt(120);

    await scrollListTo(list, 0);
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('database is locked');
    await scrollListTo(list, 10);
    await scrollListTo(list, 0);
    await settle();
    expect(backend.callsOf('load_messages'), 'no retry loop while scrolling').toHaveLength(2);

    failing = false;
    await fireEvent.click(within(chat).getByRole('button', { name: 'Load earlier messages' }));
    await waitFor(() => expect(renderedIds(chat)).toContain(70));
    expect(backend.callsOf('load_messages')).toHaveLength(3);
  });

  test('past the stored history, scrolling up fetches from the server, older messages first', async () => {
    const backend = backendWithHistory(0);
    backend.messages = Array.from({ length: 30 }, (_, i) => message(61 + i));
    backend.archive = archived(41, 60);
    let release = (): void => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    backend.on('fetch_history', async (args) => {
      await answered;
      return backend.fetchHistory(args);
    });
    renderApp();
    const { chat, list } = await openBobAt(90);
    expect(backend.callsOf('fetch_history'), 'not while the user reads the newest').toEqual([]);

    await scrollListTo(list, 0);
    const button = await within(chat).findByRole('button', {
      name: 'Loading older messages from the server…',
    });
    expect(button.getAttribute('aria-disabled')).toBe('true');
    expect(list.getAttribute('aria-busy')).toBe('true');

    release();
    await waitFor(() =>
      expect(within(chat).queryByRole('button', { name: /older messages|earlier messages/ })).toBeNull(),
    );
    await waitFor(() => expect(list.getAttribute('aria-busy')).toBe('false'));
    expect(backend.callsOf('fetch_history')).toEqual([{ accountId: ALICE.id, peer: BOB }]);
    expect(backend.callsOf('load_messages').map((c) => c['before'])).toEqual([null, 61]);

    await scrollListTo(list, 0);
    await waitFor(() => expect(renderedIds(chat)).toContain(1041));
    expect(within(chat).getByTestId('conversation-start').textContent).toBe('Beginning of the conversation');
    const ids = renderedIds(chat);
    expect(ids.slice(0, 3), 'the archived messages come first, oldest first').toEqual([1041, 1042, 1043]);
    expect(ids, 'in time order').toEqual([...ids].sort((a, b) => (a % 1000) - (b % 1000)));
    await settle();
    expect(backend.callsOf('fetch_history'), 'the archive is complete: not asked again').toHaveLength(1);
  });

  test('offline, the server fetch is reported once; the button retries once connected', async () => {
    const backend = backendWithHistory(0);
    backend.messages = Array.from({ length: 30 }, (_, i) => message(61 + i));
    backend.archive = archived(41, 60);
    let online = false;
    backend.on('fetch_history', (args) => {
      if (!online) throw { code: 'not_connected', message: 'account is offline' };
      return backend.fetchHistory(args);
    });
    renderApp();
    const { chat, list } = await openBobAt(90);

    await scrollListTo(list, 0);
    const banner = await screen.findByTestId('problem-banner');
    expect(banner.dataset['code']).toBe('not_connected');
    expect(banner.textContent).toContain('account is offline');
    await scrollListTo(list, 10);
    await scrollListTo(list, 0);
    await settle();
    expect(backend.callsOf('fetch_history'), 'no retry loop while scrolling').toHaveLength(1);
    expect(within(chat).queryByTestId('conversation-start'), 'the server may still have more').toBeNull();

    online = true;
    await fireEvent.click(within(chat).getByRole('button', { name: 'Load earlier messages' }));
    await waitFor(() => expect(renderedIds(chat)).toContain(1060));
    expect(backend.callsOf('fetch_history')).toHaveLength(2);
    await scrollListTo(list, 0);
    expect(await within(chat).findByTestId('conversation-start')).toBeTruthy();
  });
});
