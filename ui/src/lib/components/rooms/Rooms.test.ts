import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AccountView, RoomView } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  account,
  conversation,
  groupMessage,
  occupant,
  room,
  roomState,
  systemLine,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const DEV = 'dev@conference.example.org';
const OPS = 'ops@conference.example.org';
const WORK: AccountView = account(2, 'al@work.example');
const XSS = '<img src=x onerror=alert(1)>';
const TAKEN = 'That nickname is already taken in this room. Join with another one.';
const NEEDS_PASSWORD = 'This room needs a password.';

function backendWithAlice(rooms: RoomView[] = []): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.rooms = rooms;
  return backend;
}

/** The dev room, joined as alice, with an owner, a member and a visitor. */
function devRoom(): RoomView {
  return room(DEV, {
    state: roomState({
      subject: 'Release on Friday',
      occupants: [
        occupant('zed', { role: 'visitor', show: 'away' }),
        occupant('alice', { affiliation: 'member' }),
        occupant('bob', { role: 'moderator', affiliation: 'owner', jid: 'bob@example.org' }),
        occupant('carol'),
      ],
    }),
  });
}

async function openJoinDialog(): Promise<HTMLDialogElement> {
  await fireEvent.click(await screen.findByTestId('join-room'));
  const dialog = screen.getByTestId<HTMLDialogElement>('join-room-dialog');
  expect(dialog.open).toBe(true);
  return dialog;
}

async function openRoom(jid: string): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`room-${jid}`));
  return screen.findByTestId('chat-view');
}

describe('room list', () => {
  test('lists the rooms from list_rooms by name, with subject or state', async () => {
    const backend = backendWithAlice([
      room(OPS, { state: roomState({ joined: false, nick: '' }) }),
      devRoom(),
    ]);
    renderApp();
    const list = await screen.findByTestId('room-list');
    await waitFor(() => expect(within(list).getAllByRole('button')).toHaveLength(2));
    expect(backend.callsOf('list_rooms')).toEqual([{}]);

    const rows = within(list).getAllByRole('button').map((b) => b.dataset['testid']);
    expect(rows, 'sorted by name').toEqual([`room-${DEV}`, `room-${OPS}`]);
    const dev = screen.getByTestId(`room-${DEV}`);
    expect(dev.querySelector('.name')?.textContent).toBe('dev');
    expect(dev.dataset['joined']).toBe('true');
    expect(within(dev).getByTestId('room-status').textContent).toBe('Release on Friday');
    expect(within(dev).getByRole('img', { name: 'Joined' })).toBeTruthy();
    const ops = screen.getByTestId(`room-${OPS}`);
    expect(ops.dataset['joined']).toBe('false');
    expect(within(ops).getByTestId('room-status').textContent).toBe('Joining…');
    expect(within(ops).getByRole('img', { name: 'Joining…' })).toBeTruthy();
    expect(screen.queryByTestId('account-label'), 'one account: not named').toBeNull();
  });

  test('names the account when there are several, and a room of an offline one waits', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE, { ...WORK, state: { kind: 'offline' } }];
    backend.rooms = [
      devRoom(),
      room(OPS, { account_id: WORK.id, state: roomState({ joined: false, nick: '' }) }),
    ];
    renderApp();
    const ops = await screen.findByTestId(`room-${OPS}`);
    expect(within(ops).getByTestId('account-label').textContent).toBe(WORK.jid);
    expect(within(ops).getByTestId('room-status').textContent).toContain('Not joined');
    const dev = screen.getByTestId(`room-${DEV}`);
    expect(within(dev).getByTestId('account-label').textContent).toBe(ALICE.jid);
  });

  test('shows a subject that looks like HTML as text', async () => {
    backendWithAlice([room(DEV, { state: roomState({ subject: XSS }) })]);
    renderApp();
    const dev = await screen.findByTestId(`room-${DEV}`);
    expect(within(dev).getByTestId('room-status').textContent).toBe(XSS);
    expect(document.querySelector('img')).toBeNull();
  });

  test('a room event reloads the list: a refusal shows in words with a way back in', async () => {
    const backend = backendWithAlice([room(DEV, { state: roomState({ joined: false }) })]);
    renderApp();
    await screen.findByTestId(`room-${DEV}`);

    backend.rooms = [room(DEV, { state: roomState({ joined: false, error: TAKEN, error_code: 'nickname_taken' }) })];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    const error = await screen.findByTestId('room-error');
    expect(error.textContent).toBe(TAKEN);
    const row = screen.getByTestId(`room-${DEV}`);
    expect(row.dataset['phase']).toBe('error');
    expect(row.getAttribute('aria-describedby'), 'the row is described by the error').toBe(error.id);
    const rejoin = screen.getByTestId(`rejoin-room-${DEV}`);
    expect(rejoin.textContent?.trim()).toBe('Join again');

    // Join again with another nickname: address and another nickname offered.
    await fireEvent.click(rejoin);
    const dialog = screen.getByTestId<HTMLDialogElement>(`rejoin-room-${DEV}-dialog`);
    expect(dialog.open).toBe(true);
    const address = within(dialog).getByTestId<HTMLInputElement>('join-room-address');
    const nick = within(dialog).getByTestId<HTMLInputElement>('join-room-nick');
    expect(address.value).toBe(DEV);
    expect(nick.value, 'the taken nickname is not offered again').toBe('alice2');
    expect(document.activeElement, 'the nickname is ready to be retyped').toBe(nick);
    expect(
      within(dialog).queryByTestId('join-room-configure'),
      'a known room: nothing to set up first',
    ).toBeNull();
    await fireEvent.input(nick, { target: { value: 'alice2' } });
    await fireEvent.click(within(dialog).getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice2', password: null, configureFirst: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
    await waitFor(() => expect(screen.queryByTestId('room-error')).toBeNull());
  });

  test('a room that needs a password offers "Enter password" and joins with it', async () => {
    const backend = backendWithAlice([
      room(DEV, { state: roomState({ joined: false, error: NEEDS_PASSWORD, error_code: 'password_required' }) }),
    ]);
    renderApp();
    expect((await screen.findByTestId('room-error')).textContent?.trim()).toBe(NEEDS_PASSWORD);
    const enter = screen.getByTestId(`rejoin-room-${DEV}`);
    expect(enter.textContent?.trim()).toBe('Enter password');
    expect(enter.getAttribute('aria-label')).toBe('Enter password for dev');

    await fireEvent.click(enter);
    const dialog = screen.getByTestId<HTMLDialogElement>(`rejoin-room-${DEV}-dialog`);
    expect(dialog.open).toBe(true);
    const password = within(dialog).getByTestId<HTMLInputElement>('join-room-password');
    expect(document.activeElement, 'the password is what is missing').toBe(password);
    expect(within(dialog).getByTestId<HTMLInputElement>('join-room-nick').value).toBe('alice');
    await fireEvent.input(password, { target: { value: 'open sesame' } });
    await fireEvent.click(within(dialog).getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: 'open sesame', configureFirst: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
    await waitFor(() => expect(screen.queryByTestId('room-error')).toBeNull());
  });

  test('a room shows how many unread messages mention us beside the unread count', async () => {
    const backend = backendWithAlice([devRoom(), room(OPS)]);
    backend.conversations = [
      conversation(DEV, { unread: 5, mentions: 2 }),
      conversation(OPS, { unread: 3, mentions: 0, last_at: Date.UTC(2026, 10, 20, 11, 0) }),
    ];
    renderApp();
    const dev = await screen.findByTestId(`room-${DEV}`);
    const mention = await within(dev).findByTestId('mention-badge');
    expect(mention.textContent?.trim()).toBe('@2');
    expect(mention.getAttribute('aria-label')).toBe('2 mentioning you');
    expect(within(dev).getByTestId('unread-badge').textContent?.trim()).toBe('5');
    const ops = screen.getByTestId(`room-${OPS}`);
    expect(within(ops).getByTestId('unread-badge').textContent?.trim()).toBe('3');
    expect(within(ops).queryByTestId('mention-badge'), 'no mention: no badge').toBeNull();

    // The conversation list says it too.
    const devConversation = screen.getByTestId(`conversation-${DEV}`);
    expect(devConversation.dataset['mentions']).toBe('2');
    const listed = within(devConversation).getByTestId('mention-badge');
    expect(listed.textContent?.trim()).toBe('@2');
    expect(listed.getAttribute('aria-label')).toBe('2 mentioning you');
    expect(within(screen.getByTestId(`conversation-${OPS}`)).queryByTestId('mention-badge')).toBeNull();

    // Opening the room reads them: the mentions go with the unread count.
    await openRoom(DEV);
    await waitFor(() => expect(within(dev).queryByTestId('mention-badge')).toBeNull());
    expect(within(dev).queryByTestId('unread-badge')).toBeNull();
    expect(within(devConversation).queryByTestId('mention-badge')).toBeNull();
  });

  test('a room no longer joined by itself (kicked, banned, destroyed) says so and offers Join', async () => {
    const backend = backendWithAlice([
      room(DEV, { autojoin: false, state: roomState({ joined: false, nick: '' }) }),
    ]);
    renderApp();
    const row = await screen.findByTestId(`room-${DEV}`);
    expect(row.dataset['phase'], 'not "Joining…" for ever').toBe('parked');
    expect(screen.getByTestId('room-error').textContent?.trim()).toBe('Not joined');
    const join = screen.getByTestId(`rejoin-room-${DEV}`);
    expect(join.textContent?.trim()).toBe('Join');
    await fireEvent.click(join);
    const dialog = screen.getByTestId<HTMLDialogElement>(`rejoin-room-${DEV}-dialog`);
    await fireEvent.input(within(dialog).getByTestId('join-room-nick'), { target: { value: 'alice' } });
    await fireEvent.click(within(dialog).getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: false },
      ]),
    );
  });
});

describe('join room dialog', () => {
  test('joins with the local part of the account as nickname and opens the room', async () => {
    const backend = backendWithAlice();
    renderApp();
    const dialog = await openJoinDialog();
    expect(screen.queryByTestId('join-room-account'), 'one account: nothing to choose').toBeNull();
    const address = screen.getByTestId<HTMLInputElement>('join-room-address');
    expect(document.activeElement).toBe(address);
    expect(screen.getByTestId<HTMLInputElement>('join-room-nick').value).toBe('alice');

    await fireEvent.input(address, { target: { value: ` xmpp:${DEV}?join ` } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
    const row = await screen.findByTestId(`room-${DEV}`);
    expect(row.dataset['joined'], 'listed at once, joined later').toBe('false');
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(DEV);
    expect(within(chat).getByRole('heading', { level: 2 }).textContent).toBe('dev');
  });

  test.each(['', 'dev', 'dev@', '@conference.example.org', 'dev room@conference.example.org'])(
    'refuses the malformed address %j before asking the backend',
    async (input) => {
      const backend = backendWithAlice();
      renderApp();
      const dialog = await openJoinDialog();
      await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: input } });
      await fireEvent.click(screen.getByTestId('join-room-submit'));
      expect(screen.getByTestId('join-room-address-error').textContent).not.toBe('');
      expect(screen.getByTestId('join-room-address').getAttribute('aria-invalid')).toBe('true');
      expect(dialog.open).toBe(true);
      expect(backend.callsOf('join_room')).toEqual([]);
    },
  );

  test('refuses an empty nickname before asking the backend', async () => {
    const backend = backendWithAlice();
    renderApp();
    await openJoinDialog();
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(screen.getByTestId('join-room-nick'), { target: { value: '  ' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    expect(screen.getByTestId('join-room-nick-error').textContent).toContain('nickname');
    expect(backend.callsOf('join_room')).toEqual([]);
  });

  test('shows invalid_jid from the backend in words about the room, and stays open', async () => {
    const backend = backendWithAlice();
    backend.on('join_room', () => {
      throw { code: 'invalid_jid', message: 'not a usable nickname' };
    });
    renderApp();
    const dialog = await openJoinDialog();
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(screen.getByTestId('join-room-nick'), { target: { value: 'al/ice' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    const error = await screen.findByTestId('join-room-error');
    expect(error.dataset['code']).toBe('invalid_jid');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('room address or nickname is not valid');
    expect(error.textContent).toContain('not a usable nickname');
    expect(backend.callsOf('join_room')).toEqual([
      { accountId: ALICE.id, room: DEV, nick: 'al/ice', password: null, configureFirst: false },
    ]);
    expect(dialog.open, 'the dialog stays open to fix it').toBe(true);
    expect(screen.queryByTestId('chat-view')).toBeNull();

    // Closing and opening again starts fresh.
    dialog.close();
    await openJoinDialog();
    expect(screen.queryByTestId('join-room-error')).toBeNull();
    expect(screen.getByTestId<HTMLInputElement>('join-room-address').value).toBe('');
  });

  test('sends the password typed for a protected room', async () => {
    const backend = backendWithAlice();
    renderApp();
    const dialog = await openJoinDialog();
    const password = within(dialog).getByTestId<HTMLInputElement>('join-room-password');
    expect(password.type).toBe('password');
    expect(password.getAttribute('autocomplete')).toBe('off');
    expect(within(dialog).getByLabelText('Password (only if the room has one)')).toBe(password);
    expect(password.value, 'none by default').toBe('');

    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(password, { target: { value: ' s3cret ' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: ' s3cret ', configureFirst: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
  });

  test('an empty password is sent as none (null)', async () => {
    const backend = backendWithAlice();
    renderApp();
    await openJoinDialog();
    const password = screen.getByTestId<HTMLInputElement>('join-room-password');
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(password, { target: { value: 'typo' } });
    await fireEvent.input(password, { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: false },
      ]),
    );
  });

  test('the password is gone once the dialog closes, whether cancelled, refused or joined', async () => {
    const backend = backendWithAlice();
    backend.on('join_room', () => {
      throw { code: 'invalid_jid', message: 'not a usable nickname' };
    });
    renderApp();
    let dialog = await openJoinDialog();
    await fireEvent.input(screen.getByTestId('join-room-password'), { target: { value: 'secret' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(dialog.open).toBe(false);
    expect(screen.queryByTestId('join-room-password'), 'not in the DOM while closed').toBeNull();
    dialog = await openJoinDialog();
    expect(screen.getByTestId<HTMLInputElement>('join-room-password').value, 'after Cancel').toBe('');

    // Refused, then closed (Escape).
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(screen.getByTestId('join-room-password'), { target: { value: 'secret' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await screen.findByTestId('join-room-error');
    expect(screen.getByTestId<HTMLInputElement>('join-room-password').value, 'kept to retry').toBe(
      'secret',
    );
    dialog.close();
    await openJoinDialog();
    expect(screen.getByTestId<HTMLInputElement>('join-room-password').value, 'after Escape').toBe('');

    // Joined.
    backend.overrides.delete('join_room');
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.input(screen.getByTestId('join-room-password'), { target: { value: 'secret' } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() => expect(dialog.open).toBe(false));
    expect(backend.callsOf('join_room').at(-1)?.['password']).toBe('secret');
    await openJoinDialog();
    expect(screen.getByTestId<HTMLInputElement>('join-room-password').value, 'after joining').toBe('');
  });

  test('can ask to set up a new room before anyone else can enter; off by default', async () => {
    const backend = backendWithAlice();
    renderApp();
    let dialog = await openJoinDialog();
    const configure = within(dialog).getByTestId<HTMLInputElement>('join-room-configure');
    expect(configure.type).toBe('checkbox');
    expect(configure.checked, 'off by default').toBe(false);
    expect(
      within(dialog).getByLabelText('If the room is new, let me set it up before anyone else can enter'),
    ).toBe(configure);

    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.click(configure);
    expect(configure.checked).toBe(true);
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: true },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));

    // The next room starts from the default again: joined as it is, unless asked.
    dialog = await openJoinDialog();
    expect(within(dialog).getByTestId<HTMLInputElement>('join-room-configure').checked).toBe(false);
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: OPS } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room').at(-1)).toEqual({
        accountId: ALICE.id,
        room: OPS,
        nick: 'alice',
        password: null,
        configureFirst: false,
      }),
    );
  });

  test('with several accounts, picks one and follows its local part as nickname', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE, WORK];
    renderApp();
    await openJoinDialog();
    const nick = screen.getByTestId<HTMLInputElement>('join-room-nick');
    expect(nick.value).toBe('alice');
    await fireEvent.change(screen.getByTestId('join-room-account'), {
      target: { value: String(WORK.id) },
    });
    expect(nick.value, 'the default follows the account').toBe('al');
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: OPS } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: WORK.id, room: OPS, nick: 'al', password: null, configureFirst: false },
      ]),
    );
  });
});

describe('room chat', () => {
  function backendWithDev(): FakeBackend {
    const backend = backendWithAlice([devRoom()]);
    backend.conversations = [conversation(DEV, { last_body: 'see you' })];
    backend.messages = [
      groupMessage(1, DEV, 'bob', { body: 'hello room' }),
      groupMessage(2, DEV, 'alice', { outgoing: true, state: 'delivered', body: 'hi bob' }),
      groupMessage(3, DEV, XSS, { body: 'see you' }),
    ];
    return backend;
  }

  test('shows the room name and subject, occupants with their standing, and senders', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    await waitFor(() =>
      expect(backend.callsOf('load_messages')).toEqual([
        { accountId: ALICE.id, peer: DEV, before: null, limit: 50 },
      ]),
    );

    expect(within(chat).getByRole('heading', { level: 2 }).textContent).toBe('dev');
    expect(within(chat).getByTestId('room-subject').textContent?.trim()).toBe('Release on Friday');
    expect(within(chat).queryByTestId('room-notice'), 'joined: nothing to report').toBeNull();

    const occupants = within(chat).getByTestId('occupants');
    expect(occupants.dataset['count'], 'how many occupants in all').toBe('4');
    // A virtual list: rows stay hidden (visibility) until virtua measured them.
    await waitFor(() => {
      const nicks = within(occupants)
        .getAllByRole('listitem')
        .map((li) => li.dataset['testid']);
      expect(nicks, 'moderators first, visitors last').toEqual([
        'occupant-bob',
        'occupant-alice',
        'occupant-carol',
        'occupant-zed',
      ]);
    });
    const bob = within(occupants).getByTestId('occupant-bob');
    expect(within(bob).getByTestId('occupant-standing').textContent).toBe('owner, moderator');
    expect(within(bob).getByRole('img', { name: 'Available' })).toBeTruthy();
    expect(bob.title, 'the real JID when the room shows it').toBe('bob@example.org');
    const alice = within(occupants).getByTestId('occupant-alice');
    expect(alice.textContent).toContain('(you)');
    expect(within(alice).getByTestId('occupant-standing').textContent).toBe('member');
    expect(within(occupants).getByTestId('occupant-carol').querySelector('.standing')).toBeNull();
    const zed = within(occupants).getByTestId('occupant-zed');
    expect(within(zed).getByTestId('occupant-standing').textContent).toBe('visitor');
    expect(within(zed).getByRole('img', { name: 'Away' })).toBeTruthy();

    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(3));
    const [fromBob, ours, fromXss] = within(chat).getAllByTestId('message');
    expect(within(fromBob!).getByTestId('message-sender').textContent).toBe('bob');
    expect(ours!.dataset['outgoing']).toBe('true');
    expect(within(ours!).queryByTestId('message-sender'), 'ours show as ours').toBeNull();
    expect(within(fromXss!).getByTestId('message-sender').textContent).toBe(XSS);
    expect(document.querySelector('img'), 'a nickname is text').toBeNull();
    const bobHue = within(fromBob!).getByTestId('message-sender').style.getPropertyValue('--nick-hue');
    expect(bobHue, 'the nickname has its colour').not.toBe('');
    expect(
      within(occupants).getByTestId('occupant-bob').querySelector<HTMLElement>('.nick')?.style.getPropertyValue('--nick-hue'),
      'the same in the occupant list',
    ).toBe(bobHue);
  });

  test('the occupant list folds away and follows room events', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    const toggle = within(chat).getByTestId('toggle-occupants');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(toggle.textContent).toContain('4');
    const panel = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    expect(panel?.contains(within(chat).getByTestId('occupants'))).toBe(true);

    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(panel?.hidden).toBe(true);
    await fireEvent.click(toggle);
    expect(panel?.hidden).toBe(false);

    const dev = devRoom();
    backend.rooms = [
      { ...dev, state: { ...dev.state, occupants: [...dev.state.occupants, occupant('dave')] } },
    ];
    const listed = backend.callsOf('list_rooms').length;
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    expect(await within(chat).findByTestId('occupant-dave')).toBeTruthy();
    expect(toggle.textContent).toContain('5');
    expect(within(chat).getByTestId('occupants').dataset['count']).toBe('5');
    expect(backend.callsOf('room_state'), 'only that room').toEqual([{ accountId: ALICE.id, room: DEV }]);
    expect(backend.callsOf('list_rooms'), 'not every room').toHaveLength(listed);
  });

  test('a room event for a room not listed yet reloads every room', async () => {
    const backend = backendWithDev();
    renderApp();
    await screen.findByTestId(`room-${DEV}`);
    const listed = backend.callsOf('list_rooms').length;
    backend.rooms = [...backend.rooms, room(OPS)];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: OPS });
    expect(await screen.findByTestId(`room-${OPS}`)).toBeTruthy();
    expect(backend.callsOf('list_rooms')).toHaveLength(listed + 1);
    expect(backend.callsOf('room_state')).toEqual([]);
  });

  test('a room event for a room the backend no longer knows reloads every room', async () => {
    const backend = backendWithDev();
    renderApp();
    await screen.findByTestId(`room-${DEV}`);
    const listed = backend.callsOf('list_rooms').length;
    backend.rooms = [];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() => expect(screen.queryByTestId(`room-${DEV}`)).toBeNull());
    expect(backend.callsOf('room_state')).toEqual([{ accountId: ALICE.id, room: DEV }]);
    expect(backend.callsOf('list_rooms')).toHaveLength(listed + 1);
    expect(screen.queryByTestId('problem-banner'), 'not a problem').toBeNull();
  });

  test('a big room renders only the occupants near the viewport, in order', async () => {
    const many = Array.from({ length: 300 }, (_, i) => occupant(`user${String(i).padStart(3, '0')}`));
    backendWithAlice([room(DEV, { state: roomState({ occupants: [...many].reverse() }) })]);
    renderApp();
    const chat = await openRoom(DEV);
    const occupants = within(chat).getByTestId('occupants');
    expect(occupants.dataset['count']).toBe('300');
    await waitFor(() => expect(within(occupants).getAllByRole('listitem').length).toBeGreaterThan(0));
    const rows = [...occupants.querySelectorAll<HTMLElement>('[data-testid^="occupant-user"]')];
    expect(rows.length, 'a screenful and a buffer, not all 300').toBeLessThan(40);
    expect(rows.map((r) => r.dataset['testid'])).toEqual(
      rows.map((_, i) => `occupant-user${String(i).padStart(3, '0')}`),
    );
    expect(rows[0]?.getAttribute('aria-setsize')).toBe('300');
  });

  test('Down and Up move between the occupants to message, skipping ourselves', async () => {
    backendWithAlice([devRoom()]);
    renderApp();
    const chat = await openRoom(DEV);
    const occupants = within(chat).getByTestId('occupants');
    const bob = await within(occupants).findByRole('button', { name: 'Message bob privately' });
    bob.focus();
    await fireEvent.keyDown(bob, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-testid')).toBe('occupant-pm-carol'));
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-testid')).toBe('occupant-pm-bob'));
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-testid')).toBe('occupant-pm-zed'));
  });

  test('a refusal arriving while the room is open is said there, with a way back in', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    backend.rooms = [room(DEV, { state: roomState({ joined: false, error: TAKEN, error_code: 'nickname_taken' }) })];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    const notice = await within(chat).findByTestId('room-notice');
    expect(within(notice).getByRole('alert').textContent).toBe(TAKEN);
    expect(within(notice).getByTestId('chat-rejoin-room').textContent?.trim()).toBe(
      'Join with another nickname',
    );
    await fireEvent.click(within(notice).getByTestId('chat-rejoin-room'));
    expect(screen.getByTestId<HTMLDialogElement>('chat-rejoin-room-dialog').open).toBe(true);
  });

  test('a password refusal in the open room offers "Enter password", with the focus there', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    backend.rooms = [room(DEV, { state: roomState({ joined: false, error: NEEDS_PASSWORD, error_code: 'password_required' }) })];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    const notice = await within(chat).findByTestId('room-notice');
    expect(within(notice).getByRole('alert').textContent).toBe(NEEDS_PASSWORD);
    const enter = within(notice).getByTestId('chat-rejoin-room');
    expect(enter.textContent?.trim()).toBe('Enter password');

    await fireEvent.click(enter);
    const dialog = screen.getByTestId<HTMLDialogElement>('chat-rejoin-room-dialog');
    expect(dialog.open).toBe(true);
    const password = within(dialog).getByTestId<HTMLInputElement>('join-room-password');
    expect(document.activeElement).toBe(password);
    await fireEvent.input(password, { target: { value: 'hunter2' } });
    await fireEvent.click(within(dialog).getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: 'hunter2', configureFirst: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
  });

  test('sending in a room goes to the room', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    const composer = within(chat).getByTestId('composer');
    await fireEvent.input(composer, { target: { value: 'ship it' } });
    await fireEvent.keyDown(composer, { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('send_message')).toEqual([{ accountId: ALICE.id, to: DEV, body: 'ship it', replyTo: null }]),
    );
  });

  test('Leave calls leave_room, the room leaves the list and its chat closes', async () => {
    const backend = backendWithDev();
    renderApp();
    const chat = await openRoom(DEV);
    await fireEvent.click(within(chat).getByTestId('leave-room'));
    await waitFor(() =>
      expect(backend.callsOf('leave_room')).toEqual([{ accountId: ALICE.id, room: DEV }]),
    );
    await waitFor(() => expect(screen.queryByTestId('chat-view')).toBeNull());
    expect(screen.queryByTestId(`room-${DEV}`)).toBeNull();
    expect(backend.callsOf('set_active_conversation').at(-1)).toEqual({ accountId: null, peer: null });

    // Its history stays readable from the conversation list, without a composer.
    await fireEvent.click(screen.getByTestId(`conversation-${DEV}`));
    const again = await screen.findByTestId('chat-view');
    expect(await within(again).findByTestId('left-room')).toBeTruthy();
    expect(within(again).queryByTestId('composer')).toBeNull();
    await waitFor(() =>
      expect(within(again).getAllByTestId('message-sender').map((s) => s.textContent)).toContain('bob'),
    );
  });

  test('a failed leave keeps the room and says why', async () => {
    const backend = backendWithDev();
    backend.on('leave_room', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const chat = await openRoom(DEV);
    await fireEvent.click(within(chat).getByTestId('leave-room'));
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('database is locked');
    expect(screen.getByTestId('chat-view')).toBe(chat);
    expect(screen.getByTestId(`room-${DEV}`)).toBeTruthy();
  });

  test('the conversation list calls a room by its name', async () => {
    backendWithDev();
    renderApp();
    const row = await screen.findByTestId(`conversation-${DEV}`);
    await waitFor(() => expect(row.querySelector('.name')?.textContent).toBe('dev'));
  });

  test('rooms are reloaded when the account goes offline (their live state is gone)', async () => {
    const backend = backendWithDev();
    renderApp();
    await screen.findByTestId(`room-${DEV}`);
    const before = backend.callsOf('list_rooms').length;
    backend.rooms = [room(DEV, { state: roomState({ joined: false, nick: '' }) })];
    await backend.emit('linnet://account-state', { account_id: ALICE.id, state: { kind: 'offline' } });
    await waitFor(() => expect(backend.callsOf('list_rooms').length).toBe(before + 1));
    await waitFor(() => expect(screen.getByTestId(`room-${DEV}`).dataset['phase']).toBe('offline'));
  });

  test('a line from the room itself is a notice, not a message, and marks nothing read', async () => {
    const backend = backendWithDev();
    backend.messages.push(systemLine(4, DEV, 'carol is now known as caroline.'));
    renderApp();
    const chat = await openRoom(DEV);
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(3));

    const line = within(chat).getByTestId('system-line');
    expect(line.textContent?.trim()).toBe('carol is now known as caroline.');
    expect(line.dataset['id']).toBe('4');
    expect(line.closest('[data-testid="message"]'), 'not inside a bubble').toBeNull();
    expect(within(line).queryByTestId('message-sender')).toBeNull();
    expect(within(line).queryByTestId('send-state')).toBeNull();
    expect(within(line).queryByRole('button'), 'no Retry').toBeNull();
    const ids = within(chat).getAllByTestId('message').map((m) => m.dataset['id']);
    expect(ids, 'not counted among the messages').toEqual(['1', '2', '3']);

    // One arriving while the room is open shows as text and asks for nothing.
    const marked = backend.callsOf('mark_read').length;
    await backend.emit('linnet://messages', {
      account_id: ALICE.id,
      peer: DEV,
      messages: [systemLine(5, DEV, `${XSS} left the room.`)],
    });
    await waitFor(() => expect(within(chat).getAllByTestId('system-line')).toHaveLength(2));
    expect(within(chat).getAllByTestId('system-line')[1]?.textContent?.trim()).toBe(`${XSS} left the room.`);
    expect(document.querySelector('img'), 'the line is text').toBeNull();
    expect(backend.callsOf('mark_read'), 'nothing unread to mark').toHaveLength(marked);
    expect(within(chat).getAllByTestId('message')).toHaveLength(3);
  });

  test('the header chooses when the room notifies, from what list_rooms says', async () => {
    const backend = backendWithDev();
    backend.rooms = [{ ...devRoom(), notify: 'mentions' }];
    renderApp();
    const chat = await openRoom(DEV);
    expect(within(chat).queryByTestId('mute-toggle'), 'rooms choose instead of muting').toBeNull();
    const select = within(chat).getByRole<HTMLSelectElement>('combobox', { name: 'Notify' });
    expect(select.dataset['testid']).toBe('room-notify');
    expect(select.value).toBe('mentions');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'all messages',
      'mentions of my nickname',
      'never',
    ]);

    await fireEvent.change(select, { target: { value: 'none' } });
    await waitFor(() =>
      expect(backend.callsOf('set_room_notify')).toEqual([
        { accountId: ALICE.id, room: DEV, mode: 'none' },
      ]),
    );
    await waitFor(() => expect(backend.rooms[0]?.notify).toBe('none'));
    expect(select.value).toBe('none');

    // Changed elsewhere: the room event reloads the list, and the choice follows.
    backend.rooms = [{ ...devRoom(), notify: 'all' }];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() => expect(select.value).toBe('all'));
    expect(screen.queryByTestId('problem-banner')).toBeNull();
  });

  test('a refused notify choice goes back and shows why', async () => {
    const backend = backendWithDev();
    backend.on('set_room_notify', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const chat = await openRoom(DEV);
    const select = within(chat).getByTestId<HTMLSelectElement>('room-notify');
    expect(select.value).toBe('all');
    await fireEvent.change(select, { target: { value: 'mentions' } });
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('database is locked');
    expect(backend.callsOf('set_room_notify')).toEqual([
      { accountId: ALICE.id, room: DEV, mode: 'mentions' },
    ]);
    await waitFor(() => expect(select.value).toBe('all'));
  });
});

describe('private chat with an occupant', () => {
  const BOB = `${DEV}/bob`;

  test('an occupant opens a one-to-one chat with their room JID; sending goes there', async () => {
    const backend = backendWithAlice([devRoom()]);
    renderApp();
    const chat = await openRoom(DEV);
    const occupants = within(chat).getByTestId('occupants');
    const action = await within(occupants).findByRole('button', { name: 'Message bob privately' });
    expect(within(occupants).getByTestId('occupant-alice')).toBeTruthy();
    expect(within(occupants).queryByTestId('occupant-pm-alice'), 'not with ourselves').toBeNull();
    expect(action.dataset['testid']).toBe('occupant-pm-bob');

    await fireEvent.click(action);
    await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe(BOB));
    const pm = screen.getByTestId('chat-view');
    expect(backend.callsOf('set_active_conversation').at(-1)).toEqual({ accountId: ALICE.id, peer: BOB });
    await waitFor(() =>
      expect(backend.callsOf('load_messages').at(-1)).toEqual({
        accountId: ALICE.id,
        peer: BOB,
        before: null,
        limit: 50,
      }),
    );
    const heading = within(pm).getByRole('heading', { level: 2 });
    expect(heading.textContent).toBe('bob (private, in dev)');
    expect(heading.title).toBe(BOB);
    expect(pm.dataset['room'], 'not a room').toBeUndefined();
    expect(within(pm).queryByTestId('occupants')).toBeNull();
    expect(within(pm).queryByTestId('room-notify')).toBeNull();
    expect(within(pm).queryByTestId('leave-room')).toBeNull();
    expect(within(pm).getByTestId('mute-toggle')).toBeTruthy();

    const composer = within(pm).getByTestId('composer');
    await fireEvent.input(composer, { target: { value: 'psst' } });
    await fireEvent.keyDown(composer, { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('send_message')).toEqual([{ accountId: ALICE.id, to: BOB, body: 'psst', replyTo: null }]),
    );
  });

  test('the conversation list calls a private chat by nickname and room, as text', async () => {
    const backend = backendWithAlice([devRoom()]);
    const GONE = 'gone@conference.example.org/eve';
    backend.conversations = [
      conversation(BOB, { last_body: 'psst' }),
      conversation(`${DEV}/${XSS}`, { last_at: Date.UTC(2026, 10, 20, 11, 0) }),
      conversation(GONE, { last_at: Date.UTC(2026, 10, 20, 10, 0) }),
    ];
    renderApp();
    const bob = await screen.findByTestId(`conversation-${BOB}`);
    await waitFor(() => expect(bob.querySelector('.name')?.textContent).toBe('bob (private, in dev)'));
    expect(bob.title, 'the full JID as tooltip').toBe(BOB);
    const xss = screen.getByTestId(`conversation-${DEV}/${XSS}`);
    expect(xss.querySelector('.name')?.textContent).toBe(`${XSS} (private, in dev)`);
    expect(document.querySelector('img'), 'a nickname is text').toBeNull();
    const gone = screen.getByTestId(`conversation-${GONE}`);
    expect(gone.querySelector('.name')?.textContent, 'a room no longer listed').toBe('eve (private, in gone)');

    await fireEvent.click(bob);
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(BOB);
    expect(within(chat).getByTestId('mute-toggle')).toBeTruthy();
  });
});

describe('direct chat with an occupant', () => {
  test('an occupant whose real JID the room shows opens a one-to-one chat with the bare JID', async () => {
    const backend = backendWithAlice([
      room(DEV, {
        state: roomState({
          occupants: [
            occupant('alice', { jid: 'alice@example.org/laptop' }),
            occupant('bob', { jid: 'bob@example.org/phone' }),
            occupant('carol'),
          ],
        }),
      }),
    ]);
    renderApp();
    const chat = await openRoom(DEV);
    const occupants = within(chat).getByTestId('occupants');
    const bob = await within(occupants).findByTestId('occupant-bob');
    const direct = within(bob).getByTestId('message-occupant-jid');
    expect(direct.dataset['jid']).toBe('bob@example.org');
    expect(direct.getAttribute('aria-label')).toBe('Message bob directly, as bob@example.org');
    expect(
      within(within(occupants).getByTestId('occupant-carol')).queryByTestId('message-occupant-jid'),
      'a hidden real JID: only the private chat',
    ).toBeNull();
    expect(
      within(within(occupants).getByTestId('occupant-alice')).queryByTestId('message-occupant-jid'),
      'not with ourselves',
    ).toBeNull();

    await fireEvent.click(direct);
    await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe('bob@example.org'));
    expect(backend.callsOf('set_active_conversation').at(-1)).toEqual({
      accountId: ALICE.id,
      peer: 'bob@example.org',
    });
    expect(within(screen.getByTestId('chat-view')).queryByTestId('occupants')).toBeNull();
  });
});
