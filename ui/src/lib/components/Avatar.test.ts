// Avatars (XEP-0084/0153) in the window: a contact's and a conversation partner's picture by
// hash from `linnet-avatar:`, or the XEP-0392-coloured initial; a change (`linnet://roster`)
// shows; our own is picked from a file (sent as base64) and removed again; a refusal is said.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { ALICE, FakeBackend, contact, conversation } from '../../test/backend';
import { renderApp } from '../../test/render';
import { nickHue } from '../format/nickColor';

const BOB = 'bob@example.org';
const HASH = '01b87fcd030b72895ff8e88db57ec525450f000d';

test('a contact with a picture shows it by hash; one without, a coloured initial', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob', avatar: HASH }), contact('carol@example.org')];
  backend.conversations = [conversation(BOB)];
  renderApp();
  const row = await screen.findByTestId(`contact-${BOB}`);
  const img = within(row).getByTestId(`avatar-${BOB}`) as HTMLImageElement;
  expect(img.tagName).toBe('IMG');
  expect(img.getAttribute('src')).toBe(`linnet-avatar://localhost/${HASH}`);
  expect(img.alt, 'decorative: the name is beside it').toBe('');
  const carol = within(await screen.findByTestId('contact-carol@example.org')).getByTestId(
    'avatar-carol@example.org',
  );
  expect(carol.tagName).toBe('SPAN');
  expect(carol.textContent?.trim()).toBe('C');
  expect(carol.style.getPropertyValue('--nick-hue')).toBe(String(nickHue('carol@example.org')));
});

test('a new picture shows when the roster reloads, and in the conversation list', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  renderApp();
  const row = await screen.findByTestId(`contact-${BOB}`);
  expect(within(row).getByTestId(`avatar-${BOB}`).tagName).toBe('SPAN');
  backend.contacts = [contact(BOB, { name: 'Bob', avatar: HASH })];
  backend.conversations = [conversation(BOB, { avatar: HASH })];
  await backend.emit('linnet://roster', { account_id: ALICE.id });
  await backend.emit('linnet://conversations', {});
  await waitFor(() =>
    expect(within(screen.getByTestId(`contact-${BOB}`)).getByTestId(`avatar-${BOB}`).tagName).toBe('IMG'),
  );
  const item = await screen.findByTestId(`conversation-${BOB}`);
  await waitFor(() => expect(within(item).getByTestId(`avatar-${BOB}`).tagName).toBe('IMG'));
});

test('our avatar is picked from a file, sent as base64, shown, and removed', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  renderApp();
  const input = (await screen.findByTestId(`avatar-file-${ALICE.id}`)) as HTMLInputElement;
  const file = new File([new Uint8Array([137, 80, 78, 71])], 'me.png', { type: 'image/png' });
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await fireEvent.change(input);
  await waitFor(() =>
    expect(backend.callsOf('set_avatar')).toEqual([{ accountId: ALICE.id, data: 'iVBORw==' }]),
  );
  const face = await screen.findByTestId(`set-avatar-${ALICE.id}`);
  await waitFor(() => expect(within(face).getByTestId(`avatar-${ALICE.jid}`).tagName).toBe('IMG'));
  await fireEvent.click(await screen.findByTestId(`remove-avatar-${ALICE.id}`));
  await waitFor(() => expect(backend.callsOf('set_avatar')[1]).toEqual({ accountId: ALICE.id, data: null }));
  await waitFor(() => expect(within(face).getByTestId(`avatar-${ALICE.jid}`).tagName).toBe('SPAN'));
});

test('a picture the engine refuses is said in words', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.overrides.set('set_avatar', () => {
    throw { code: 'file', message: 'not an image Linnet shows' };
  });
  renderApp();
  const input = (await screen.findByTestId(`avatar-file-${ALICE.id}`)) as HTMLInputElement;
  const file = new File(['hello'], 'notes.png', { type: 'image/png' });
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await fireEvent.change(input);
  const alert = await screen.findByRole('alert');
  expect(alert.textContent).toContain('Avatar not changed: not an image Linnet shows');
  expect(alert.dataset['code']).toBe('file');
});
