import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { RoomConfigForm, RoomView } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  conversation,
  formField,
  occupant,
  room,
  roomConfigForm,
  roomState,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const DEV = 'dev@conference.example.org';
const XSS = '<img src=x onerror=alert(1)>';
const ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
const BOB = 'bob@example.org';
const LOCKED = 'This new room is locked: nobody else can enter until you save its settings.';

/** The dev room, joined as alice, who owns it; bob is a plain participant. */
function ownedRoom(): RoomView {
  return room(DEV, {
    state: roomState({
      occupants: [
        occupant('alice', { role: 'moderator', affiliation: 'owner' }),
        occupant('bob'),
      ],
    }),
  });
}

/**
 * The dev room just created by alice, who asked to set it up first (XEP-0045 §10.1.3): she is
 * its owner, alone in it, and it stays locked until she saves its settings.
 */
function lockedRoom(): RoomView {
  return room(DEV, {
    state: roomState({
      occupants: [occupant('alice', { role: 'moderator', affiliation: 'owner' })],
      awaiting_configuration: true,
    }),
  });
}

/** The dev room, joined as alice, a member; bob owns it. */
function memberRoom(): RoomView {
  return room(DEV, {
    state: roomState({
      occupants: [
        occupant('alice', { affiliation: 'member' }),
        occupant('bob', { role: 'moderator', affiliation: 'owner' }),
      ],
    }),
  });
}

/** The dev room's settings, with a field of every kind the dialog draws, and remote HTML. */
function devForm(): RoomConfigForm {
  return roomConfigForm({
    title: `Configuration for ${XSS}`,
    instructions: 'Complete and submit this form.',
    fields: [
      formField('FORM_TYPE', 'hidden', { label: null, values: [ROOMCONFIG] }),
      formField('', 'fixed', { label: null, values: ['Room information'] }),
      formField('muc#roomconfig_roomname', 'text-single', { label: 'Title', values: ['Dev'] }),
      formField('muc#roomconfig_roomdesc', 'text-single', {
        label: XSS,
        desc: `What the room is about, ${XSS}`,
      }),
      formField('muc#roomconfig_persistentroom', 'boolean', {
        label: 'Persistent (room persists even if last participant leaves)',
        values: ['1'],
      }),
      formField('muc#roomconfig_publicroom', 'boolean', {
        label: 'Include room information in public lists',
        values: ['0'],
      }),
      formField('muc#roomconfig_whois', 'list-single', {
        label: 'Addresses (JIDs) of room occupants may be viewed by:',
        values: ['moderators'],
        options: [
          { label: 'Moderators only', value: 'moderators' },
          { label: 'Anyone', value: 'anyone' },
        ],
      }),
      formField('muc#roomconfig_roomsecret', 'text-private', { label: 'Password' }),
      formField('muc#roomconfig_presencebroadcast', 'list-multi', {
        label: 'Roles whose presence is broadcast',
        values: ['moderator', 'participant'],
        options: [
          { label: 'Moderator', value: 'moderator' },
          { label: 'Participant', value: 'participant' },
          { label: 'Visitor', value: 'visitor' },
        ],
      }),
      formField('muc#roomconfig_roomadmins', 'jid-multi', {
        label: 'Admins',
        values: ['bob@example.org'],
      }),
    ],
  });
}

function backendWithDev(rooms: RoomView[] = [ownedRoom()]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.rooms = rooms;
  backend.roomConfigs.set(DEV, devForm());
  return backend;
}

async function openRoom(): Promise<HTMLElement> {
  renderApp();
  await fireEvent.click(await screen.findByTestId(`room-${DEV}`));
  return screen.findByTestId('chat-view');
}

/** Opens the room and its settings, and waits for the form. */
async function openSettings(): Promise<HTMLDialogElement> {
  const chat = await openRoom();
  await fireEvent.click(within(chat).getByTestId('room-settings'));
  const dialog = screen.getByTestId<HTMLDialogElement>('room-settings-dialog');
  expect(dialog.open).toBe(true);
  await within(dialog).findByTestId('room-settings-save');
  return dialog;
}

function field<E extends HTMLElement = HTMLInputElement>(name: string): E {
  return screen.getByTestId<E>(`room-config-${name}`);
}

describe('room settings', () => {
  test('only an owner of the room, in it, gets the Settings button', async () => {
    const backend = backendWithDev([memberRoom()]);
    const chat = await openRoom();
    expect(within(chat).getByTestId('invite-to-room'), 'the header is there').toBeTruthy();
    expect(within(chat).queryByTestId('room-settings'), 'bob owns it, not alice').toBeNull();

    // Made an owner: the room says so with a presence, which reloads the room.
    backend.rooms = [ownedRoom()];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    const button = await within(chat).findByTestId('room-settings');
    expect(button.textContent?.trim()).toBe('Settings');
    expect(button.getAttribute('aria-label')).toBe('Settings of dev');
    expect(button.getAttribute('aria-haspopup')).toBe('dialog');

    // Out of the room (say the account went offline), nothing can be configured.
    backend.rooms = [room(DEV, { state: roomState({ joined: false, occupants: [] }) })];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() => expect(within(chat).queryByTestId('room-settings')).toBeNull());
    expect(backend.callsOf('room_config'), 'nothing asked without a click').toEqual([]);
  });

  test('opening asks for the form and draws its fields with their values, remote text as text', async () => {
    const backend = backendWithDev();
    let answer: (form: RoomConfigForm) => void = () => undefined;
    backend.on('room_config', () => new Promise<RoomConfigForm>((resolve) => (answer = resolve)));
    const chat = await openRoom();
    await fireEvent.click(within(chat).getByTestId('room-settings'));
    const dialog = screen.getByTestId<HTMLDialogElement>('room-settings-dialog');
    expect(dialog.open).toBe(true);
    expect(within(dialog).getByRole('heading', { level: 2 }).textContent).toBe('Settings of dev');
    expect(within(dialog).getByTestId('room-settings-loading').textContent).toBe('Loading…');
    expect(within(dialog).queryByTestId('room-settings-save'), 'nothing to save yet').toBeNull();
    expect(backend.callsOf('room_config')).toEqual([{ accountId: ALICE.id, room: DEV }]);

    answer(devForm());
    await within(dialog).findByTestId('room-settings-save');
    expect(within(dialog).queryByTestId('room-settings-loading')).toBeNull();
    expect(within(dialog).getByTestId('room-config-title').textContent).toBe(`Configuration for ${XSS}`);
    expect(within(dialog).getByTestId('room-config-instructions').textContent).toBe(
      'Complete and submit this form.',
    );
    expect(within(dialog).getByTestId('room-config-fixed').textContent).toBe('Room information');
    expect(within(dialog).queryByTestId('room-config-FORM_TYPE'), 'hidden fields are not shown').toBeNull();

    const name = field('muc#roomconfig_roomname');
    expect(name.type).toBe('text');
    expect(name.value).toBe('Dev');
    expect(within(dialog).getByLabelText('Title')).toBe(name);
    await waitFor(() => expect(document.activeElement, 'ready to edit the first field').toBe(name));

    const persistent = field('muc#roomconfig_persistentroom');
    expect(persistent.type).toBe('checkbox');
    expect(persistent.checked, '"1" is checked').toBe(true);
    expect(within(dialog).getByLabelText('Persistent (room persists even if last participant leaves)')).toBe(
      persistent,
    );
    expect(field('muc#roomconfig_publicroom').checked, '"0" is not').toBe(false);

    const whois = field<HTMLSelectElement>('muc#roomconfig_whois');
    expect(whois.value).toBe('moderators');
    expect(within(whois).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Moderators only',
      'Anyone',
    ]);
    expect(field('muc#roomconfig_roomsecret').type).toBe('password');
    expect(field<HTMLTextAreaElement>('muc#roomconfig_roomadmins').value).toBe('bob@example.org');
    const broadcast = field<HTMLFieldSetElement>('muc#roomconfig_presencebroadcast');
    expect(
      within(broadcast)
        .getAllByRole<HTMLInputElement>('checkbox')
        .map((c) => [c.dataset['value'], c.checked]),
    ).toEqual([
      ['moderator', true],
      ['participant', true],
      ['visitor', false],
    ]);

    // A label and help that look like HTML are text, tied to their field.
    const desc = field('muc#roomconfig_roomdesc');
    expect(within(dialog).getByLabelText(XSS)).toBe(desc);
    const help = document.getElementById(desc.getAttribute('aria-describedby') ?? '');
    expect(help?.textContent).toBe(`What the room is about, ${XSS}`);
    expect(document.querySelector('img'), 'no element from the room’s text').toBeNull();
  });

  test('Save submits every field but the fixed ones, with the edits, and closes', async () => {
    const backend = backendWithDev();
    const dialog = await openSettings();
    await fireEvent.input(field('muc#roomconfig_roomname'), { target: { value: 'Dev team' } });
    await fireEvent.click(field('muc#roomconfig_publicroom'));
    await fireEvent.change(field('muc#roomconfig_whois'), { target: { value: 'anyone' } });
    const broadcast = field<HTMLFieldSetElement>('muc#roomconfig_presencebroadcast');
    await fireEvent.click(within(broadcast).getByLabelText('Visitor'));
    await fireEvent.click(screen.getByTestId('room-settings-save'));

    await waitFor(() =>
      expect(backend.callsOf('set_room_config')).toEqual([
        {
          accountId: ALICE.id,
          room: DEV,
          fields: [
            { var: 'FORM_TYPE', values: [ROOMCONFIG] },
            { var: 'muc#roomconfig_roomname', values: ['Dev team'] },
            { var: 'muc#roomconfig_roomdesc', values: [] },
            { var: 'muc#roomconfig_persistentroom', values: ['1'] },
            { var: 'muc#roomconfig_publicroom', values: ['1'] },
            { var: 'muc#roomconfig_whois', values: ['anyone'] },
            { var: 'muc#roomconfig_roomsecret', values: [] },
            { var: 'muc#roomconfig_presencebroadcast', values: ['moderator', 'participant', 'visitor'] },
            { var: 'muc#roomconfig_roomadmins', values: ['bob@example.org'] },
          ],
        },
      ]),
    );
    await waitFor(() => expect(dialog.open).toBe(false));
    expect(screen.queryByTestId('room-settings-error')).toBeNull();

    // Opening again asks the room, which now has the new settings.
    await fireEvent.click(screen.getByTestId('room-settings'));
    await within(dialog).findByTestId('room-settings-save');
    expect(backend.callsOf('room_config')).toHaveLength(2);
    expect(field('muc#roomconfig_roomname').value).toBe('Dev team');
    expect(field('muc#roomconfig_publicroom').checked).toBe(true);
  });

  test('a refused save is said in words and keeps the dialog open with the edits', async () => {
    const backend = backendWithDev();
    backend.on('set_room_config', () => {
      throw { code: 'server_error', message: 'The room name is too long.' };
    });
    const dialog = await openSettings();
    await fireEvent.input(field('muc#roomconfig_roomname'), { target: { value: 'Dev team' } });
    await fireEvent.click(field('muc#roomconfig_publicroom'));
    await fireEvent.click(screen.getByTestId('room-settings-save'));

    const error = await within(dialog).findByTestId('room-settings-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain('The room refused');
    expect(error.textContent, 'the room’s own words').toContain('The room name is too long.');
    expect(backend.callsOf('set_room_config')).toHaveLength(1);
    expect(dialog.open).toBe(true);
    expect(field('muc#roomconfig_roomname').value).toBe('Dev team');
    expect(field('muc#roomconfig_publicroom').checked).toBe(true);
    expect(screen.getByTestId<HTMLButtonElement>('room-settings-save').disabled, 'can try again').toBe(false);
  });

  test('Cancel closes without saving; the next opening starts from the room’s settings', async () => {
    const backend = backendWithDev();
    const dialog = await openSettings();
    await fireEvent.input(field('muc#roomconfig_roomname'), { target: { value: 'Scratch' } });
    await fireEvent.click(screen.getByTestId('room-settings-cancel'));
    expect(dialog.open).toBe(false);
    expect(backend.callsOf('set_room_config')).toEqual([]);

    await fireEvent.click(screen.getByTestId('room-settings'));
    await within(dialog).findByTestId('room-settings-save');
    expect(field('muc#roomconfig_roomname').value).toBe('Dev');
  });

  test('a room that refuses its form says why, with nothing to save', async () => {
    const backend = backendWithDev();
    backend.on('room_config', () => {
      throw { code: 'server_error', message: "Only the room's owners can change its settings." };
    });
    const chat = await openRoom();
    await fireEvent.click(within(chat).getByTestId('room-settings'));
    const dialog = screen.getByTestId<HTMLDialogElement>('room-settings-dialog');
    const error = await within(dialog).findByTestId('room-settings-error');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain("Only the room's owners can change its settings.");
    expect(within(dialog).queryByTestId('room-settings-save')).toBeNull();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(dialog.open).toBe(false);
    expect(backend.callsOf('set_room_config')).toEqual([]);
  });
});

describe('a new room locked until set up', () => {
  function rowStatus(): string | null | undefined {
    return within(screen.getByTestId(`room-${DEV}`)).getByTestId('room-status').textContent;
  }

  /** Opens the room's chat from its row in the app already shown. */
  async function showRoom(): Promise<HTMLElement> {
    await fireEvent.click(await screen.findByTestId(`room-${DEV}`));
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe(DEV);
    return chat;
  }

  test('creating it leads straight into its settings; saving them unlocks it', async () => {
    const backend = backendWithDev([]);
    renderApp();
    await fireEvent.click(await screen.findByTestId('join-room'));
    const join = screen.getByTestId<HTMLDialogElement>('join-room-dialog');
    await fireEvent.input(within(join).getByTestId('join-room-address'), { target: { value: DEV } });
    await fireEvent.click(within(join).getByTestId('join-room-configure'));
    await fireEvent.click(within(join).getByTestId('join-room-submit'));
    await waitFor(() =>
      expect(backend.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: DEV, nick: 'alice', password: null, configureFirst: true },
      ]),
    );
    await waitFor(() => expect(join.open).toBe(false));
    const chat = await screen.findByTestId('chat-view');
    const dialog = await screen.findByTestId<HTMLDialogElement>('room-settings-dialog');
    expect(dialog.open, 'not while the room is being joined').toBe(false);
    expect(within(chat).getByTestId('room-notice').textContent?.trim()).toBe('Joining the room…');

    // The join created the room, which the backend keeps locked.
    backend.rooms = [lockedRoom()];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() => expect(dialog.open, 'the settings open by themselves').toBe(true));
    await within(dialog).findByTestId('room-settings-save');
    expect(backend.callsOf('room_config')).toEqual([{ accountId: ALICE.id, room: DEV }]);
    const notice = within(chat).getByTestId('room-notice');
    expect(within(notice).getByRole('status').textContent).toBe(LOCKED);
    expect(rowStatus()).toBe('Locked until you save its settings');

    await fireEvent.input(field('muc#roomconfig_roomname'), { target: { value: 'Dev team' } });
    await fireEvent.click(screen.getByTestId('room-settings-save'));
    await waitFor(() => expect(backend.callsOf('set_room_config')).toHaveLength(1));
    await waitFor(() => expect(dialog.open).toBe(false));

    // The backend unlocks the room and says so with a room event.
    expect(backend.rooms[0]?.state.awaiting_configuration).toBe(false);
    await waitFor(() => expect(within(chat).queryByTestId('room-notice')).toBeNull());
    expect(rowStatus()).toBe('Joined as alice');
    expect(within(chat).queryByTestId('room-configure-now')).toBeNull();
    expect(dialog.open, 'nothing opens again').toBe(false);
    expect(backend.callsOf('room_config')).toHaveLength(1);
  });

  test('closed, the settings do not come back by themselves; "Set up the room" opens them', async () => {
    const backend = backendWithDev([lockedRoom()]);
    backend.conversations = [conversation(BOB)];
    renderApp();
    expect(
      within(await screen.findByTestId(`room-${DEV}`)).getByTestId('room-status').textContent,
    ).toBe('Locked until you save its settings');
    expect(backend.callsOf('room_config'), 'nothing asked before the room is opened').toEqual([]);

    const chat = await showRoom();
    let dialog = screen.getByTestId<HTMLDialogElement>('room-settings-dialog');
    await waitFor(() => expect(dialog.open, 'opened by itself').toBe(true));
    await within(dialog).findByTestId('room-settings-save');
    const notice = within(chat).getByTestId('room-notice');
    expect(within(notice).getByRole('status').textContent).toBe(LOCKED);
    await fireEvent.click(screen.getByTestId('room-settings-cancel'));
    expect(dialog.open).toBe(false);

    // Another change in the room (still locked): not again.
    backend.rooms = [room(DEV, { state: { ...lockedRoom().state, subject: 'Dev talk' } })];
    await backend.emit('linnet://room', { account_id: ALICE.id, room: DEV });
    await waitFor(() =>
      expect(within(chat).getByTestId('room-subject').textContent?.trim()).toBe('Dev talk'),
    );
    expect(dialog.open).toBe(false);
    expect(rowStatus(), 'locked, whatever the subject').toBe('Locked until you save its settings');

    // Another chat, then the room again: still not.
    await fireEvent.click(screen.getByTestId(`conversation-${BOB}`));
    await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe(BOB));
    const again = await showRoom();
    dialog = screen.getByTestId<HTMLDialogElement>('room-settings-dialog');
    expect(within(again).getByTestId('room-notice')).toBeTruthy();
    expect(dialog.open).toBe(false);
    expect(backend.callsOf('room_config')).toHaveLength(1);

    // The notice's button opens them.
    const setUp = within(again).getByTestId('room-configure-now');
    expect(setUp.textContent?.trim()).toBe('Set up the room');
    expect(setUp.getAttribute('aria-haspopup')).toBe('dialog');
    await fireEvent.click(setUp);
    expect(dialog.open).toBe(true);
    await within(dialog).findByTestId('room-settings-save');
    expect(backend.callsOf('room_config')).toHaveLength(2);
    await fireEvent.click(screen.getByTestId('room-settings-save'));
    await waitFor(() => expect(dialog.open).toBe(false));
    await waitFor(() => expect(within(again).queryByTestId('room-notice')).toBeNull());
    expect(rowStatus()).toBe('Dev talk');
  });
});
