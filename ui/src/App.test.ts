import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, account, conversation } from './test/backend';
import { renderApp } from './test/render';

describe('window title', () => {
  test('is "Linnet" with nothing unread', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.conversations = [conversation('bob@example.org')];
    renderApp();
    await screen.findByTestId('conversation-list');
    await waitFor(() => expect(document.title).toBe('Linnet'));
  });

  test('counts unread messages over all conversations and follows invalidations', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.conversations = [
      conversation('bob@example.org', { unread: 2 }),
      conversation('carol@example.org', { unread: 1 }),
    ];
    renderApp();
    await waitFor(() => expect(document.title).toBe('(3) Linnet'));

    backend.conversations = [conversation('bob@example.org', { unread: 0 })];
    await backend.emit('linnet://conversations', {});
    await waitFor(() => expect(document.title, 'title follows the reloaded list').toBe('Linnet'));
  });
});

describe('main screen', () => {
  test('lists conversations by last activity with unread badges', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.conversations = [
      conversation('old@example.org', { last_at: 1_000 }),
      conversation('new@example.org', { last_at: 2_000, unread: 4 }),
    ];
    renderApp();
    const list = await screen.findByTestId('conversation-list');
    await waitFor(() => expect(list.querySelectorAll('button.item')).toHaveLength(2));
    const order = [...list.querySelectorAll<HTMLElement>('button.item')].map((b) => b.dataset['testid']);
    expect(order).toEqual(['conversation-new@example.org', 'conversation-old@example.org']);
    expect(screen.getByTestId('unread-badge').textContent?.trim()).toBe('4');
  });

  test('a muted conversation is marked in the list and still counts unread messages', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.conversations = [
      conversation('quiet@example.org', { muted: true, unread: 2 }),
      conversation('loud@example.org'),
    ];
    renderApp();
    const quiet = await screen.findByTestId('conversation-quiet@example.org');
    expect(within(quiet).getByRole('img', { name: 'Notifications muted' })).toBeTruthy();
    expect(within(quiet).getByTestId('unread-badge').textContent?.trim()).toBe('2');
    const loud = screen.getByTestId('conversation-loud@example.org');
    expect(within(loud).queryByTestId('muted-indicator')).toBeNull();
  });

  test('clicking a desktop notification opens its chat', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.conversations = [conversation('bob@example.org', { unread: 1 })];
    renderApp();
    await screen.findByTestId('conversation-list');
    expect(screen.queryByTestId('chat-view')).toBeNull();

    await backend.emit('linnet://open-conversation', { account_id: ALICE.id, peer: 'bob@example.org' });
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe('bob@example.org');
    await waitFor(() =>
      expect(backend.callsOf('set_active_conversation')).toEqual([
        { accountId: ALICE.id, peer: 'bob@example.org' },
      ]),
    );
    expect(backend.callsOf('mark_read')).toEqual([{ accountId: ALICE.id, peer: 'bob@example.org' }]);
  });

  test('an accounts invalidation reloads the account list', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    renderApp();
    await screen.findByTestId(`account-${ALICE.id}`);
    backend.accounts = [ALICE, account(2, 'alice@work.example')];
    await backend.emit('linnet://accounts', {});
    expect(await screen.findByTestId('account-2')).toBeTruthy();
  });

  test('account state events update the account list', async () => {
    const backend = new FakeBackend();
    backend.accounts = [{ ...ALICE, state: { kind: 'connecting' } }];
    renderApp();
    const state = await screen.findByTestId('connection-state');
    expect(state.dataset['state']).toBe('connecting');

    await backend.emit('linnet://account-state', {
      account_id: ALICE.id,
      state: { kind: 'reconnecting', attempt: 2, retry_in_secs: 8 },
    });
    await waitFor(() => expect(screen.getByTestId('connection-state').dataset['state']).toBe('reconnecting'));
    expect(screen.getByTestId('connection-state').textContent).toContain('8 s (attempt 2)');
  });

  test('a roster invalidation reloads the contacts of that account', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    renderApp();
    await screen.findByTestId('contact-list');
    backend.contacts = [
      {
        account_id: ALICE.id,
        jid: 'dave@example.org',
        name: null,
        groups: [],
        subscription: 'both',
        ask: false,
        presence: { show: 'away', status: null, priority: 0, error: null },
        avatar: null,
        nick: null,
      },
    ];
    await backend.emit('linnet://roster', { account_id: ALICE.id });
    expect(await screen.findByTestId('contact-dave@example.org')).toBeTruthy();
  });
});

describe('start-up', () => {
  test('a failed first load says so and can be retried', async () => {
    const backend = new FakeBackend();
    backend.on('list_accounts', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const retry = await screen.findByTestId('retry-load');
    expect(screen.getByTestId('problem-banner').textContent).toContain('database is locked');

    backend.overrides.delete('list_accounts');
    backend.accounts = [ALICE];
    await fireEvent.click(retry);
    expect(await screen.findByTestId('account-list')).toBeTruthy();
    expect(screen.queryByTestId('problem-banner'), 'a successful retry clears the problem').toBeNull();
  });
});
