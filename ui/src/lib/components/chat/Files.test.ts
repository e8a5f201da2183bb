// Shared files (XEP-0363 HTTP File Upload): the file card of ours while it uploads (progress,
// Cancel), of received ones (Download only when asked, then Show in folder), failed uploads,
// and sending files: attached, pasted, dropped on the chat.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { emit } from '@tauri-apps/api/event';
import { mockWindows } from '@tauri-apps/api/mocks';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { FileProgressEvent, MessageView } from '../../ipc';
import { ALICE, FakeBackend, contact, conversation, fileView, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { SETTINGS_KEY } from '../../stores/settings.svelte';

const BOB = 'bob@example.org';
const XSS = '<img src=x onerror=alert(1)>.png';

function backendWith(messages: MessageView[] = []): FakeBackend {
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
  await waitFor(() => expect(within(chat).queryAllByTestId('message')).toHaveLength(count));
  return chat;
}

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .getAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

function progress(id: number, done: number, total: number | null, upload = true): FileProgressEvent {
  return { account_id: ALICE.id, peer: BOB, message_id: id, upload, done, total };
}

/** Ours, uploading: its body the file's name until the link is there. */
function uploading(id: number, name: string, size: number | null): MessageView {
  return message(id, {
    outgoing: true,
    state: 'pending',
    body: name,
    file: fileView(name, { size, media_type: 'application/pdf', uploading: true }),
  });
}

/** Base64 (RFC 4648 §4) the long way, three bytes to four letters, to check the app's. */
function referenceBase64(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += alphabet.charAt((n >> 18) & 63) + alphabet.charAt((n >> 12) & 63);
    out += i + 1 < bytes.length ? alphabet.charAt((n >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? alphabet.charAt(n & 63) : '=';
  }
  return out;
}

/** A promise with its resolve function, to hold a command's answer. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('our file while it uploads', () => {
  test('shows the progress the events tell, with the percentage once the size is known', async () => {
    const backend = backendWith([uploading(1, 'report.pdf', 3_100_000)]);
    renderApp();
    const chat = await openBob(1);
    const card = within(chat).getByTestId('file-card-1');
    expect(within(card).getByTestId('file-name-1').textContent).toBe('report.pdf');
    expect(within(card).getByTestId('file-kind-1').textContent).toBe('PDF document');
    expect(within(card).getByTestId('file-size-1').textContent).toBe('3.1 MB');
    expect(row(chat, 1).querySelector('.body'), 'the card, not the body').toBeNull();
    const bar = within(card).getByTestId<HTMLProgressElement>('file-progress-1');
    expect(bar.hasAttribute('value'), 'indeterminate before any progress').toBe(false);
    expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe('Uploading…');

    await backend.emit('linnet://file-progress', progress(1, 1_300_000, 3_100_000));
    await waitFor(() =>
      expect(within(card).getByTestId<HTMLProgressElement>('file-progress-1').getAttribute('value')).toBe('41'),
    );
    expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe(
      'Uploading… 41% (1.3 MB of 3.1 MB)',
    );
    expect(within(card).getByTestId('file-progress-1').getAttribute('aria-label')).toBe('Uploading report.pdf');

    await backend.emit('linnet://file-progress', progress(2, 50, 100));
    expect(within(card).getByTestId('file-progress-1').getAttribute('value'), 'another message’s').toBe('41');

    // Done: the progress is forgotten; the row then arrives uploaded, with its link.
    await backend.emit('linnet://file-progress', progress(1, 3_100_000, 3_100_000));
    await waitFor(() => expect(within(card).getByTestId('file-progress-1').hasAttribute('value')).toBe(false));
    const uploaded: MessageView = {
      ...uploading(1, 'report.pdf', 3_100_000),
      state: 'sent',
      body: 'https://upload.example.org/a/report.pdf',
      file: fileView('report.pdf', { size: 3_100_000, media_type: 'application/pdf' }),
    };
    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [uploaded] });
    await waitFor(() => expect(within(chat).queryByTestId('file-progress-1')).toBeNull());
    expect(within(chat).queryByTestId('file-cancel-1')).toBeNull();
    expect(row(chat, 1).textContent, 'the link is not shown').not.toContain('https://');
  });

  test('without a known size, the bytes so far', async () => {
    const backend = backendWith([uploading(1, 'notes.pdf', null)]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).queryByTestId('file-size-1')).toBeNull();
    await backend.emit('linnet://file-progress', progress(1, 512_000, null));
    await waitFor(() =>
      expect(within(chat).getByTestId('file-status-1').textContent?.trim()).toBe('Uploading… 512.0 kB'),
    );
    expect(within(chat).getByTestId('file-progress-1').hasAttribute('value')).toBe(false);
  });

  test('Cancel calls cancel_upload; the message then fails, and Retry sends it again', async () => {
    const backend = backendWith([uploading(1, 'report.pdf', 3_100_000)]);
    renderApp();
    const chat = await openBob(1);
    await backend.emit('linnet://file-progress', progress(1, 300_000, 3_100_000));

    await fireEvent.click(within(chat).getByTestId('file-cancel-1'));
    await waitFor(() => expect(backend.callsOf('cancel_upload')).toEqual([{ messageId: 1 }]));
    await waitFor(() => expect(row(chat, 1).dataset['state']).toBe('failed'));
    expect(within(row(chat, 1)).getByTestId('send-state').textContent?.trim()).toBe('Not sent: Upload cancelled.');
    expect(within(chat).queryByTestId('file-progress-1')).toBeNull();
    expect(within(chat).queryByTestId('file-cancel-1')).toBeNull();
    expect(within(chat).queryByTestId('file-download-1'), 'ours, not sent: nothing to download').toBeNull();
    expect(within(chat).getByTestId('file-card-1'), 'the file is still named').toBeTruthy();

    await fireEvent.click(within(row(chat, 1)).getByTestId('retry-message'));
    await waitFor(() => expect(backend.callsOf('retry_message')).toEqual([{ accountId: ALICE.id, id: 1 }]));
    await waitFor(() => expect(within(chat).getByTestId('file-cancel-1')).toBeTruthy());
    const bar = within(chat).getByTestId('file-progress-1');
    expect(bar.hasAttribute('value'), 'the old progress is gone').toBe(false);
  });

  test('a refused cancel says why', async () => {
    const backend = backendWith([uploading(1, 'report.pdf', 3_100_000)]);
    backend.on('cancel_upload', () => {
      throw { code: 'file', message: 'The upload is already done.' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-cancel-1'));
    expect((await within(chat).findByTestId('file-error-1')).textContent).toBe('The upload is already done.');
  });
});

describe('our sent file', () => {
  test('has no Edit: its body is only the link; Up edits the text before it', async () => {
    backendWith([
      message(1, { outgoing: true, state: 'sent', body: 'look at this' }),
      message(2, {
        outgoing: true,
        state: 'sent',
        body: 'https://upload.example.org/a/report.pdf',
        file: fileView('report.pdf'),
      }),
    ]);
    renderApp();
    const chat = await openBob(2);
    expect(within(row(chat, 2)).queryByTestId('action-edit')).toBeNull();
    expect(within(row(chat, 2)).getByTestId('action-reply'), 'but it can be answered').toBeTruthy();
    const composer = within(chat).getByTestId<HTMLTextAreaElement>('composer');
    await fireEvent.keyDown(composer, { key: 'ArrowUp' });
    await waitFor(() => expect(composer.value).toBe('look at this'));
  });

  test('sent from here offers no Download; one from our other device does', async () => {
    backendWith([
      message(1, {
        outgoing: true,
        state: 'sent',
        body: 'https://upload.example.org/a/here.pdf',
        file: fileView('here.pdf', { sent_from_here: true }),
      }),
      message(2, {
        outgoing: true,
        state: 'sent',
        body: 'https://upload.example.org/a/phone.pdf',
        file: fileView('phone.pdf'),
      }),
    ]);
    renderApp();
    const chat = await openBob(2);
    expect(within(chat).queryByTestId('file-download-1'), 'the file is on this computer').toBeNull();
    expect(within(chat).getByTestId('file-download-2')).toBeTruthy();
  });
});

describe('a failed upload', () => {
  test('shows its error in words, with the usual Retry', async () => {
    const backend = backendWith([
      message(1, {
        outgoing: true,
        state: 'failed',
        error: 'The file is 134.2 MB; your server takes files up to 67.1 MB.',
        body: 'film.mkv',
        file: fileView('film.mkv', { size: 134_200_000, uploading: true }),
      }),
    ]);
    renderApp();
    const chat = await openBob(1);
    const failedRow = row(chat, 1);
    expect(within(failedRow).getByTestId('send-state').textContent?.trim()).toBe(
      'Not sent: The file is 134.2 MB; your server takes files up to 67.1 MB.',
    );
    const card = within(failedRow).getByTestId('file-card-1');
    expect(within(card).getByTestId('file-kind-1').textContent).toBe('MKV video');
    expect(within(card).getByTestId('file-size-1').textContent).toBe('134.2 MB');
    expect(within(card).queryByTestId('file-progress-1')).toBeNull();
    expect(within(card).queryByTestId('file-cancel-1')).toBeNull();

    await fireEvent.click(within(failedRow).getByTestId('retry-message'));
    await waitFor(() => expect(backend.callsOf('retry_message')).toEqual([{ accountId: ALICE.id, id: 1 }]));
  });
});

describe('a received file', () => {
  const received = (overrides: Partial<MessageView> = {}): MessageView =>
    message(1, {
      body: 'https://upload.example.org/x/holiday.jpg',
      file: fileView('holiday.jpg', { size: 2_400_000, media_type: 'image/jpeg' }),
      ...overrides,
    });

  test('is not downloaded on display; Download saves it with progress, then Show in folder', async () => {
    const backend = backendWith([received()]);
    const answer = deferred<string>();
    backend.on('save_file', () => answer.promise);
    renderApp();
    const chat = await openBob(1);
    const card = within(chat).getByTestId('file-card-1');
    expect(within(card).getByTestId('file-kind-1').textContent).toBe('JPG image');
    expect(within(card).queryByTestId('file-encrypted-1'), 'not encrypted').toBeNull();
    expect(within(card).queryByTestId('file-progress-1')).toBeNull();
    expect(within(card).queryByTestId('file-show-1')).toBeNull();
    // The preview comes from the shell's protocol (made by the engine, only for contacts),
    // never from the sender's link.
    const images = [...document.querySelectorAll('img')].map((img) => img.getAttribute('src'));
    expect(images).toEqual(['linnet-preview://localhost/1']);
    expect(backend.callsOf('save_file'), 'nothing fetched on display').toEqual([]);

    await fireEvent.click(within(card).getByTestId('file-download-1'));
    expect(backend.callsOf('save_file')).toEqual([{ messageId: 1 }]);
    const button = within(card).getByTestId('file-download-1');
    expect(button.textContent?.trim()).toBe('Downloading…');
    expect(button.getAttribute('aria-disabled')).toBe('true');
    await fireEvent.click(button);
    expect(backend.callsOf('save_file'), 'once at a time').toHaveLength(1);

    await backend.emit('linnet://file-progress', progress(1, 600_000, 2_400_000, false));
    await waitFor(() => expect(within(card).getByTestId('file-progress-1').getAttribute('value')).toBe('25'));
    expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe(
      'Downloading… 25% (600.0 kB of 2.4 MB)',
    );

    answer.resolve('/home/alice/Downloads/holiday (2).jpg');
    await waitFor(() =>
      expect(within(card).getByTestId('file-saved-1').textContent).toBe(
        'Saved to /home/alice/Downloads/holiday (2).jpg',
      ),
    );
    expect(within(card).queryByTestId('file-progress-1')).toBeNull();
    expect(within(card).queryByTestId('file-download-1')).toBeNull();
    await fireEvent.click(within(card).getByTestId('file-show-1'));
    await waitFor(() =>
      expect(backend.callsOf('show_saved_file')).toEqual([{ path: '/home/alice/Downloads/holiday (2).jpg' }]),
    );
  });

  test('the backend’s saved row keeps "Show in folder" (linnet://messages)', async () => {
    const backend = backendWith([received()]);
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-download-1'));
    await waitFor(() => expect(within(chat).getByTestId('file-show-1')).toBeTruthy());
    expect(backend.messages[0]?.file?.saved_path).toBe('/home/alice/Downloads/holiday.jpg');
  });

  test('one saved before offers Show in folder with its saved path, and no download', async () => {
    const backend = backendWith([
      received({ file: fileView('holiday.jpg', { saved_path: '/home/alice/Downloads/holiday.jpg' }) }),
    ]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).queryByTestId('file-download-1')).toBeNull();
    await fireEvent.click(within(chat).getByTestId('file-show-1'));
    await waitFor(() =>
      expect(backend.callsOf('show_saved_file')).toEqual([{ path: '/home/alice/Downloads/holiday.jpg' }]),
    );
    expect(backend.callsOf('save_file')).toEqual([]);
  });

  test('a failed download says why, and can be tried again', async () => {
    const backend = backendWith([received()]);
    backend.on('save_file', () => {
      throw { code: 'file', message: 'The server answered 404 Not Found.' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-download-1'));
    const error = await within(chat).findByTestId('file-error-1');
    expect(error.textContent).toBe('The server answered 404 Not Found.');
    expect(error.getAttribute('role')).toBe('alert');
    expect(within(chat).getByTestId('file-download-1').textContent?.trim()).toBe('Download');
  });

  test('its name and type are text, never markup', async () => {
    backendWith([received({ file: fileView(XSS, { media_type: '<b>image/png</b>' }) })]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).getByTestId('file-name-1').textContent).toBe(XSS);
    // The only image is our own preview element (the name ends in .png), none made from it.
    const images = [...document.querySelectorAll('img')];
    expect(images.map((img) => img.getAttribute('src'))).toEqual(['linnet-preview://localhost/1']);
    expect(images[0]?.getAttribute('onerror'), 'no handler from the name').toBeNull();
    expect(document.querySelector('.file b')).toBeNull();
  });
});

describe('save as', () => {
  test('asks where, saves there and shows it; a cancelled dialog changes nothing', async () => {
    const backend = backendWith([
      message(1, {
        body: 'https://upload.example.org/x/notes.pdf',
        file: fileView('notes.pdf', { size: 1000, media_type: 'application/pdf' }),
      }),
    ]);
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-save-as-1'));
    await waitFor(() => expect(backend.callsOf('save_file_as')).toEqual([{ messageId: 1 }]));
    expect(within(chat).queryByTestId('file-show-1'), 'cancelled: nothing saved').toBeNull();
    expect(within(chat).getByTestId('file-download-1')).toBeTruthy();

    backend.on('save_file_as', () => '/home/me/Documents/notes from bob.pdf');
    await fireEvent.click(within(chat).getByTestId('file-save-as-1'));
    await fireEvent.click(await within(chat).findByTestId('file-show-1'));
    expect(backend.callsOf('show_saved_file')).toEqual([{ path: '/home/me/Documents/notes from bob.pdf' }]);
    expect(backend.callsOf('save_file'), 'not into Downloads').toEqual([]);
  });
});

describe('images shown by themselves', () => {
  const image = (id: number, size: number): MessageView =>
    message(id, {
      body: `https://upload.example.org/x/${id}.jpg`,
      file: fileView(`${id}.jpg`, { size, media_type: 'image/jpeg' }),
    });

  test('up to the size the settings say; larger ones after "Show image"', async () => {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ autoImageBytes: 1_000_000 }));
    backendWith([image(1, 400_000), image(2, 3_000_000)]);
    renderApp();
    const chat = await openBob(2);
    expect(within(chat).getByTestId('file-preview-1').getAttribute('src')).toBe(
      'linnet-preview://localhost/1',
    );
    expect(within(chat).queryByTestId('file-preview-2'), 'not fetched').toBeNull();
    await fireEvent.click(within(chat).getByTestId('file-show-image-2'));
    expect(within(chat).getByTestId('file-preview-2').getAttribute('src')).toContain('show');
    localStorage.removeItem(SETTINGS_KEY);
  });

  test('one not fetched shows the thumbnail its sender sent, gone when there is none', async () => {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ autoImageBytes: 0 }));
    backendWith([image(1, 400_000), image(2, 400_000)]);
    renderApp();
    const chat = await openBob(2);
    const thumb = within(chat).getByTestId('file-thumbnail-1');
    expect(thumb.getAttribute('src'), 'nothing fetched: the message carried it').toBe(
      'linnet-preview://localhost/1?thumb',
    );
    expect(within(chat).getByTestId('file-show-image-1')).toBeTruthy();
    await fireEvent.error(within(chat).getByTestId('file-thumbnail-2'));
    expect(within(chat).queryByTestId('file-thumbnail-2')).toBeNull();
    await fireEvent.click(within(chat).getByTestId('file-show-image-1'));
    expect(within(chat).queryByTestId('file-thumbnail-1'), 'the image instead').toBeNull();
    expect(within(chat).getByTestId('file-preview-1')).toBeTruthy();
    localStorage.removeItem(SETTINGS_KEY);
  });

  test('"Never" fetches none by itself; the setting is in the settings dialog', async () => {
    localStorage.removeItem(SETTINGS_KEY);
    backendWith([image(1, 400_000)]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).getByTestId('file-preview-1')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('open-settings'));
    const select = screen.getByTestId('setting-auto-images') as HTMLSelectElement;
    expect(select.value).toBe(String(16 * 1024 * 1024));
    await fireEvent.change(select, { target: { value: '0' } });
    await waitFor(() => expect(within(chat).queryByTestId('file-preview-1')).toBeNull());
    expect(within(chat).getByTestId('file-show-image-1')).toBeTruthy();
    expect(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}')).toMatchObject({ autoImageBytes: 0 });
    localStorage.removeItem(SETTINGS_KEY);
  });
});

describe('an image preview', () => {
  test('is shown from the preview protocol and goes away when the shell has none', async () => {
    backendWith([
      message(1, {
        body: 'https://upload.example.org/x/view.png',
        file: fileView('view.png', { size: 90_000, media_type: 'image/png' }),
      }),
      message(2, {
        body: 'https://upload.example.org/x/report.pdf',
        file: fileView('report.pdf', { size: 90_000, media_type: 'application/pdf' }),
      }),
    ]);
    renderApp();
    const chat = await openBob(2);
    const preview = within(chat).getByTestId('file-preview-1') as HTMLImageElement;
    expect(preview.getAttribute('src')).toBe('linnet-preview://localhost/1');
    expect(preview.getAttribute('alt')).toBe('Preview of view.png');
    expect(within(chat).queryByTestId('file-preview-2'), 'no preview of a PDF').toBeNull();
    await fireEvent.error(preview);
    expect(within(chat).queryByTestId('file-preview-1'), 'a 404 leaves the card').toBeNull();
    expect(within(chat).getByTestId('file-download-1')).toBeTruthy();
    // "Show image": the user asks, and the shell may fetch it (a stranger's, a room's).
    await fireEvent.click(within(chat).getByTestId('file-show-image-1'));
    const asked = within(chat).getByTestId('file-preview-1');
    expect(asked.getAttribute('src')).toBe('linnet-preview://localhost/1?show');
    await fireEvent.error(asked);
    expect(within(chat).queryByTestId('file-preview-1')).toBeNull();
    expect(within(chat).queryByTestId('file-show-image-1'), 'asked once: no loop').toBeNull();
  });
});

/** The send dialog's Send, once the dialog lists `count` files. */
async function confirmSend(count: number, button = 'send-files-send'): Promise<HTMLElement> {
  await screen.findByTestId(`send-file-${count - 1}`);
  expect(screen.queryByTestId(`send-file-${count}`)).toBeNull();
  const dialog = screen.getByTestId('send-files-dialog');
  await fireEvent.click(within(dialog).getByTestId(button));
  return dialog;
}

describe('sending files', () => {
  test('"Attach files" shows what the dialog picked first; Send sends it to the open chat', async () => {
    const backend = backendWith();
    backend.picked = ['/home/alice/Pictures/cat.png', '/home/alice/notes.txt'];
    renderApp();
    const chat = await openBob(0);
    const attach = within(chat).getByRole('button', { name: 'Attach files' });
    expect(attach.dataset['testid']).toBe('composer-attach');

    await fireEvent.click(attach);
    await waitFor(() => expect(backend.callsOf('pick_files')).toHaveLength(1));
    const dialog = await screen.findByTestId('send-files-dialog');
    await waitFor(() => expect(within(dialog).getByTestId('send-file-1').textContent).toContain('notes.txt'));
    expect(within(dialog).getByText('Send 2 files to Bob')).toBeTruthy();
    expect((within(dialog).getByTestId('send-files-strip') as HTMLInputElement).checked, 'on by default').toBe(true);
    expect(backend.callsOf('send_file'), 'nothing sent before Send').toEqual([]);
    await confirmSend(2);
    await waitFor(() =>
      expect(backend.callsOf('send_file')).toEqual([
        { accountId: ALICE.id, to: BOB, path: '/home/alice/Pictures/cat.png', keepMetadata: false },
        { accountId: ALICE.id, to: BOB, path: '/home/alice/notes.txt', keepMetadata: false },
      ]),
    );
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(2));
    const [first, second] = backend.messages;
    expect(within(chat).getByTestId(`file-name-${first?.id}`).textContent).toBe('cat.png');
    expect(within(chat).getByTestId(`file-name-${second?.id}`).textContent).toBe('notes.txt');
    expect(within(chat).getByTestId(`file-cancel-${first?.id}`), 'uploading').toBeTruthy();
  });

  test('unticked, photos keep their metadata; Cancel sends nothing', async () => {
    const backend = backendWith();
    backend.picked = ['/home/alice/Pictures/cat.jpg'];
    renderApp();
    const chat = await openBob(0);
    await fireEvent.click(within(chat).getByTestId('composer-attach'));
    let dialog = await screen.findByTestId('send-files-dialog');
    await waitFor(() => expect(within(dialog).queryByTestId('send-file-0')).not.toBeNull());
    await fireEvent.click(within(dialog).getByTestId('send-files-cancel'));
    await waitFor(() => expect(within(dialog).queryByTestId('send-file-0')).toBeNull());
    expect(backend.callsOf('send_file')).toEqual([]);

    await fireEvent.click(within(chat).getByTestId('composer-attach'));
    dialog = await screen.findByTestId('send-files-dialog');
    await waitFor(() => expect(within(dialog).queryByTestId('send-file-0')).not.toBeNull());
    await fireEvent.click(within(dialog).getByTestId('send-files-strip'));
    await confirmSend(1);
    await waitFor(() =>
      expect(backend.callsOf('send_file')).toEqual([
        { accountId: ALICE.id, to: BOB, path: '/home/alice/Pictures/cat.jpg', keepMetadata: true },
      ]),
    );
  });

  test('a dialog that fails says why; one cancelled sends nothing', async () => {
    const backend = backendWith();
    renderApp();
    const chat = await openBob(0);
    const attach = within(chat).getByTestId('composer-attach');
    await fireEvent.click(attach);
    await waitFor(() => expect(backend.callsOf('pick_files')).toHaveLength(1));
    await waitFor(() => expect(attach.getAttribute('aria-disabled'), 'the dialog closed').toBe('false'));
    expect(within(chat).queryAllByTestId('message')).toHaveLength(0);
    expect(within(chat).queryByTestId('file-send-error')).toBeNull();
    expect(screen.queryByTestId('send-file-0'), 'nothing to confirm').toBeNull();

    backend.on('pick_files', () => {
      throw { code: 'not_connected', message: 'account is not connected' };
    });
    await fireEvent.click(attach);
    expect((await within(chat).findByTestId('file-send-error')).textContent).toBe(
      'Could not send the file: account is not connected',
    );
  });

  test('pasting an image sends exactly its bytes, base64, under its name or one from its type', async () => {
    const backend = backendWith();
    renderApp();
    const chat = await openBob(0);
    const composer = within(chat).getByTestId('composer');
    // Past one chunk of the encoder, every byte value.
    const bytes = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 7) % 256);
    const image = new File([bytes], '', { type: 'image/png' });

    const notPrevented = await fireEvent.paste(composer, { clipboardData: { files: [image], items: [] } });
    expect(notPrevented, 'nothing pasted into the input').toBe(false);
    const dialog = await confirmSend(1);
    // The bytes are read and encoded first (70 kB): more than waitFor's default second under load.
    await waitFor(() => expect(backend.callsOf('send_file_data')).toHaveLength(1), { timeout: 5000 });
    expect(backend.callsOf('send_file_data')[0]).toEqual({
      accountId: ALICE.id,
      to: BOB,
      name: 'pasted-image.png',
      data: referenceBase64(bytes),
      keepMetadata: false,
    });
    expect(within(dialog).queryByTestId('send-files-direct'), 'pasted bytes are uploaded').toBeNull();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(1));

    const named = new File([Uint8Array.of(0xff, 0xd8, 0xff)], 'screenshot.jpg', { type: 'image/jpeg' });
    await fireEvent.paste(composer, { clipboardData: { files: [named], items: [] } });
    await confirmSend(1);
    await waitFor(() => expect(backend.callsOf('send_file_data')).toHaveLength(2), { timeout: 5000 });
    expect(backend.callsOf('send_file_data')[1]).toMatchObject({ name: 'screenshot.jpg', data: '/9j/' });
  });

  test('images show their picture before they go: pasted from a blob, picked from the shell', async () => {
    const backend = backendWith();
    backend.picked = ['/home/alice/Pictures/cat.png', '/home/alice/notes.txt'];
    const made: Blob[] = [];
    const revoked: string[] = [];
    const [create, revoke] = [URL.createObjectURL, URL.revokeObjectURL];
    onTestFinished(() => {
      URL.createObjectURL = create;
      URL.revokeObjectURL = revoke;
    });
    URL.createObjectURL = (blob: Blob) => {
      made.push(blob);
      return `blob:linnet/${made.length}`;
    };
    URL.revokeObjectURL = (url: string) => void revoked.push(url);
    renderApp();
    const chat = await openBob(0);
    await fireEvent.click(within(chat).getByTestId('composer-attach'));
    const dialog = await screen.findByTestId('send-files-dialog');
    await within(dialog).findByTestId('send-file-1');
    expect(within(dialog).getByTestId('send-file-preview-0').getAttribute('src')).toBe(
      'linnet-preview://localhost/picked?path=%2Fhome%2Falice%2FPictures%2Fcat.png',
    );
    expect(within(dialog).queryByTestId('send-file-preview-1'), 'not an image').toBeNull();
    const pasted = new File([Uint8Array.of(1, 2, 3)], 'shot.png', { type: 'image/png' });
    await fireEvent.paste(within(chat).getByTestId('composer'), { clipboardData: { files: [pasted], items: [] } });
    const preview = await within(dialog).findByTestId('send-file-preview-2');
    expect(preview.getAttribute('src')).toBe('blob:linnet/1');
    expect(made).toEqual([pasted]);
    await fireEvent.click(within(dialog).getByTestId('send-files-cancel'));
    await waitFor(() => expect(revoked).toEqual(['blob:linnet/1']));
  });

  test('pasting text pastes text, as ever', async () => {
    const backend = backendWith();
    renderApp();
    const chat = await openBob(0);
    const composer = within(chat).getByTestId('composer');
    const notPrevented = await fireEvent.paste(composer, {
      clipboardData: { files: [], items: [], getData: () => 'hello' },
    });
    expect(notPrevented).toBe(true);
    expect(backend.callsOf('send_file_data')).toEqual([]);
  });

  test('a pasted file the shell refuses stays in the dialog with the reason', async () => {
    const backend = backendWith();
    backend.on('send_file_data', () => {
      throw { code: 'file', message: 'The pasted data is unreadable.' };
    });
    renderApp();
    const chat = await openBob(0);
    const image = new File([Uint8Array.of(1, 2, 3)], 'a.png', { type: 'image/png' });
    await fireEvent.paste(within(chat).getByTestId('composer'), { clipboardData: { files: [image], items: [] } });
    const dialog = await confirmSend(1);
    expect((await within(dialog).findByTestId('send-file-error-0')).textContent).toContain(
      'The pasted data is unreadable.',
    );
  });

  test('files dragged over the chat highlight it; dropped, they are shown, then sent there', async () => {
    const backend = backendWith();
    mockWindows('main');
    renderApp();
    const chat = await openBob(0);
    expect(chat.dataset['drop']).toBe('false');
    const position = { x: 10, y: 10 };
    const paths = ['/home/alice/a.pdf', '/home/alice/b.ogg'];

    // Emitted until the chat's subscriptions are in place (`leave` is the last one made).
    await waitFor(async () => {
      await emit('tauri://drag-enter', { paths, position });
      expect(within(chat).getByTestId('file-drop-overlay').textContent?.trim()).toBe('Drop files to send them to Bob');
    });
    expect(chat.dataset['drop']).toBe('true');
    await waitFor(async () => {
      await emit('tauri://drag-leave', {});
      expect(within(chat).queryByTestId('file-drop-overlay')).toBeNull();
    });
    expect(chat.dataset['drop']).toBe('false');
    await emit('tauri://drag-over', { position });
    await waitFor(() => expect(within(chat).queryByTestId('file-drop-overlay')).not.toBeNull());

    await emit('tauri://drag-drop', { paths, position });
    await waitFor(() => expect(within(chat).queryByTestId('file-drop-overlay')).toBeNull());
    await confirmSend(2);
    await waitFor(() =>
      expect(backend.callsOf('send_file')).toEqual([
        { accountId: ALICE.id, to: BOB, path: '/home/alice/a.pdf', keepMetadata: false },
        { accountId: ALICE.id, to: BOB, path: '/home/alice/b.ogg', keepMetadata: false },
      ]),
    );
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(2));
  });

  test('a dropped file the shell refuses stays in the dialog with the reason', async () => {
    const backend = backendWith();
    backend.on('send_file', () => {
      throw { code: 'not_found', message: 'Linnet sends only files you dropped on its window' };
    });
    mockWindows('main');
    renderApp();
    await openBob(0);
    await waitFor(async () => {
      await emit('tauri://drag-drop', { paths: ['/etc/passwd'], position: { x: 0, y: 0 } });
      expect(screen.queryByTestId('send-file-0')).not.toBeNull();
    });
    const dialog = await confirmSend(1);
    expect((await within(dialog).findByTestId('send-file-error-0')).textContent).toContain(
      'Linnet sends only files',
    );
  });
});
