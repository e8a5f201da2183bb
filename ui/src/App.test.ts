import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, conversation } from './test/backend';
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
        presence: { show: 'away', status: null },
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
