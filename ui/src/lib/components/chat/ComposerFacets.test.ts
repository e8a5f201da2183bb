// The composer's facets: replying, editing our messages (Edit, Up arrow), our chat states and
// their setting, and who is typing under the list.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { ChatStateEvent, MessageView, RoomView } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  contact,
  conversation,
  groupMessage,
  message,
  occupant,
  room,
  roomState,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const DEV = 'dev@conference.example.org';

function backendWith(messages: MessageView[], rooms: RoomView[] = []): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' }), contact(CAROL, { name: 'Carol' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = messages;
  backend.rooms = rooms;
  return backend;
}

async function openChat(testId: string, count: number): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(testId));
  const chat = await screen.findByTestId('chat-view');
  await waitFor(() => expect(within(chat).queryAllByTestId('message')).toHaveLength(count));
  return chat;
}

const openBob = (count: number): Promise<HTMLElement> => openChat(`contact-${BOB}`, count);

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .queryAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

function composer(chat: HTMLElement): HTMLTextAreaElement {
  return within(chat).getByTestId<HTMLTextAreaElement>('composer');
}

async function type(chat: HTMLElement, value: string): Promise<void> {
  await fireEvent.input(composer(chat), { target: { value } });
}

function chatState(overrides: Partial<ChatStateEvent> = {}): ChatStateEvent {
  return { account_id: ALICE.id, peer: BOB, sender: null, state: 'composing', ...overrides };
}

describe('replying', () => {
  test('Reply shows what is answered; the message sent answers it', async () => {
    const backend = backendWith([message(1, { body: 'lunch at noon?' })]);
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-reply'));
    const banner = within(chat).getByTestId('reply-banner');
    expect(banner.textContent).toContain('Replying to Bob');
    expect(banner.textContent).toContain('lunch at noon?');
    expect(document.activeElement).toBe(composer(chat));

    await type(chat, 'sure');
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('send_message')).toEqual([
        { accountId: ALICE.id, to: BOB, body: 'sure', replyTo: 1 },
      ]),
    );
    await waitFor(() => expect(within(chat).queryByTestId('reply-banner')).toBeNull());
    const sent = within(chat).getAllByTestId('message').at(-1);
    expect(within(sent!).getByTestId('reply-quote').dataset['replyTo']).toBe('1');

    await type(chat, 'and then?');
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() => expect(backend.callsOf('send_message')[1]?.['replyTo']).toBeNull());
  });

  test('Cancel or Escape drops the reply, keeping the text', async () => {
    const backend = backendWith([message(1), message(2)]);
    renderApp();
    const chat = await openBob(2);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-reply'));
    await type(chat, 'hm');
    await fireEvent.click(within(chat).getByTestId('cancel-reply'));
    expect(within(chat).queryByTestId('reply-banner')).toBeNull();
    expect(composer(chat).value).toBe('hm');

    await fireEvent.click(within(row(chat, 2)).getByTestId('action-reply'));
    expect(within(chat).getByTestId('reply-banner').textContent).toContain('message 2');
    await fireEvent.keyDown(composer(chat), { key: 'Escape' });
    expect(within(chat).queryByTestId('reply-banner')).toBeNull();
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() => expect(backend.callsOf('send_message')[0]?.['replyTo']).toBeNull());
  });
});

describe('editing our messages', () => {
  const history = (): MessageView[] => [
    message(1, { outgoing: true, state: 'displayed', body: 'first' }),
    message(2, { outgoing: true, state: 'delivered', body: 'helo wrold' }),
    message(3, { body: 'what?' }),
    message(4, { outgoing: true, state: 'sent', body: '', retracted: true }),
    message(5, { outgoing: true, state: 'failed', body: 'lost', error: 'x' }),
  ];

  test('Up in the empty composer edits our last message; Enter sends the correction', async () => {
    const backend = backendWith(history());
    renderApp();
    const chat = await openBob(5);
    await fireEvent.keyDown(composer(chat), { key: 'ArrowUp' });
    const banner = within(chat).getByTestId('edit-banner');
    expect(banner.textContent).toContain('Editing');
    expect(composer(chat).value, 'not the deleted nor the failed one').toBe('helo wrold');
    expect(within(chat).getByTestId('send-button').textContent?.trim()).toBe('Save');

    await type(chat, 'hello world');
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('correct_message')).toEqual([{ accountId: ALICE.id, id: 2, body: 'hello world' }]),
    );
    expect(backend.callsOf('send_message')).toEqual([]);
    await waitFor(() => expect(within(chat).queryByTestId('edit-banner')).toBeNull());
    expect(composer(chat).value).toBe('');
    await waitFor(() => expect(row(chat, 2).dataset['edited']).toBe('true'));
    expect(row(chat, 2).querySelector('.body')?.textContent).toBe('hello world');
  });

  test('Up with text typed moves the caret as usual', async () => {
    const backend = backendWith(history());
    renderApp();
    const chat = await openBob(5);
    await type(chat, 'draft');
    const moved = await fireEvent.keyDown(composer(chat), { key: 'ArrowUp' });
    expect(moved, 'not prevented').toBe(true);
    expect(within(chat).queryByTestId('edit-banner')).toBeNull();
    expect(backend.callsOf('correct_message')).toEqual([]);
  });

  test('Edit on a message; Escape cancels and brings the draft back', async () => {
    const backend = backendWith(history());
    renderApp();
    const chat = await openBob(5);
    expect(within(row(chat, 3)).queryByTestId('action-edit'), 'not ours').toBeNull();
    await type(chat, 'my draft');
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-edit'));
    expect(composer(chat).value).toBe('first');
    await fireEvent.keyDown(composer(chat), { key: 'Escape' });
    expect(within(chat).queryByTestId('edit-banner')).toBeNull();
    expect(composer(chat).value).toBe('my draft');

    await fireEvent.click(within(row(chat, 1)).getByTestId('action-edit'));
    await fireEvent.click(within(chat).getByTestId('cancel-edit'));
    expect(composer(chat).value).toBe('my draft');
    expect(backend.callsOf('correct_message')).toEqual([]);
  });

  test('an unchanged text sends nothing; a refused correction keeps the edit open', async () => {
    const backend = backendWith(history());
    renderApp();
    const chat = await openBob(5);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-edit'));
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() => expect(within(chat).queryByTestId('edit-banner')).toBeNull());
    expect(backend.callsOf('correct_message')).toEqual([]);

    backend.on('correct_message', () => {
      throw { code: 'not_connected', message: 'account is offline' };
    });
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-edit'));
    await type(chat, 'first!');
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    expect((await within(chat).findByTestId('send-error')).textContent).toContain('account is offline');
    expect(within(chat).getByTestId('edit-banner')).toBeTruthy();
    expect(composer(chat).value).toBe('first!');
  });

  test('replying and editing exclude each other', async () => {
    backendWith(history());
    renderApp();
    const chat = await openBob(5);
    await fireEvent.click(within(row(chat, 3)).getByTestId('action-reply'));
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-edit'));
    expect(within(chat).queryByTestId('reply-banner')).toBeNull();
    expect(within(chat).getByTestId('edit-banner')).toBeTruthy();
    await fireEvent.click(within(row(chat, 3)).getByTestId('action-reply'));
    expect(within(chat).queryByTestId('edit-banner')).toBeNull();
    expect(within(chat).getByTestId('reply-banner')).toBeTruthy();
  });
});

describe('our chat states', () => {
  const states = (backend: FakeBackend): unknown[] =>
    backend.callsOf('send_chat_state').map((a) => [a['peer'], a['state']]);

  test('composing once while typing, active when sent or emptied, inactive on leaving', async () => {
    const backend = backendWith([message(1)]);
    renderApp();
    const chat = await openBob(1);
    await type(chat, 'h');
    await type(chat, 'he');
    await type(chat, 'hey');
    expect(states(backend)).toEqual([[BOB, 'composing']]);
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() => expect(states(backend)).toEqual([[BOB, 'composing'], [BOB, 'active']]));

    await type(chat, 'x');
    await type(chat, '');
    expect(states(backend).slice(2)).toEqual([
      [BOB, 'composing'],
      [BOB, 'active'],
    ]);

    await fireEvent.blur(window);
    await fireEvent.blur(window);
    await fireEvent.focus(window);
    expect(states(backend).slice(4)).toEqual([
      [BOB, 'inactive'],
      [BOB, 'active'],
    ]);

    await fireEvent.click(screen.getByTestId(`contact-${CAROL}`));
    await waitFor(() => expect(states(backend).at(-1)).toEqual([BOB, 'inactive']));
    expect(backend.callsOf('send_chat_state')[0]).toEqual({ accountId: ALICE.id, peer: BOB, state: 'composing' });
  });

  test('nothing before typing; a refused one is not reported', async () => {
    const backend = backendWith([message(1)]);
    backend.on('send_chat_state', () => {
      throw { code: 'not_connected', message: 'offline' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.blur(window);
    expect(backend.callsOf('send_chat_state')).toEqual([]);
    await type(chat, 'hi');
    await waitFor(() => expect(backend.callsOf('send_chat_state')).toHaveLength(1));
    expect(screen.queryByTestId('problem-banner')).toBeNull();
  });

  test('the setting turns them off, and is remembered', async () => {
    const backend = backendWith([message(1)]);
    const { unmount } = renderApp();
    await fireEvent.click(await screen.findByTestId('open-settings'));
    const dialog = screen.getByTestId<HTMLDialogElement>('settings-dialog');
    expect(dialog.open).toBe(true);
    const toggle = within(dialog).getByTestId<HTMLInputElement>('setting-send-chat-states');
    expect(toggle.checked).toBe(true);
    await fireEvent.click(toggle);
    expect(toggle.checked).toBe(false);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));

    const chat = await openBob(1);
    await type(chat, 'secret typing');
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    await waitFor(() => expect(backend.callsOf('send_message')).toHaveLength(1));
    expect(backend.callsOf('send_chat_state')).toEqual([]);

    unmount();
    renderApp();
    await fireEvent.click(await screen.findByTestId('open-settings'));
    expect(screen.getByTestId<HTMLInputElement>('setting-send-chat-states').checked).toBe(false);
  });
});

describe('who is typing', () => {
  test('"Bob is typing…" under the list until he pauses, or his message arrives', async () => {
    const backend = backendWith([message(1)]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).queryByTestId('typing')).toBeNull();

    await backend.emit('linnet://chat-state', chatState());
    expect((await within(chat).findByTestId('typing')).textContent).toBe('Bob is typing…');
    await backend.emit('linnet://chat-state', chatState({ state: 'paused' }));
    await waitFor(() => expect(within(chat).queryByTestId('typing')).toBeNull());

    await backend.emit('linnet://chat-state', chatState());
    await within(chat).findByTestId('typing');
    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [message(2)] });
    await waitFor(() => expect(within(chat).queryByTestId('typing')).toBeNull());

    await backend.emit('linnet://chat-state', chatState({ peer: CAROL }));
    await backend.emit('linnet://chat-state', chatState({ account_id: 2 }));
    expect(within(chat).queryByTestId('typing'), 'other conversations').toBeNull();
  });

  test('in a room: by nick, two names, then several people', async () => {
    const dev = room(DEV, { state: roomState({ occupants: [occupant('alice'), occupant('bob')] }) });
    const backend = backendWith([groupMessage(1, DEV, 'bob')], [dev]);
    renderApp();
    const chat = await openChat(`room-${DEV}`, 1);
    const sender = (nick: string, state: ChatStateEvent['state'] = 'composing'): Promise<void> =>
      backend.emit('linnet://chat-state', chatState({ peer: DEV, sender: nick, state }));

    await sender('dave');
    expect((await within(chat).findByTestId('typing')).textContent).toBe('dave is typing…');
    await sender('bob');
    await waitFor(() => expect(within(chat).getByTestId('typing').textContent).toBe('bob and dave are typing…'));
    await sender('carol');
    await waitFor(() =>
      expect(within(chat).getByTestId('typing').textContent).toBe('several people are typing…'),
    );
    await backend.emit('linnet://messages', {
      account_id: ALICE.id,
      peer: DEV,
      messages: [groupMessage(2, DEV, 'carol')],
    });
    await sender('dave', 'inactive');
    await waitFor(() => expect(within(chat).getByTestId('typing').textContent).toBe('bob is typing…'));
  });
});
