// OMEMO end-to-end encryption (XEP-0384) in the chat: the per-chat toggle with the composer's
// placeholder, the lock on encrypted messages, and the notice for one that could not be
// decrypted.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { MessageView } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  contact,
  conversation,
  encryptionKey,
  fileView,
  message,
  room,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const BOB = 'bob@example.org';
const DEV = 'dev@conference.example.org';
const XSS = '<img src=x onerror=alert(1)>';
const UNDECRYPTABLE =
  'This message was encrypted for another device of yours (OMEMO) and could not be decrypted here.';

function backendWithBob(encryption?: boolean | null): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  if (encryption !== undefined) backend.encryption.set(encryptionKey(ALICE.id, BOB), encryption);
  return backend;
}

async function openBob(): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  return screen.findByTestId('chat-view');
}

function composer(chat: HTMLElement): HTMLTextAreaElement {
  return within(chat).getByTestId<HTMLTextAreaElement>('composer');
}

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .getAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

describe('encryption toggle', () => {
  test('reads the setting as the chat opens: on says "Encrypted (OMEMO)"', async () => {
    const backend = backendWithBob(true);
    renderApp();
    const chat = await openBob();

    const toggle = await within(chat).findByRole('button', { name: 'Encrypted (OMEMO)' });
    expect(backend.callsOf('conversation_encryption')).toEqual([{ accountId: ALICE.id, peer: BOB }]);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(toggle.dataset['encryption']).toBe('on');
    expect(toggle.textContent?.trim()).toBe('Encrypted (OMEMO)');
    expect(toggle.title, 'a tooltip says what a click does').toContain('Click to send them unencrypted');
    expect(composer(chat).placeholder).toBe('Encrypted message');
  });

  test('a click turns it off, and the label and placeholder follow', async () => {
    const backend = backendWithBob(true);
    renderApp();
    const chat = await openBob();
    const toggle = await within(chat).findByTestId('encryption-toggle');

    await fireEvent.click(toggle);
    await waitFor(() =>
      expect(backend.callsOf('set_conversation_encryption')).toEqual([
        { accountId: ALICE.id, peer: BOB, on: false },
      ]),
    );
    expect(toggle.getAttribute('aria-label')).toBe('Not encrypted');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(toggle.textContent?.trim()).toBe('Not encrypted');
    expect(composer(chat).placeholder).toBe('Message');
    await waitFor(() => expect(toggle.getAttribute('aria-busy'), 'the backend answered').toBe('false'));

    await fireEvent.click(within(chat).getByRole('button', { name: 'Not encrypted' }));
    await waitFor(() => expect(backend.callsOf('set_conversation_encryption')[1]?.['on']).toBe(true));
    expect(toggle.getAttribute('aria-label')).toBe('Encrypted (OMEMO)');
    expect(composer(chat).placeholder).toBe('Encrypted message');
  });

  test('undecided shows "Not encrypted" and a click turns it on', async () => {
    const backend = backendWithBob(null);
    renderApp();
    const chat = await openBob();
    const toggle = await within(chat).findByRole('button', { name: 'Not encrypted' });
    expect(toggle.dataset['encryption']).toBe('undecided');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(toggle.title, 'it may turn on by itself').toContain('until Bob writes encrypted');
    expect(composer(chat).placeholder).toBe('Message');

    await fireEvent.click(toggle);
    await waitFor(() =>
      expect(backend.callsOf('set_conversation_encryption')).toEqual([
        { accountId: ALICE.id, peer: BOB, on: true },
      ]),
    );
    expect(toggle.getAttribute('aria-label')).toBe('Encrypted (OMEMO)');
  });

  test('is read again on linnet://conversations (the backend turned it on by itself)', async () => {
    const backend = backendWithBob(null);
    renderApp();
    const chat = await openBob();
    await within(chat).findByRole('button', { name: 'Not encrypted' });

    backend.encryption.set(encryptionKey(ALICE.id, BOB), true);
    await backend.emit('linnet://conversations', {});
    await within(chat).findByRole('button', { name: 'Encrypted (OMEMO)' });
    expect(backend.callsOf('conversation_encryption')).toHaveLength(2);
    expect(composer(chat).placeholder).toBe('Encrypted message');
  });

  test('a refused change goes back and shows why', async () => {
    const backend = backendWithBob(false);
    backend.on('set_conversation_encryption', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const chat = await openBob();
    await fireEvent.click(await within(chat).findByRole('button', { name: 'Not encrypted' }));
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('database is locked');
    const toggle = within(chat).getByTestId('encryption-toggle');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(toggle.getAttribute('aria-label')).toBe('Not encrypted');
  });

  test('what is sent in an encrypted chat is marked encrypted', async () => {
    backendWithBob(true);
    renderApp();
    const chat = await openBob();
    await within(chat).findByRole('button', { name: 'Encrypted (OMEMO)' });
    await fireEvent.input(composer(chat), { target: { value: 'secret' } });
    await fireEvent.keyDown(composer(chat), { key: 'Enter' });
    const sent = await within(chat).findByTestId('message');
    expect(sent.dataset['encryption']).toBe('omemo');
    expect(within(sent).getByTestId('message-encrypted')).toBeTruthy();
  });

  test('a room has the toggle, for every member; a private chat with an occupant has none', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.rooms = [room(DEV)];
    backend.conversations = [conversation(`${DEV}/bob`)];
    renderApp();

    await fireEvent.click(await screen.findByTestId(`room-${DEV}`));
    let chat = await screen.findByTestId('chat-view');
    const toggle = await within(chat).findByTestId('encryption-toggle');
    expect(toggle.title).toContain('for every member');
    await fireEvent.click(toggle);
    await waitFor(() =>
      expect(backend.callsOf('set_conversation_encryption')).toEqual([{ accountId: ALICE.id, peer: DEV, on: true }]),
    );

    await fireEvent.click(screen.getByTestId(`conversation-${DEV}/bob`));
    await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe(`${DEV}/bob`));
    chat = screen.getByTestId('chat-view');
    expect(within(chat).getByTestId('mute-toggle'), 'a one-to-one chat otherwise').toBeTruthy();
    expect(within(chat).queryByTestId('encryption-toggle')).toBeNull();
    expect(composer(chat).placeholder).toBe('Message');
  });
});

describe('encrypted messages', () => {
  test('a lock marks OMEMO messages, legacy and OMEMO 2, received or sent; not the others', async () => {
    const backend = backendWithBob();
    const messages: MessageView[] = [
      message(1, { encryption: 'omemo' }),
      message(2, { encryption: 'omemo2' }),
      message(3, { encryption: 'omemo', outgoing: true, state: 'delivered' }),
      message(4),
    ];
    backend.messages = messages;
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(4));

    for (const id of [1, 2, 3]) {
      const mark = within(row(chat, id)).getByTestId('message-encrypted');
      expect(mark.title, `message ${id}`).toBe('End-to-end encrypted (OMEMO)');
      expect(await within(mark).findByRole('img', { name: 'End-to-end encrypted (OMEMO)' })).toBeTruthy();
      expect(row(chat, id).querySelector('.body')?.textContent, 'the body as ever').toBe(`message ${id}`);
    }
    expect(within(row(chat, 4)).queryByTestId('message-encrypted')).toBeNull();
    expect(row(chat, 4).dataset['encryption']).toBe('none');
  });

  test('one from a distrusted or undecided device is shown with a warning, in words', async () => {
    const backend = backendWithBob();
    backend.messages = [
      message(1, { encryption: 'omemo2', sender_trust: 'untrusted' }),
      message(2, { encryption: 'omemo', sender_trust: 'undecided' }),
      message(3, { encryption: 'omemo', sender_trust: 'blind' }),
      message(4, { encryption: 'omemo2', sender_trust: 'verified' }),
    ];
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(4));

    const warning = (id: number) => within(row(chat, id)).queryByTestId('message-device-warning');
    expect(warning(1)?.textContent?.trim()).toBe('Sent from a device you distrust');
    expect(warning(2)?.textContent?.trim()).toBe('Sent from a new device you have not verified or accepted yet');
    expect(warning(3), 'blind trust: no warning').toBeNull();
    expect(warning(4)).toBeNull();
    for (const id of [1, 2]) {
      expect(row(chat, id).querySelector('.body')?.textContent, 'the text is still shown').toBe(`message ${id}`);
      expect(within(row(chat, id)).getByTestId('message-encrypted')).toBeTruthy();
    }
  });

  test('an encrypted file (aesgcm link) is a card, fetched only on "Download"', async () => {
    const backend = backendWithBob();
    const link =
      'aesgcm://upload.example.org/f/abc/holiday%20photo.jpg#' + '0'.repeat(24) + '1'.repeat(64);
    backend.messages = [
      message(1, {
        encryption: 'omemo',
        body: link,
        file: fileView('holiday photo.jpg', { encrypted: true, media_type: 'image/jpeg', size: 2_400_000 }),
      }),
    ];
    backend.downloads = '/home/me/Downloads';
    renderApp();
    const chat = await openBob();
    const card = await within(chat).findByTestId('file-card-1');
    expect(within(card).getByTestId('file-name-1').textContent).toBe('holiday photo.jpg');
    expect(within(card).getByTestId('file-kind-1').textContent).toBe('JPG image');
    expect(within(card).getByTestId('file-size-1').textContent).toBe('2.4 MB');
    expect(within(card).getByTestId('file-encrypted-1').title).toContain('Encrypted file');
    expect(row(chat, 1).querySelector('.body'), 'the link is not shown as text').toBeNull();
    expect(row(chat, 1).textContent, 'nor anywhere else').not.toContain('aesgcm://');
    expect(backend.callsOf('save_file'), 'nothing fetched on display').toEqual([]);

    await fireEvent.click(within(card).getByTestId('file-download-1'));
    await waitFor(() =>
      expect(within(card).getByTestId('file-saved-1').textContent).toBe(
        'Saved to /home/me/Downloads/holiday photo.jpg',
      ),
    );
    expect(backend.callsOf('save_file')).toEqual([{ messageId: 1 }]);
    await fireEvent.click(within(card).getByTestId('file-show-1'));
    await waitFor(() =>
      expect(backend.callsOf('show_saved_file')).toEqual([{ path: '/home/me/Downloads/holiday photo.jpg' }]),
    );
  });

  test('an encrypted file that cannot be fetched says why', async () => {
    const backend = backendWithBob();
    backend.messages = [
      message(1, {
        encryption: 'omemo',
        body: 'aesgcm://up.example.org/x.bin#' + '0'.repeat(88),
        file: fileView('x.bin', { encrypted: true }),
      }),
    ];
    backend.on('save_file', () => {
      throw { code: 'file', message: 'The file could not be decrypted: it was changed on the way.' };
    });
    renderApp();
    const chat = await openBob();
    await fireEvent.click(await within(chat).findByTestId('file-download-1'));
    expect((await within(chat).findByTestId('file-error-1')).textContent).toContain('could not be decrypted');
    expect(within(chat).getByTestId('file-download-1').textContent?.trim(), 'it can be tried again').toBe('Download');
  });

  test('one that could not be decrypted shows the explanation as a notice, as text', async () => {
    const backend = backendWithBob();
    backend.messages = [
      message(1, { encryption: 'undecryptable', body: UNDECRYPTABLE }),
      message(2, { encryption: 'undecryptable', body: XSS }),
    ];
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(2));

    const first = row(chat, 1);
    expect(first.dataset['encryption']).toBe('undecryptable');
    const notice = within(first).getByTestId('message-undecryptable');
    expect(notice.textContent?.trim()).toBe(UNDECRYPTABLE);
    expect(notice.classList.contains('undecryptable')).toBe(true);
    expect(notice.querySelector('svg')?.getAttribute('aria-hidden'), 'a warning sign').toBe('true');
    expect(first.querySelector('.body'), 'not shown as their words').toBeNull();
    expect(within(first).queryByTestId('message-encrypted'), 'no lock: nothing was read').toBeNull();

    const second = within(row(chat, 2)).getByTestId('message-undecryptable');
    expect(second.textContent?.trim()).toBe(XSS);
    expect(document.querySelector('img'), 'no element was created from it').toBeNull();
  });

  test('our own from another device that could not be decrypted cannot be edited', async () => {
    const backend = backendWithBob();
    backend.messages = [
      message(1, { outgoing: true, state: 'sent', body: 'readable' }),
      message(2, { outgoing: true, state: 'sent', encryption: 'undecryptable', body: UNDECRYPTABLE }),
    ];
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(2));
    expect(within(row(chat, 2)).queryByTestId('action-edit')).toBeNull();
    expect(within(row(chat, 1)).getByTestId('action-edit')).toBeTruthy();

    await fireEvent.keyDown(composer(chat), { key: 'ArrowUp' });
    await waitFor(() => expect(composer(chat).value, 'Up edits the readable one').toBe('readable'));
  });
});
