// Message search: the panel (button, Ctrl+K, Ctrl+F), the scope, hits with their snippet, the
// keyboard, and a hit opened in its conversation, scrolled to and highlighted.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { MessageView } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  account,
  contact,
  conversation,
  groupMessage,
  message,
  room,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { HIGHLIGHT_MS } from '../chat/chatContext.svelte';
import { SEARCH_DEBOUNCE_MS, SEARCH_LIMIT } from './search';

const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const DEV = 'dev@conference.example.org';
const WORK = account(2, 'al@work.example');
/** Markup in a body, short enough for the whole of it to be in the snippet. */
const XSS = '<b>now</b>';

function backendWith(messages: MessageView[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' }), contact(CAROL, { name: 'Carol' })];
  backend.conversations = [conversation(BOB), conversation(CAROL), conversation(DEV)];
  backend.rooms = [room(DEV)];
  backend.messages = messages;
  return backend;
}

/** A few chats mentioning lunch. */
function lunchChats(): MessageView[] {
  return [
    message(1, { body: 'lunch at noon?' }),
    message(2, { body: 'sure, lunch it is', outgoing: true, state: 'sent' }),
    message(3, { body: 'unrelated' }),
    message(4, { peer: CAROL, body: `Lunchtime ${XSS}` }),
    groupMessage(5, DEV, 'dave', { body: 'who is up for lunch' }),
  ];
}

const searchDialog = (): HTMLDialogElement => screen.getByTestId<HTMLDialogElement>('search-dialog');
const results = (): HTMLElement[] => screen.queryAllByTestId('search-result');
const resultIds = (): number[] => results().map((r) => Number(r.dataset['id']));

async function openChat(testId: string): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(testId));
  return screen.findByTestId('chat-view');
}

async function type(query: string): Promise<void> {
  await fireEvent.input(screen.getByTestId('search-input'), { target: { value: query } });
}

function key(name: string, init: KeyboardEventInit = {}): Promise<boolean> {
  return fireEvent.keyDown(screen.getByTestId('search-input'), { key: name, ...init });
}

function row(chat: HTMLElement, id: number): HTMLElement | undefined {
  return within(chat)
    .queryAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('search panel', () => {
  test('Ctrl+K searches everywhere as one types, newest first, with peer, time and marked words', async () => {
    const backend = backendWith(lunchChats());
    renderApp();
    await screen.findByTestId('open-search');
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    expect(searchDialog().open).toBe(true);
    const input = screen.getByTestId<HTMLInputElement>('search-input');
    expect(document.activeElement).toBe(input);
    expect(screen.getByTestId<HTMLSelectElement>('search-scope').value).toBe('all');

    await type('l');
    await type('lu');
    await type('lunch');
    await waitFor(() => expect(results()).toHaveLength(4));
    expect(backend.callsOf('search_messages'), 'one search after typing paused').toEqual([
      { accountId: null, peer: null, query: 'lunch', limit: SEARCH_LIMIT },
    ]);
    expect(resultIds()).toEqual([5, 4, 2, 1]);

    const [dev, carol, ours, bob] = results();
    expect(dev?.dataset).toMatchObject({ peer: DEV, account: String(ALICE.id) });
    expect(dev?.textContent).toContain('dev');
    expect(dev?.textContent).toContain('dave:');
    expect(carol?.textContent).toContain('Carol');
    expect(ours?.textContent).toContain('You:');
    expect(bob?.textContent).toContain('Bob');
    expect(bob?.querySelector('time')?.getAttribute('datetime')).toBe(new Date(message(1).at).toISOString());
    expect([...(bob?.querySelectorAll('mark') ?? [])].map((m) => m.textContent)).toEqual(['lunch']);
    expect(carol?.querySelector('mark')?.textContent).toBe('Lunchtime');
    expect(carol?.textContent, 'a body is text').toContain(XSS);
    expect(searchDialog().querySelector('b')).toBeNull();
    expect(screen.getByText('4 found')).toBeTruthy();
  });

  test('the button searches the open conversation; the scope switches to all of them', async () => {
    const backend = backendWith(lunchChats());
    renderApp();
    await openChat(`contact-${BOB}`);
    await fireEvent.click(screen.getByTestId('open-search'));
    const scope = screen.getByTestId<HTMLSelectElement>('search-scope');
    expect(scope.value).toBe('chat');
    expect(within(searchDialog()).getByText('In Bob')).toBeTruthy();

    await type('lunch');
    await waitFor(() => expect(resultIds()).toEqual([2, 1]));
    expect(backend.callsOf('search_messages').at(-1)).toEqual({
      accountId: ALICE.id,
      peer: BOB,
      query: 'lunch',
      limit: SEARCH_LIMIT,
    });

    await fireEvent.change(scope, { target: { value: 'all' } });
    await waitFor(() => expect(resultIds()).toEqual([5, 4, 2, 1]));
    expect(backend.callsOf('search_messages').at(-1)).toMatchObject({ accountId: null, peer: null });
  });

  test('without an open conversation, only "all conversations" can be chosen', async () => {
    backendWith(lunchChats());
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    const scope = screen.getByTestId<HTMLSelectElement>('search-scope');
    expect(scope.value).toBe('all');
    expect(within(scope).getByRole<HTMLOptionElement>('option', { name: 'This conversation' }).disabled).toBe(true);
  });

  test('Ctrl+F in a chat searches that chat', async () => {
    backendWith(lunchChats());
    renderApp();
    await openChat(`contact-${CAROL}`);
    await fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    expect(searchDialog().open).toBe(true);
    expect(screen.getByTestId<HTMLSelectElement>('search-scope').value).toBe('chat');
    await type('lunchtime');
    await waitFor(() => expect(resultIds()).toEqual([4]));
  });

  test('says "No messages found"; an empty query asks nothing and says nothing', async () => {
    const backend = backendWith(lunchChats());
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('dinner');
    const empty = await screen.findByTestId('search-empty');
    expect(empty.textContent).toBe('No messages found');
    expect(results()).toEqual([]);

    await type('   ');
    await sleep(SEARCH_DEBOUNCE_MS * 2);
    expect(screen.queryByTestId('search-empty')).toBeNull();
    expect(backend.callsOf('search_messages').map((c) => c['query'])).toEqual(['dinner']);
  });

  test('an answer to an older query never replaces a newer one', async () => {
    const backend = backendWith(lunchChats());
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    backend.on('search_messages', async (a) => {
      if (a['query'] === 'unrel') await slow;
      return a['query'] === 'unrel'
        ? [{ message: message(3, { body: 'unrelated' }), snippet: '\u0002unrel\u0003ated' }]
        : [{ message: message(1, { body: 'lunch at noon?' }), snippet: '\u0002lunch\u0003 at noon?' }];
    });
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('unrel');
    await waitFor(() => expect(backend.callsOf('search_messages')).toHaveLength(1));
    await type('lunch');
    await waitFor(() => expect(resultIds()).toEqual([1]));
    releaseSlow();
    await sleep(20);
    expect(resultIds()).toEqual([1]);
  });

  test('a failed search says why', async () => {
    const backend = backendWith(lunchChats());
    backend.on('search_messages', () => {
      throw { code: 'internal', message: 'fts5: syntax error' };
    });
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('lunch');
    const error = await screen.findByTestId('search-error');
    expect(error.textContent).toContain('fts5: syntax error');
    expect(screen.queryByTestId('search-empty')).toBeNull();
  });

  test('Up and Down pick a hit, Enter opens it; Escape closes the panel', async () => {
    backendWith(lunchChats());
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('lunch');
    await waitFor(() => expect(results()).toHaveLength(4));
    const input = screen.getByTestId('search-input');
    const selected = (): number[] =>
      results()
        .filter((r) => r.getAttribute('aria-selected') === 'true')
        .map((r) => Number(r.dataset['id']));
    expect(selected(), 'the newest hit is active first').toEqual([5]);
    expect(input.getAttribute('aria-activedescendant')).toBe(results()[0]?.id);

    await key('ArrowDown');
    await key('ArrowDown');
    expect(selected()).toEqual([2]);
    await key('ArrowUp');
    expect(selected()).toEqual([4]);
    expect(input.getAttribute('aria-activedescendant')).toBe(results()[1]?.id);
    await key('ArrowDown');
    await key('ArrowDown');
    await key('ArrowDown');
    await key('ArrowDown');
    expect(selected(), 'stops at the last').toEqual([1]);

    await key('Escape');
    expect(searchDialog().open).toBe(false);
    expect(screen.queryByTestId('chat-view')).toBeNull();

    // Opened again: the last query, searched again.
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    expect(screen.getByTestId<HTMLInputElement>('search-input').value).toBe('lunch');
    await waitFor(() => expect(results()).toHaveLength(4));
    await key('ArrowDown');
    await key('Enter');
    expect(searchDialog().open).toBe(false);
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(CAROL);
    await waitFor(() => expect(row(chat, 4)?.dataset['highlighted']).toBe('true'));
  });

  test('with several accounts, a hit names its account', async () => {
    const backend = backendWith([...lunchChats(), message(9, { account_id: WORK.id, body: 'lunch meeting' })]);
    backend.accounts = [ALICE, WORK];
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('lunch');
    await waitFor(() => expect(results()).toHaveLength(5));
    const work = results().find((r) => r.dataset['id'] === '9');
    expect(work?.dataset['account']).toBe(String(WORK.id));
    expect(within(work ?? document.body).getByTestId('account-label').textContent).toBe(WORK.jid);
  });
});

describe('a search hit opened', () => {
  /** Bob's chat of 300 messages, read in pages; message 40 says "needle". */
  function longChat(): FakeBackend {
    const messages = Array.from({ length: 300 }, (_, i) =>
      message(i + 1, i + 1 === 40 ? { body: 'the needle in the haystack' } : {}),
    );
    const backend = backendWith(messages);
    backend.paged = true;
    return backend;
  }

  async function findNeedle(): Promise<void> {
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    await type('needle');
    await waitFor(() => expect(resultIds()).toEqual([40]));
  }

  test('far back in a long chat: loaded around it, scrolled to, highlighted for a moment', async () => {
    const backend = longChat();
    renderApp();
    await screen.findByTestId('open-search');
    await findNeedle();
    await fireEvent.click(results()[0] as HTMLElement);
    expect(searchDialog().open).toBe(false);

    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(BOB);
    await waitFor(() => expect(row(chat, 40)?.dataset['highlighted']).toBe('true'));
    expect(backend.callsOf('load_messages_around')).toEqual([
      { accountId: ALICE.id, peer: BOB, id: 40, limit: 50 },
    ]);
    expect(row(chat, 40)?.textContent).toContain('the needle in the haystack');
    expect(row(chat, 300), 'not the newest messages').toBeUndefined();
    expect(row(chat, 1), 'scrolled down to it from the start of the window').toBeUndefined();
    expect(within(chat).getByTestId('jump-to-latest')).toBeTruthy();
    const highlighted = within(chat)
      .getAllByTestId('message')
      .filter((r) => r.dataset['highlighted'] === 'true');
    expect(highlighted).toHaveLength(1);

    await waitFor(() => expect(row(chat, 40)?.dataset['highlighted']).toBe('false'), {
      timeout: HIGHLIGHT_MS + 1000,
    });
  }, 10_000);

  test('new messages wait while older ones are shown; "Jump to latest" shows them', async () => {
    const backend = longChat();
    renderApp();
    await screen.findByTestId('open-search');
    await findNeedle();
    await fireEvent.click(results()[0] as HTMLElement);
    const chat = await screen.findByTestId('chat-view');
    await waitFor(() => expect(row(chat, 40)).toBeDefined());

    const fresh = message(301, { body: 'brand new' });
    backend.messages.push(fresh);
    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [fresh] });
    await sleep(20);
    expect(row(chat, 301), 'no gap: not appended to older messages').toBeUndefined();

    await fireEvent.click(within(chat).getByTestId('jump-to-latest'));
    await waitFor(() => expect(row(chat, 301)).toBeDefined());
    expect(within(chat).queryByTestId('jump-to-latest')).toBeNull();
    expect(row(chat, 40)).toBeUndefined();
  });

  test('in the open chat, a hit already loaded is scrolled to without loading', async () => {
    const backend = backendWith(lunchChats());
    renderApp();
    const chat = await openChat(`contact-${BOB}`);
    await waitFor(() => expect(row(chat, 1)).toBeDefined());
    await fireEvent.click(screen.getByTestId('open-search'));
    await type('noon');
    await waitFor(() => expect(resultIds()).toEqual([1]));
    await key('Enter');
    await waitFor(() => expect(row(chat, 1)?.dataset['highlighted']).toBe('true'));
    expect(screen.getByTestId('chat-view'), 'the same chat view').toBe(chat);
    expect(backend.callsOf('load_messages_around')).toEqual([]);
    expect(within(chat).queryByTestId('jump-to-latest')).toBeNull();
  });

  test('a hit no longer stored opens its chat at the newest messages', async () => {
    const backend = backendWith(lunchChats());
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-search'));
    await type('noon');
    await waitFor(() => expect(resultIds()).toEqual([1]));
    backend.messages = backend.messages.filter((m) => m.id !== 1);
    await key('Enter');
    const chat = await screen.findByTestId('chat-view');
    await waitFor(() => expect(row(chat, 3)).toBeDefined());
    expect(within(chat).queryByTestId('jump-to-latest')).toBeNull();
    expect(await screen.findByTestId('problem-banner')).toBeTruthy();
  });
});
