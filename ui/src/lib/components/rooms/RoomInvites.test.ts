import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { RoomView } from '../../ipc';
import { ALICE, FakeBackend, room, roomInvite } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const DEV = 'dev@conference.example.org';
const OPS = 'ops@conference.example.org';
const XSS = '<img src=x onerror=alert(1)>';

function backendWithAlice(rooms: RoomView[] = []): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.rooms = rooms;
  return backend;
}

/** Renders the app and waits until it listens to backend events (the room list is loaded). */
async function start(): Promise<void> {
  renderApp();
  await screen.findByTestId('room-list');
}

describe('invitations received', () => {
  test('an invitation shows who invites, to which room and why, as text', async () => {
    const backend = backendWithAlice();
    await start();
    expect(screen.queryByTestId('room-invite')).toBeNull();

    await backend.emit('linnet://room-invite', roomInvite(DEV, { reason: 'Release planning' }));
    const invite = await screen.findByTestId('room-invite');
    expect(invite.querySelector('.who')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'bob@example.org invited you to dev',
    );
    expect(within(invite).getByTestId('room-invite-room').title).toBe(DEV);
    expect(invite.textContent).toContain(DEV);
    expect(within(invite).getByTestId('room-invite-reason').textContent).toBe('“Release planning”');
    expect(within(invite).getByRole('button', { name: 'Join dev' })).toBeTruthy();
    expect(within(invite).getByRole('button', { name: 'Dismiss the invitation to dev' })).toBeTruthy();

    // Remote text stays text.
    await backend.emit('linnet://room-invite', roomInvite(OPS, { from: XSS, reason: XSS }));
    await waitFor(() => expect(screen.getAllByTestId('room-invite')).toHaveLength(2));
    const ops = screen.getAllByTestId('room-invite')[1]!;
    expect(within(ops).getByTestId('room-invite-from').textContent).toBe(XSS);
    expect(within(ops).getByTestId('room-invite-reason').textContent).toBe(`“${XSS}”`);
    expect(document.querySelector('img')).toBeNull();
  });

  test('names the inviter by nickname in a room that hides real JIDs, or says someone', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV, { from: `${DEV}/carol` }));
    await backend.emit('linnet://room-invite', roomInvite(OPS, { from: null }));
    await waitFor(() => expect(screen.getAllByTestId('room-invite')).toHaveLength(2));
    const [dev, ops] = screen.getAllByTestId('room-invite');
    expect(within(dev!).getByTestId('room-invite-from').textContent).toBe('carol');
    expect(within(dev!).getByTestId('room-invite-from').title).toBe(`${DEV}/carol`);
    expect(within(ops!).getByTestId('room-invite-from').textContent).toBe('Someone');
    expect(within(ops!).queryByTestId('room-invite-reason')).toBeNull();
  });

  test('a repeated invitation to the same room replaces the earlier one', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV, { reason: 'first' }));
    await screen.findByTestId('room-invite');
    await backend.emit('linnet://room-invite', roomInvite(DEV, { from: 'carol@example.org', reason: 'second' }));
    await waitFor(() =>
      expect(screen.getByTestId('room-invite-reason').textContent).toBe('“second”'),
    );
    expect(screen.getAllByTestId('room-invite')).toHaveLength(1);
    expect(screen.getByTestId('room-invite-from').textContent).toBe('carol@example.org');
  });

  test('an invitation to a room already in the list is not shown', async () => {
    const backend = backendWithAlice([room(DEV)]);
    await start();
    await screen.findByTestId(`room-${DEV}`);
    await backend.emit('linnet://room-invite', roomInvite(DEV));
    await backend.emit('linnet://room-invite', roomInvite(OPS));
    await screen.findByTestId('room-invite');
    expect(screen.getAllByTestId('room-invite').map((i) => i.dataset['room'])).toEqual([OPS]);
  });

  test('Join joins with the default nickname, opens the room and removes the invitation', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV, { reason: 'come' }));
    await fireEvent.click(await screen.findByTestId('room-invite-join'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: false },
      ]),
    );
    await waitFor(() => expect(screen.queryByTestId('room-invite')).toBeNull());
    expect(await screen.findByTestId(`room-${DEV}`)).toBeTruthy();
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(DEV);
    expect(document.activeElement, 'ready to write in the room').toBe(within(chat).getByTestId('composer'));
  });

  test('a failed join keeps the invitation and says why', async () => {
    const backend = backendWithAlice();
    backend.on('join_room', () => {
      throw { code: 'invalid_jid', message: 'bad room' };
    });
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV));
    await fireEvent.click(await screen.findByTestId('room-invite-join'));
    const invite = screen.getByTestId('room-invite');
    const alert = await within(invite).findByRole('alert');
    expect(alert.dataset['code']).toBe('invalid_jid');
    expect(alert.textContent).toContain('room address or nickname is not valid');
  });

  test('joining the room from the Join room dialog also answers the invitation', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV));
    await screen.findByTestId('room-invite');
    await fireEvent.click(screen.getByTestId('join-room'));
    await fireEvent.input(screen.getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.click(screen.getByTestId('join-room-submit'));
    await waitFor(() => expect(backend.callsOf('join_room')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId('room-invite')).toBeNull());
  });

  test('Dismiss removes the invitation without joining; the focus moves to the next one', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV));
    await backend.emit('linnet://room-invite', roomInvite(OPS));
    await waitFor(() => expect(screen.getAllByTestId('room-invite')).toHaveLength(2));

    const [dev] = screen.getAllByTestId('room-invite');
    const dismiss = within(dev!).getByTestId('room-invite-dismiss');
    dismiss.focus();
    await fireEvent.click(dismiss);
    await waitFor(() => expect(screen.getAllByTestId('room-invite')).toHaveLength(1));
    const ops = screen.getByTestId('room-invite');
    expect(ops.dataset['room']).toBe(OPS);
    expect(document.activeElement).toBe(within(ops).getByTestId('room-invite-join'));

    await fireEvent.click(within(ops).getByTestId('room-invite-dismiss'));
    await waitFor(() => expect(screen.queryByTestId('room-invite')).toBeNull());
    expect(document.activeElement, 'the last one: back to the Rooms section').toBe(
      screen.getByRole('heading', { name: 'Rooms' }),
    );
    expect(backend.callsOf('join_room')).toEqual([]);
    expect(screen.queryByTestId('chat-view')).toBeNull();
  });

  test('removing an account drops its invitations', async () => {
    const backend = backendWithAlice();
    await start();
    await backend.emit('linnet://room-invite', roomInvite(DEV));
    await screen.findByTestId('room-invite');
    await fireEvent.click(screen.getByTestId(`remove-account-${ALICE.id}`));
    await fireEvent.click(await screen.findByTestId(`confirm-remove-${ALICE.id}`));
    await waitFor(() => expect(backend.callsOf('remove_account')).toEqual([{ accountId: ALICE.id }]));
    await waitFor(() => expect(screen.queryByTestId('room-invite')).toBeNull());
  });
});

describe('inviting someone to a room', () => {
  async function openInviteDialog(backend: FakeBackend): Promise<HTMLDialogElement> {
    backend.conversations = [];
    await start();
    await fireEvent.click(await screen.findByTestId(`room-${DEV}`));
    const chat = await screen.findByTestId('chat-view');
    const button = within(chat).getByTestId('invite-to-room');
    expect(button.getAttribute('aria-label')).toBe('Invite someone to dev');
    await fireEvent.click(button);
    const dialog = screen.getByTestId<HTMLDialogElement>('invite-to-room-dialog');
    expect(dialog.open).toBe(true);
    expect(document.activeElement).toBe(screen.getByTestId('invite-jid'));
    return dialog;
  }

  test('sends invite_to_room with the JID and reason, closes and confirms', async () => {
    const backend = backendWithAlice([room(DEV)]);
    const dialog = await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), {
      target: { value: ' xmpp:carol@example.org ' },
    });
    await fireEvent.input(screen.getByTestId('invite-reason'), { target: { value: ' Release planning ' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    await waitFor(() =>
      expect(backend.callsOf('invite_to_room')).toEqual([
        { accountId: ALICE.id, room: DEV, jid: 'carol@example.org', reason: 'Release planning', direct: false },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
    const sent = screen.getByTestId('invite-sent');
    expect(sent.getAttribute('role')).toBe('status');
    expect(sent.textContent).toBe('Invited carol@example.org');
  });

  test('a direct invitation is asked for with the checkbox, and the next one is not', async () => {
    const backend = backendWithAlice([room(DEV)]);
    await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), { target: { value: 'carol@example.org' } });
    const direct = screen.getByTestId<HTMLInputElement>('invite-direct');
    expect(direct.checked, 'through the room by default').toBe(false);
    await fireEvent.click(direct);
    await fireEvent.click(screen.getByTestId('invite-submit'));
    await waitFor(() =>
      expect(backend.callsOf('invite_to_room')).toEqual([
        { accountId: ALICE.id, room: DEV, jid: 'carol@example.org', reason: null, direct: true },
      ]),
    );
    await waitFor(() =>
      expect(screen.getByTestId<HTMLDialogElement>('invite-to-room-dialog').open).toBe(false),
    );
    await fireEvent.click(within(screen.getByTestId('chat-view')).getByTestId('invite-to-room'));
    expect(screen.getByTestId<HTMLInputElement>('invite-direct').checked).toBe(false);
  });

  test('without a reason, sends null', async () => {
    const backend = backendWithAlice([room(DEV)]);
    await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), { target: { value: 'carol@example.org' } });
    await fireEvent.input(screen.getByTestId('invite-reason'), { target: { value: '   ' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    await waitFor(() =>
      expect(backend.callsOf('invite_to_room')).toEqual([
        { accountId: ALICE.id, room: DEV, jid: 'carol@example.org', reason: null, direct: false },
      ]),
    );
  });

  test('refuses a malformed JID before asking the backend', async () => {
    const backend = backendWithAlice([room(DEV)]);
    const dialog = await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), { target: { value: 'carol' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    expect(screen.getByTestId('invite-jid-error').textContent).toContain('friend@example.org');
    expect(screen.getByTestId('invite-jid').getAttribute('aria-invalid')).toBe('true');
    expect(dialog.open).toBe(true);
    expect(backend.callsOf('invite_to_room')).toEqual([]);
  });

  test('shows invalid_jid from the backend in words, and stays open', async () => {
    const backend = backendWithAlice([room(DEV)]);
    backend.on('invite_to_room', () => {
      throw { code: 'invalid_jid', message: 'bad domain' };
    });
    const dialog = await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), { target: { value: 'carol@-example-' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    const error = await screen.findByTestId('invite-error');
    expect(error.dataset['code']).toBe('invalid_jid');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('not a valid Jabber ID');
    expect(error.textContent).toContain('bad domain');
    expect(backend.callsOf('invite_to_room')).toEqual([
      { accountId: ALICE.id, room: DEV, jid: 'carol@-example-', reason: null, direct: false },
    ]);
    expect(dialog.open).toBe(true);
    expect(screen.getByTestId('invite-sent').textContent).toBe('');

    // Closing and opening again starts fresh.
    dialog.close();
    await fireEvent.click(screen.getByTestId('invite-to-room'));
    expect(screen.queryByTestId('invite-error')).toBeNull();
    expect(screen.getByTestId<HTMLInputElement>('invite-jid').value).toBe('');
  });

  test('says so when the account is not connected', async () => {
    const backend = backendWithAlice([room(DEV)]);
    backend.accounts = [{ ...ALICE, state: { kind: 'offline' } }];
    await openInviteDialog(backend);
    await fireEvent.input(screen.getByTestId('invite-jid'), { target: { value: 'carol@example.org' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    const error = await screen.findByTestId('invite-error');
    expect(error.dataset['code']).toBe('not_connected');
    expect(error.textContent).toContain('not connected');
  });
});
