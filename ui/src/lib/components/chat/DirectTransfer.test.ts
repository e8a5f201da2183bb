// Files sent peer to peer (Jingle, XEP-0234): an offer to us with Accept and Decline, its
// progress and Cancel once taken, how it ended; ours sent with the send dialog's "Send
// directly", waiting for the contact; the button only where a direct transfer can go.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { FileProgressEvent, MessageView, TransferView } from '../../ipc';
import { ALICE, FakeBackend, contact, conversation, fileView, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const BOB = 'bob@example.org';

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

function offer(transfer: TransferView, overrides: Partial<MessageView> = {}): MessageView {
  return message(1, {
    body: 'report.pdf',
    file: fileView('report.pdf', { size: 4_000_000, media_type: 'application/pdf', transfer }),
    ...overrides,
  });
}

function progress(done: number, total: number, upload = false): FileProgressEvent {
  return { account_id: ALICE.id, peer: BOB, message_id: 1, upload, done, total };
}

describe('a file a contact offers peer to peer', () => {
  test('is taken only when accepted; then its progress, and Cancel', async () => {
    const backend = backendWith([offer({ state: 'offered', reason: null })]);
    renderApp();
    const chat = await openBob(1);
    const card = within(chat).getByTestId('file-card-1');
    expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe('Offered peer to peer');
    expect(within(card).queryByTestId('file-download-1'), 'no link to download').toBeNull();
    expect(within(card).queryByTestId('file-save-as-1')).toBeNull();
    expect(backend.callsOf('accept_transfer'), 'nothing taken by itself').toEqual([]);

    const accept = within(card).getByTestId('file-accept-1');
    expect(accept.getAttribute('aria-label')).toBe('Accept report.pdf');
    await fireEvent.click(accept);
    expect(backend.callsOf('accept_transfer')).toEqual([{ messageId: 1 }]);
    await waitFor(() =>
      expect(within(card).getByTestId('file-direct-1').dataset['state']).toBe('active'),
    );
    await backend.emit('linnet://file-progress', progress(1_000_000, 4_000_000));
    await waitFor(() =>
      expect(within(card).getByTestId('file-progress-1').getAttribute('value')).toBe('25'),
    );
    expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe(
      'Receiving… 25% (1.0 MB of 4.0 MB)',
    );
    await fireEvent.click(within(card).getByTestId('file-cancel-1'));
    expect(backend.callsOf('cancel_transfer')).toEqual([{ messageId: 1 }]);
    await waitFor(() =>
      expect(within(card).getByTestId('file-status-1').textContent?.trim()).toBe('Cancelled.'),
    );
    expect(within(card).queryByTestId('file-progress-1')).toBeNull();
    expect(within(card).queryByTestId('file-cancel-1')).toBeNull();
  });

  test('Decline ends it; why a transfer ended is told in words', async () => {
    const backend = backendWith([offer({ state: 'offered', reason: null })]);
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-decline-1'));
    expect(backend.callsOf('decline_transfer')).toEqual([{ messageId: 1 }]);
    await waitFor(() =>
      expect(within(chat).getByTestId('file-status-1').textContent?.trim()).toBe('Declined.'),
    );
    expect(within(chat).queryByTestId('file-accept-1')).toBeNull();
  });

  test('a damaged one says why; a received one shows where it is', async () => {
    backendWith([
      offer({ state: 'failed', reason: 'The file arrived damaged: its checksum differs from the sender’s.' }),
      message(2, {
        body: 'photo.png',
        file: fileView('photo.png', {
          size: 10,
          media_type: 'image/png',
          saved_path: '/home/alice/Downloads/photo.png',
          transfer: { state: 'done', reason: null },
        }),
      }),
    ]);
    renderApp();
    const chat = await openBob(2);
    expect(within(chat).getByTestId('file-status-1').textContent?.trim()).toBe(
      'The file arrived damaged: its checksum differs from the sender’s.',
    );
    expect(within(chat).queryByTestId('file-preview-1'), 'nothing to preview').toBeNull();
    expect(within(chat).getByTestId('file-saved-2').textContent).toBe(
      'Saved to /home/alice/Downloads/photo.png',
    );
    expect(within(chat).getByTestId('file-preview-2'), 'the local copy previews').toBeTruthy();
  });

  test('a refused accept says why', async () => {
    const backend = backendWith([offer({ state: 'offered', reason: null })]);
    backend.on('accept_transfer', () => {
      throw { code: 'not_found', message: 'The sender withdrew it.' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-accept-1'));
    await waitFor(() =>
      expect(within(chat).getByTestId('file-error-1').textContent).toBe('The sender withdrew it.'),
    );
  });
});

describe('sending a file directly', () => {
  test('"Send directly" in the send dialog offers the file; it waits for the contact', async () => {
    const backend = backendWith();
    backend.picked = ['/home/alice/big.iso'];
    renderApp();
    const chat = await openBob(0);
    await fireEvent.click(within(chat).getByTestId('composer-attach'));
    const dialog = await screen.findByTestId('send-files-dialog');
    await waitFor(() => expect(within(dialog).queryByTestId('send-file-0')).not.toBeNull());
    await fireEvent.click(within(dialog).getByTestId('send-files-direct'));
    await waitFor(() =>
      expect(backend.callsOf('send_file_direct')).toEqual([
        { accountId: ALICE.id, to: BOB, path: '/home/alice/big.iso' },
      ]),
    );
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(1));
    const id = backend.messages[0]?.id;
    expect(within(chat).getByTestId(`file-status-${id}`).textContent?.trim()).toBe(
      'Waiting for the contact to accept…',
    );
    expect(within(chat).getByTestId(`file-cancel-${id}`)).toBeTruthy();
    expect(backend.callsOf('send_file'), 'not uploaded').toEqual([]);
  });

  test('is not offered in an encrypted chat', async () => {
    const backend = backendWith();
    backend.encryption.set(`${ALICE.id} ${BOB}`, true);
    backend.picked = ['/home/alice/big.iso'];
    renderApp();
    const chat = await openBob(0);
    await fireEvent.click(within(chat).getByTestId('composer-attach'));
    const dialog = await screen.findByTestId('send-files-dialog');
    await waitFor(() => expect(within(dialog).queryByTestId('send-file-0')).not.toBeNull());
    expect(within(dialog).getByTestId('send-files-send')).toBeTruthy();
    expect(within(dialog).queryByTestId('send-files-direct')).toBeNull();
  });
});
