// "New chat": a conversation with any Jabber ID, contact or not.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, account, contact, conversation } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const WORK = account(2, 'al@work.example');

function backendWith(accounts = [ALICE]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = accounts;
  backend.contacts = [contact('bob@example.org', { name: 'Bob' })];
  backend.conversations = [conversation('bob@example.org')];
  return backend;
}

async function openDialog(): Promise<HTMLDialogElement> {
  await fireEvent.click(await screen.findByTestId('new-chat'));
  const dialog = screen.getByTestId<HTMLDialogElement>('new-chat-dialog');
  expect(dialog.open).toBe(true);
  return dialog;
}

async function start(dialog: HTMLDialogElement, jid: string): Promise<void> {
  await fireEvent.input(within(dialog).getByTestId('new-chat-jid'), { target: { value: jid } });
  await fireEvent.click(within(dialog).getByTestId('new-chat-start'));
}

describe('new chat', () => {
  test.each(['', 'two words@example.org', 'a@b@c', '@example.org', 'carol@', 'carol@.example.org'])(
    'refuses %j in words, and opens nothing',
    async (jid) => {
      const backend = backendWith();
      renderApp();
      const dialog = await openDialog();
      await start(dialog, jid);
      const error = within(dialog).getByTestId('new-chat-error');
      expect(error.textContent?.length).toBeGreaterThan(10);
      expect(within(dialog).getByTestId('new-chat-jid').getAttribute('aria-invalid')).toBe('true');
      expect(dialog.open).toBe(true);
      expect(screen.queryByTestId('chat-view')).toBeNull();
      expect(backend.callsOf('load_messages')).toEqual([]);
    },
  );

  test('opens an empty chat with the bare JID of someone not a contact; sending goes there', async () => {
    const backend = backendWith();
    renderApp();
    const dialog = await openDialog();
    await start(dialog, ' xmpp:Carol@Example.org/phone ');

    expect(dialog.open).toBe(false);
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe('carol@example.org');
    expect(within(chat).getByRole('heading', { level: 2 }).textContent).toBe('carol@example.org');
    await waitFor(() => expect(within(chat).getByText('No messages yet. Say hello!')).toBeTruthy());
    expect(backend.callsOf('set_active_conversation').at(-1)).toEqual({
      accountId: ALICE.id,
      peer: 'carol@example.org',
    });
    expect(
      screen.queryByTestId('conversation-carol@example.org'),
      'listed once a message is exchanged',
    ).toBeNull();

    const composer = within(chat).getByTestId('composer');
    await fireEvent.input(composer, { target: { value: 'hi Carol' } });
    await fireEvent.keyDown(composer, { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('send_message')).toEqual([
        { accountId: ALICE.id, to: 'carol@example.org', body: 'hi Carol', replyTo: null },
      ]),
    );

    // Opened again, the dialog starts empty.
    const again = await openDialog();
    expect(within(again).getByTestId<HTMLInputElement>('new-chat-jid').value).toBe('');
    expect(within(again).queryByTestId('new-chat-error')).toBeNull();
  });

  test('a bare server (a service) is a valid address', async () => {
    backendWith();
    renderApp();
    await start(await openDialog(), 'gateway.example.org');
    expect((await screen.findByTestId('chat-view')).dataset['peer']).toBe('gateway.example.org');
  });

  test('with several accounts, the chat is on the account picked', async () => {
    const backend = backendWith([ALICE, WORK]);
    renderApp();
    const dialog = await openDialog();
    const select = within(dialog).getByTestId<HTMLSelectElement>('new-chat-account');
    expect(select.value).toBe(String(ALICE.id));
    await fireEvent.change(select, { target: { value: String(WORK.id) } });
    await start(dialog, 'dave@work.example');

    await screen.findByTestId('chat-view');
    expect(backend.callsOf('set_active_conversation').at(-1)).toEqual({
      accountId: WORK.id,
      peer: 'dave@work.example',
    });
  });

  test('with one account, no account to pick', async () => {
    backendWith();
    renderApp();
    const dialog = await openDialog();
    expect(within(dialog).queryByTestId('new-chat-account')).toBeNull();
  });
});
