// Send states of outgoing messages, and sending a failed one again.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { MessageView } from '../../ipc';
import { ALICE, FakeBackend, contact, conversation, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const BOB = 'bob@example.org';

function backendWith(messages: MessageView[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = messages;
  return backend;
}

async function openBob(count: number): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(count));
  return chat;
}

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .getAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

const failed = (id: number, error: string | null): MessageView =>
  message(id, { outgoing: true, state: 'failed', error, body: 'hello?' });

describe('send state of outgoing messages', () => {
  test('each state has an icon and says it in words; incoming messages have none', async () => {
    backendWith([
      message(1, { outgoing: true, state: 'pending' }),
      message(2, { outgoing: true, state: 'sent' }),
      message(3, { outgoing: true, state: 'delivered' }),
      message(4, { outgoing: true, state: 'displayed' }),
      failed(5, 'service-unavailable'),
      message(6),
    ]);
    renderApp();
    const chat = await openBob(6);

    const expected: Array<[number, string, string]> = [
      [1, 'pending', 'Sending…'],
      [2, 'sent', 'Sent'],
      [3, 'delivered', 'Delivered'],
      [4, 'displayed', 'Seen'],
    ];
    for (const [id, state, label] of expected) {
      const r = row(chat, id);
      expect(r.dataset['state']).toBe(state);
      const indicator = within(r).getByTestId('send-state');
      expect(indicator.textContent?.trim(), `message ${id} says "${label}"`).toBe(label);
      expect(indicator.getAttribute('title'), 'the icon has a tooltip').toBe(label);
      expect(indicator.classList.contains(state)).toBe(true);
      const icon = indicator.querySelector('svg');
      expect(icon, 'an icon').not.toBeNull();
      expect(icon?.getAttribute('aria-hidden'), 'the words are what is read out').toBe('true');
      expect(within(r).queryByTestId('retry-message')).toBeNull();
    }

    const failedRow = row(chat, 5);
    expect(failedRow.dataset['state']).toBe('failed');
    expect(within(failedRow).getByTestId('send-state').textContent?.trim()).toBe(
      'Not sent: service-unavailable',
    );

    const incoming = row(chat, 6);
    expect(incoming.dataset['state']).toBe('received');
    expect(within(incoming).queryByTestId('send-state')).toBeNull();
  });

  test('an update moves the indicator along', async () => {
    const backend = backendWith([message(1, { outgoing: true, state: 'sent' })]);
    renderApp();
    const chat = await openBob(1);
    await backend.emit('linnet://messages', {
      account_id: ALICE.id,
      peer: BOB,
      messages: [message(1, { outgoing: true, state: 'displayed' })],
    });
    await waitFor(() => expect(row(chat, 1).dataset['state']).toBe('displayed'));
    expect(within(row(chat, 1)).getByTestId('send-state').textContent?.trim()).toBe('Seen');
  });

  test('a failure without a reason still says "Not sent"', async () => {
    backendWith([failed(1, null)]);
    renderApp();
    const chat = await openBob(1);
    expect(within(row(chat, 1)).getByTestId('send-state').textContent?.trim()).toBe('Not sent');
    expect(within(row(chat, 1)).getByTestId('retry-message')).toBeTruthy();
  });

  test('a reason that looks like HTML is shown as text', async () => {
    backendWith([failed(1, '<img src=x onerror=alert(1)>')]);
    renderApp();
    const chat = await openBob(1);
    expect(within(row(chat, 1)).getByTestId('send-state').textContent).toContain(
      '<img src=x onerror=alert(1)>',
    );
    expect(document.querySelector('img')).toBeNull();
  });
});

describe('retrying a failed message', () => {
  test('Retry is a keyboard-reachable button that sends it again; the row goes back to pending', async () => {
    const backend = backendWith([message(1), failed(2, 'remote-server-timeout')]);
    renderApp();
    const chat = await openBob(2);

    // findByRole: rows are `visibility: hidden` until virtua measured them.
    const retry = await within(row(chat, 2)).findByRole('button', { name: 'Retry' });
    expect(retry.dataset['testid']).toBe('retry-message');
    expect(retry.tabIndex, 'in the tab order').toBe(0);
    const reason = document.getElementById(retry.getAttribute('aria-describedby') ?? '');
    expect(reason?.textContent, 'the button is described by the failure').toContain(
      'remote-server-timeout',
    );

    retry.focus();
    await fireEvent.click(retry);
    await waitFor(() =>
      expect(backend.callsOf('retry_message')).toEqual([{ accountId: ALICE.id, id: 2 }]),
    );
    await waitFor(() => expect(row(chat, 2).dataset['state']).toBe('pending'));
    expect(within(row(chat, 2)).getByTestId('send-state').textContent?.trim()).toBe('Sending…');
    expect(within(row(chat, 2)).queryByTestId('retry-message')).toBeNull();
    expect(screen.queryByTestId('problem-banner')).toBeNull();
    await waitFor(() =>
      expect(document.activeElement, 'the focus stays in the chat, on the list').toBe(
        within(chat).getByRole('list', { name: 'Messages with Bob' }),
      ),
    );
  });

  test('a refused retry is reported in the banner and the message stays failed', async () => {
    const backend = backendWith([failed(1, 'remote-server-timeout')]);
    backend.on('retry_message', () => {
      throw { code: 'not_connected', message: 'account is offline' };
    });
    renderApp();
    const chat = await openBob(1);

    await fireEvent.click(await within(row(chat, 1)).findByRole('button', { name: 'Retry' }));
    const banner = await screen.findByTestId('problem-banner');
    expect(banner.textContent).toContain('account is offline');
    expect(banner.dataset['code']).toBe('not_connected');
    expect(backend.callsOf('retry_message')).toEqual([{ accountId: ALICE.id, id: 1 }]);
    expect(row(chat, 1).dataset['state']).toBe('failed');
    expect(within(row(chat, 1)).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });
});
