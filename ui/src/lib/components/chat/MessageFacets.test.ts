// What a message row shows beyond its text: "edited" with the older texts, deleted messages,
// reply quotes, reactions, the actions bar (delete, moderate, react with the emoji picker),
// message styling and /me.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { MessageView, RoomView } from '../../ipc';
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
const DEV = 'dev@conference.example.org';
const XSS = '<img src=x onerror=alert(1)>';

function backendWith(messages: MessageView[], rooms: RoomView[] = []): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = messages;
  backend.rooms = rooms;
  return backend;
}

async function openChat(testId: string, count: number): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(testId));
  const chat = await screen.findByTestId('chat-view');
  await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(count));
  return chat;
}

const openBob = (count: number): Promise<HTMLElement> => openChat(`contact-${BOB}`, count);
const openDev = (count: number): Promise<HTMLElement> => openChat(`room-${DEV}`, count);

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .queryAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

/** The dev room, joined as alice (a moderator when `moderator`), with bob and carol in it. */
function devRoom(moderator: boolean): RoomView {
  return room(DEV, {
    state: roomState({
      occupants: [
        occupant('alice', { role: moderator ? 'moderator' : 'participant' }),
        occupant('bob'),
        occupant('carol'),
      ],
    }),
  });
}

describe('edited messages', () => {
  test('say "edited"; its tooltip and a click show the older texts, as text', async () => {
    const backend = backendWith([message(1, { edited: true, body: 'the new text' }), message(2)]);
    backend.edits.set(1, [
      { body: 'first try', at: Date.UTC(2026, 10, 20, 12, 1) },
      { body: XSS, at: Date.UTC(2026, 10, 20, 12, 2) },
    ]);
    renderApp();
    const chat = await openBob(2);

    expect(row(chat, 1).dataset['edited']).toBe('true');
    expect(row(chat, 2).dataset['edited']).toBe('false');
    expect(within(row(chat, 2)).queryByTestId('message-edited')).toBeNull();

    const mark = within(row(chat, 1)).getByTestId('message-edited');
    expect(mark.textContent?.trim()).toBe('edited');
    expect(backend.callsOf('message_edits'), 'asked for on demand only').toEqual([]);
    await fireEvent.pointerEnter(mark);
    await waitFor(() => expect(mark.getAttribute('title')).toContain('first try'));
    expect(mark.getAttribute('title')).toContain(XSS);
    expect(backend.callsOf('message_edits')).toEqual([{ accountId: ALICE.id, id: 1 }]);

    await fireEvent.click(mark);
    expect(mark.getAttribute('aria-expanded')).toBe('true');
    const history = await within(row(chat, 1)).findByTestId('message-edits');
    await waitFor(() => expect(within(history).getAllByTestId('message-edit')).toHaveLength(2));
    expect(history.textContent).toContain('first try');
    expect(history.textContent).toContain(XSS);
    expect(document.querySelector('img')).toBeNull();
    expect(backend.callsOf('message_edits'), 'the texts were kept').toHaveLength(1);

    await fireEvent.click(mark);
    expect(within(row(chat, 1)).queryByTestId('message-edits')).toBeNull();
  });

  test('a correction arriving as an event updates the row', async () => {
    const backend = backendWith([message(1, { body: 'helo' })]);
    renderApp();
    const chat = await openBob(1);
    await backend.emit('linnet://messages', {
      account_id: ALICE.id,
      peer: BOB,
      messages: [message(1, { body: 'hello', edited: true })],
    });
    await waitFor(() => expect(row(chat, 1).dataset['edited']).toBe('true'));
    expect(row(chat, 1).querySelector('.body')?.textContent).toBe('hello');
  });
});

describe('deleted messages', () => {
  test('say so instead of their body, without actions nor reactions', async () => {
    backendWith([
      message(1, {
        retracted: true,
        body: '',
        reactions: [{ emoji: '👍', count: 1, senders: [BOB], ours: false }],
      }),
      message(2),
    ]);
    renderApp();
    const chat = await openBob(2);
    const deleted = row(chat, 1);
    expect(deleted.dataset['retracted']).toBe('true');
    expect(row(chat, 2).dataset['retracted']).toBe('false');
    expect(within(deleted).getByTestId('message-retracted').textContent).toBe('This message was deleted');
    expect(deleted.querySelector('.body')).toBeNull();
    expect(within(deleted).queryByTestId('message-actions')).toBeNull();
    expect(within(deleted).queryByTestId('reactions')).toBeNull();
    expect(within(row(chat, 2)).queryByTestId('message-retracted')).toBeNull();
  });

  test('a moderated one says by whom and why (remote text, as text)', async () => {
    backendWith(
      [
        groupMessage(1, DEV, 'bob', { retracted: true, body: '', moderated_by: 'mod', retract_reason: XSS }),
        groupMessage(2, DEV, 'bob', { retracted: true, body: '', moderated_by: null, retract_reason: 'spam' }),
      ],
      [devRoom(false)],
    );
    renderApp();
    const chat = await openDev(2);
    expect(within(row(chat, 1)).getByTestId('message-retracted').textContent).toBe(
      `This message was deleted by mod: ${XSS}`,
    );
    expect(within(row(chat, 2)).getByTestId('message-retracted').textContent).toBe(
      'This message was deleted: spam',
    );
    expect(document.querySelector('img')).toBeNull();
  });

  test('our own: Delete asks first, then retract_message; the row follows the event', async () => {
    const backend = backendWith([message(1), message(2, { outgoing: true, state: 'delivered', body: 'oops' })]);
    renderApp();
    const chat = await openBob(2);
    expect(within(row(chat, 1)).queryByTestId('action-retract'), 'not theirs').toBeNull();

    await fireEvent.click(within(row(chat, 2)).getByTestId('action-retract'));
    const dialog = screen.getByTestId<HTMLDialogElement>('retract-dialog');
    expect(dialog.open).toBe(true);
    expect(dialog.textContent).toContain('oops');
    expect(within(dialog).queryByTestId('moderate-reason')).toBeNull();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(dialog.open).toBe(false);
    expect(backend.callsOf('retract_message')).toEqual([]);

    await fireEvent.click(within(row(chat, 2)).getByTestId('action-retract'));
    await fireEvent.click(within(dialog).getByTestId('confirm-retract'));
    await waitFor(() => expect(backend.callsOf('retract_message')).toEqual([{ accountId: ALICE.id, id: 2 }]));
    await waitFor(() => expect(row(chat, 2).dataset['retracted']).toBe('true'));
    await waitFor(() => expect(dialog.open).toBe(false));
  });

  test('a refused deletion says why in the dialog', async () => {
    const backend = backendWith([message(1, { outgoing: true, state: 'sent' })]);
    backend.on('retract_message', () => {
      throw { code: 'not_connected', message: 'account is offline' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-retract'));
    await fireEvent.click(screen.getByTestId('confirm-retract'));
    expect((await screen.findByTestId('retract-error')).textContent).toContain('account is offline');
    expect(screen.getByTestId<HTMLDialogElement>('retract-dialog').open).toBe(true);
    expect(row(chat, 1).dataset['retracted']).toBe('false');
  });

  test("a room's moderator may delete others' messages, with a reason", async () => {
    const backend = backendWith(
      [groupMessage(1, DEV, 'bob', { body: 'spam spam' }), groupMessage(2, DEV, null, { outgoing: true })],
      [devRoom(true)],
    );
    renderApp();
    const chat = await openDev(2);
    expect(within(row(chat, 2)).queryByTestId('action-moderate'), 'ours: plain Delete').toBeNull();
    expect(within(row(chat, 2)).getByTestId('action-retract')).toBeTruthy();
    expect(within(row(chat, 1)).queryByTestId('action-retract')).toBeNull();

    await fireEvent.click(within(row(chat, 1)).getByTestId('action-moderate'));
    const dialog = screen.getByTestId<HTMLDialogElement>('retract-dialog');
    expect(dialog.dataset['mode']).toBe('moderate');
    await fireEvent.input(within(dialog).getByTestId('moderate-reason'), { target: { value: ' spam ' } });
    await fireEvent.click(within(dialog).getByTestId('confirm-retract'));
    await waitFor(() =>
      expect(backend.callsOf('moderate_message')).toEqual([{ accountId: ALICE.id, id: 1, reason: 'spam' }]),
    );
    await waitFor(() =>
      expect(within(row(chat, 1)).getByTestId('message-retracted').textContent).toBe(
        'This message was deleted by alice: spam',
      ),
    );
  });

  test('no reason is null; participants and one-to-one chats have no moderation', async () => {
    const backend = backendWith([groupMessage(1, DEV, 'bob')], [devRoom(true)]);
    renderApp();
    let chat = await openDev(1);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-moderate'));
    await fireEvent.click(screen.getByTestId('confirm-retract'));
    await waitFor(() =>
      expect(backend.callsOf('moderate_message')).toEqual([{ accountId: ALICE.id, id: 1, reason: null }]),
    );

    backend.rooms = [devRoom(false)];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() => expect(within(row(chat, 1)).queryByTestId('action-moderate')).toBeNull());

    backend.messages.push(message(5));
    chat = await openBob(1);
    expect(within(row(chat, 5)).queryByTestId('action-moderate')).toBeNull();
  });
});

describe('replies', () => {
  test('quote what they answer, as text; a click shows and highlights the original', async () => {
    backendWith([
      message(1, { body: 'lunch?' }),
      message(2, { outgoing: true, state: 'sent', reply_to: { id: 1, sender: BOB, quote: 'lunch?' } }),
      message(3, { reply_to: { id: 2, sender: ALICE.jid, quote: XSS } }),
      message(4, { reply_to: { id: null, sender: 'carol@example.org', quote: null } }),
    ]);
    renderApp();
    const chat = await openBob(4);
    const quote = within(row(chat, 2)).getByTestId('reply-quote');
    expect(quote.dataset['replyTo']).toBe('1');
    expect(quote.textContent).toContain('Bob');
    expect(quote.textContent).toContain('lunch?');
    const ours = within(row(chat, 3)).getByTestId('reply-quote');
    expect(ours.textContent).toContain('You');
    expect(ours.textContent).toContain(XSS);
    expect(document.querySelector('img')).toBeNull();
    const unknown = within(row(chat, 4)).getByTestId('reply-quote');
    expect(unknown.dataset['replyTo']).toBe('');
    expect(unknown.textContent).toContain('carol@example.org');

    await fireEvent.click(quote);
    expect(row(chat, 1).classList.contains('highlighted')).toBe(true);
    await fireEvent.click(unknown);
    expect(within(chat).getAllByTestId('message').filter((r) => r.classList.contains('highlighted'))).toHaveLength(1);
  });

  test('a click scrolls a long chat back to the original', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => message(i + 1));
    messages.push(message(201, { reply_to: { id: 3, sender: BOB, quote: 'message 3' } }));
    backendWith(messages);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
    const chat = await screen.findByTestId('chat-view');
    await waitFor(() => expect(() => row(chat, 201)).not.toThrow());
    expect(() => row(chat, 3), 'far above').toThrow();

    await fireEvent.click(within(row(chat, 201)).getByTestId('reply-quote'));
    await waitFor(() => expect(row(chat, 3).classList.contains('highlighted')).toBe(true));
  });
});

describe('reactions', () => {
  const reactions = [
    { emoji: '👍', count: 2, senders: [BOB, ALICE.jid], ours: true },
    { emoji: '🎉', count: 1, senders: [BOB], ours: false },
  ];

  test('show each emoji with its count and who; ours highlighted; a click toggles ours', async () => {
    const backend = backendWith([message(1, { reactions })]);
    renderApp();
    const chat = await openBob(1);
    const list = within(row(chat, 1)).getByTestId('reactions');
    const [thumbs, party] = within(list).getAllByTestId('reaction');
    expect(thumbs?.parentElement).toBe(list);
    expect(thumbs?.dataset).toMatchObject({ emoji: '👍', count: '2', ours: 'true' });
    expect(party?.dataset).toMatchObject({ emoji: '🎉', count: '1', ours: 'false' });
    expect(thumbs?.getAttribute('title')).toBe('Bob and You reacted with 👍');
    expect(thumbs?.getAttribute('aria-pressed')).toBe('true');
    expect(thumbs?.textContent).toContain('2');

    await fireEvent.click(party!);
    await waitFor(() =>
      expect(backend.callsOf('react_to_message')).toEqual([{ accountId: ALICE.id, id: 1, emojis: ['👍', '🎉'] }]),
    );
    await waitFor(() =>
      expect(within(row(chat, 1)).getAllByTestId('reaction')[1]?.dataset).toMatchObject({
        emoji: '🎉',
        count: '2',
        ours: 'true',
      }),
    );

    await fireEvent.click(within(row(chat, 1)).getAllByTestId('reaction')[0]!);
    await waitFor(() =>
      expect(backend.callsOf('react_to_message')[1]).toEqual({ accountId: ALICE.id, id: 1, emojis: ['🎉'] }),
    );
    await waitFor(() =>
      expect(within(row(chat, 1)).getAllByTestId('reaction')[0]?.dataset).toMatchObject({ count: '1', ours: 'false' }),
    );
  });

  test('a message without reactions has no reactions row; a refusal shows in the banner', async () => {
    const backend = backendWith([message(1), message(2, { reactions })]);
    backend.on('react_to_message', () => {
      throw { code: 'not_connected', message: 'account is offline' };
    });
    renderApp();
    const chat = await openBob(2);
    expect(within(row(chat, 1)).queryByTestId('reactions')).toBeNull();
    await fireEvent.click(within(row(chat, 2)).getAllByTestId('reaction')[1]!);
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('account is offline');
  });

  test('React opens the emoji picker: frequent ones first, a search; the pick is added to ours', async () => {
    const backend = backendWith([message(1, { reactions })]);
    renderApp();
    const chat = await openBob(1);
    const react = within(row(chat, 1)).getByTestId('action-react');
    await fireEvent.click(react);
    const picker = screen.getByTestId<HTMLDialogElement>('emoji-picker');
    expect(picker.open).toBe(true);
    const search = within(picker).getByTestId('emoji-search');
    expect(document.activeElement).toBe(search);
    // Frequently used, then (once loaded) the first group.
    expect(within(picker).getAllByTestId('emoji')[0]?.dataset['emoji']).toBe('👍');
    await waitFor(() => expect(within(picker).getAllByTestId('emoji').length).toBeGreaterThan(100));

    await fireEvent.input(search, { target: { value: 'rocket' } });
    const first = within(picker).getAllByTestId('emoji')[0];
    expect(first?.dataset['emoji']).toBe('🚀');
    expect(first?.getAttribute('aria-label')).toBe('rocket');
    await fireEvent.keyDown(search, { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('react_to_message')).toEqual([
        { accountId: ALICE.id, id: 1, emojis: ['👍', '🚀'] },
      ]),
    );
    expect(picker.open).toBe(false);
    expect(document.activeElement, 'the focus goes back to React').toBe(react);

    // Used once: now the first of the frequently used.
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-react'));
    expect(within(picker).getAllByTestId('emoji')[0]?.dataset['emoji']).toBe('🚀');
    // One of ours already: nothing to send.
    await fireEvent.click(within(picker).getAllByTestId('emoji').find((b) => b.dataset['emoji'] === '👍')!);
    expect(picker.open).toBe(false);
    expect(backend.callsOf('react_to_message')).toHaveLength(1);
  });

  test('the picker closes with Escape; a search with no match says so', async () => {
    backendWith([message(1)]);
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(row(chat, 1)).getByTestId('action-react'));
    const picker = screen.getByTestId<HTMLDialogElement>('emoji-picker');
    await waitFor(() => expect(within(picker).getAllByTestId('emoji').length).toBeGreaterThan(100));
    await fireEvent.input(within(picker).getByTestId('emoji-search'), { target: { value: 'zzqqxx' } });
    expect(within(picker).queryAllByTestId('emoji')).toEqual([]);
    expect(picker.textContent).toContain('No emoji found');
    await fireEvent.keyDown(within(picker).getByTestId('emoji-search'), { key: 'Escape' });
    expect(picker.open).toBe(false);
  });
});

describe('actions bar', () => {
  test('every message can be answered and reacted to; only ours edited and deleted', async () => {
    backendWith([
      message(1),
      message(2, { outgoing: true, state: 'delivered' }),
      message(3, { outgoing: true, state: 'failed', error: 'x' }),
    ]);
    renderApp();
    const chat = await openBob(3);
    const ids = (id: number): string[] =>
      [...within(row(chat, id)).getByTestId('message-actions').querySelectorAll('button')].map(
        (b) => b.dataset['testid'] ?? '',
      );
    expect(ids(1)).toEqual(['action-reply', 'action-react']);
    expect(ids(2)).toEqual(['action-reply', 'action-react', 'action-edit', 'action-retract']);
    expect(ids(3), 'a failed message is sent again, not corrected').toEqual([
      'action-reply',
      'action-react',
      'action-retract',
    ]);
    const bar = within(row(chat, 1)).getByTestId('message-actions');
    expect(bar.getAttribute('role')).toBe('toolbar');
    expect(await within(bar).findByRole('button', { name: 'Reply' })).toBeTruthy();
  });
});

describe('a room we left', () => {
  test('keeps reactions and deleting, without replying nor editing (no composer)', async () => {
    const backend = backendWith([groupMessage(1, DEV, 'bob'), groupMessage(2, DEV, null, { outgoing: true })]);
    backend.conversations = [conversation(DEV)];
    renderApp();
    const chat = await openChat(`conversation-${DEV}`, 2);
    expect(within(chat).getByTestId('left-room')).toBeTruthy();
    const ids = (id: number): string[] =>
      [...within(row(chat, id)).getByTestId('message-actions').querySelectorAll('button')].map(
        (b) => b.dataset['testid'] ?? '',
      );
    expect(ids(1)).toEqual(['action-react']);
    expect(ids(2)).toEqual(['action-react', 'action-retract']);
  });
});

describe('message styling and /me', () => {
  test('spans and blocks become elements; the characters stay the body', async () => {
    const body = `*bold* and _it_ ~gone~ \`${XSS}\`\n> quoted *too*\n\`\`\`\ncode *not bold*\n\`\`\`\nafter`;
    backendWith([message(1, { body })]);
    renderApp();
    const chat = await openBob(1);
    const el = row(chat, 1).querySelector('.body');
    expect(el?.querySelector('strong')?.textContent).toBe('*bold*');
    expect(el?.querySelector('em')?.textContent).toBe('_it_');
    expect(el?.querySelector('s')?.textContent).toBe('~gone~');
    expect(el?.querySelector('code')?.textContent).toBe(`\`${XSS}\``);
    expect(el?.querySelector('blockquote')?.textContent).toBe('quoted *too*');
    expect(el?.querySelector('blockquote strong')?.textContent).toBe('*too*');
    expect(el?.querySelector('pre')?.textContent).toBe('code *not bold*');
    expect(el?.querySelector('pre strong')).toBeNull();
    expect(document.querySelector('img')).toBeNull();
    const lines = el ? [...el.children].map((c) => c.textContent) : [];
    expect(lines).toEqual([`*bold* and _it_ ~gone~ \`${XSS}\``, 'quoted *too*', 'code *not bold*', 'after']);
    expect(el?.textContent, 'no white space added between blocks').toBe(lines.join(''));
  });

  test('links keep working inside styling', async () => {
    const backend = backendWith([message(1, { body: '_see https://example.org/a_b_' })]);
    renderApp();
    const chat = await openBob(1);
    const link = await within(chat).findByRole('link', { name: 'https://example.org/a_b' });
    expect(link.closest('em')).not.toBeNull();
    await fireEvent.click(link);
    await waitFor(() => expect(backend.callsOf('open_link')).toEqual([{ url: 'https://example.org/a_b' }]));
  });

  test('/me is "* name action" in italics, with the nick in rooms and ours for our own', async () => {
    backendWith(
      [
        message(1, { body: '/me waves' }),
        message(2, { body: '/me *really* waves', outgoing: true, state: 'sent' }),
        message(3, { body: 'not /me waves' }),
        groupMessage(4, DEV, 'carol', { body: '/me hides' }),
        groupMessage(5, DEV, null, { body: '/me seeks', outgoing: true }),
      ],
      [devRoom(false)],
    );
    renderApp();
    let chat = await openBob(3);
    const me = within(row(chat, 1)).getByTestId('message-me');
    expect(me.textContent).toBe('* Bob waves');
    expect(me.classList.contains('me')).toBe(true);
    expect(within(row(chat, 2)).getByTestId('message-me').textContent).toBe('* alice *really* waves');
    expect(row(chat, 2).querySelector('strong')?.textContent).toBe('*really*');
    expect(within(row(chat, 3)).queryByTestId('message-me')).toBeNull();

    chat = await openDev(2);
    expect(within(row(chat, 4)).getByTestId('message-me').textContent).toBe('* carol hides');
    expect(within(row(chat, 5)).getByTestId('message-me').textContent).toBe('* alice seeks');
  });
});
