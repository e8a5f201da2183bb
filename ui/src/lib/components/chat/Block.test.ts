// Blocking (XEP-0191) from a one-to-one chat's header: "Block" asks once more, then blocks;
// "Unblock" acts at once; a change made elsewhere (`linnet://blocklist`) shows; the settings
// list who is blocked.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { ALICE, FakeBackend, contact, conversation } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const BOB = 'bob@example.org';

async function openBob(backend: FakeBackend): Promise<HTMLElement> {
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  renderApp();
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  return screen.findByTestId('chat-view');
}

test('Block asks first, then blocks; Unblock undoes it at once', async () => {
  const backend = new FakeBackend();
  const chat = await openBob(backend);
  await fireEvent.click(await within(chat).findByTestId('block'));
  expect(backend.callsOf('block_jid'), 'nothing before the second yes').toEqual([]);
  await fireEvent.click(within(chat).getByTestId('block-cancel'));
  expect(backend.callsOf('block_jid')).toEqual([]);
  await fireEvent.click(within(chat).getByTestId('block'));
  await fireEvent.click(within(chat).getByTestId('block-confirm'));
  await waitFor(() => expect(backend.callsOf('block_jid')).toEqual([{ accountId: ALICE.id, jid: BOB }]));
  await fireEvent.click(await within(chat).findByTestId('unblock'));
  await waitFor(() => expect(backend.callsOf('unblock_jid')).toEqual([{ accountId: ALICE.id, jid: BOB }]));
  expect(await within(chat).findByTestId('block')).toBeTruthy();
});

test('a block made by another client shows when the blocklist changes', async () => {
  const backend = new FakeBackend();
  const chat = await openBob(backend);
  await within(chat).findByTestId('block');
  backend.blocked.add(BOB);
  await backend.emit('linnet://blocklist', { account_id: ALICE.id });
  expect(await within(chat).findByTestId('unblock')).toBeTruthy();
});

test('the settings list who is blocked, each with Unblock', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.blocked.add('spam@example.net');
  renderApp();
  await fireEvent.click(await screen.findByTestId('open-settings'));
  const list = await screen.findByTestId('blocked-list');
  const row = await within(list).findByTestId('blocked-spam@example.net');
  await fireEvent.click(within(row).getByRole('button', { name: 'Unblock spam@example.net' }));
  await waitFor(() =>
    expect(backend.callsOf('unblock_jid')).toEqual([{ accountId: ALICE.id, jid: 'spam@example.net' }]),
  );
  expect(await within(list).findByTestId(`blocked-none-${ALICE.id}`)).toBeTruthy();
});
