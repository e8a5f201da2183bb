// People: a contact's details from the chat header (profile, resources with clients, the name
// and groups we give them, presence sharing in words and its actions), a contact's published
// nickname naming them, and our own profile edited from the account.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import {
  ALICE,
  FakeBackend,
  contact,
  conversation,
  subscriptionRequest,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { subscriptionWords } from './contactDetails';

const BOB = 'bob@example.org';

async function openDetails(backend: FakeBackend): Promise<HTMLElement> {
  backend.accounts = [ALICE];
  if (backend.contacts.length === 0) backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  renderApp();
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await fireEvent.click(within(chat).getByTestId('contact-details-button'));
  return screen.findByTestId('contact-details');
}

test('the details show the profile and each resource with its client, as text', async () => {
  const backend = new FakeBackend();
  backend.profiles.set(BOB, {
    full_name: 'Robert <b>Tables</b>',
    nickname: 'bobby',
    email: 'bob@example.org',
    phone: null,
    note: 'line one\nline two',
  });
  backend.resources.set(BOB, [
    {
      resource: 'laptop',
      presence: { show: 'away', status: 'lunch', priority: 5, error: null },
      client: 'Gajim 1.9 (Linux)',
    },
  ]);
  const details = await openDetails(backend);
  const name = await within(details).findByTestId('profile-full_name');
  expect(name.textContent).toBe('Robert <b>Tables</b>');
  expect(name.querySelector('b')).toBeNull();
  expect(within(details).getByTestId('profile-note').textContent).toBe('line one\nline two');
  expect(within(details).queryByTestId('profile-phone'), 'absent fields not shown').toBeNull();
  const laptop = await within(details).findByTestId('resource-laptop');
  expect(laptop.textContent).toContain('Gajim 1.9 (Linux)');
  expect(laptop.textContent).toContain('lunch');
  expect(backend.callsOf('profile')).toEqual([{ accountId: ALICE.id, jid: BOB }]);
});

test('no profile and no resource are said so', async () => {
  const backend = new FakeBackend();
  const details = await openDetails(backend);
  expect((await within(details).findByTestId('no-profile')).textContent).toContain(
    'Bob has not published a profile',
  );
  expect(await within(details).findByTestId('no-resources')).toBeTruthy();
});

test('renaming and regrouping saves a roster update with blank groups dropped', async () => {
  const backend = new FakeBackend();
  backend.contacts = [contact(BOB, { name: 'Bob', groups: ['Work'] })];
  const details = await openDetails(backend);
  const nameInput = within(details).getByTestId('contact-name-input') as HTMLInputElement;
  const groups = within(details).getByTestId('contact-groups-input') as HTMLInputElement;
  expect(nameInput.value).toBe('Bob');
  expect(groups.value).toBe('Work');
  await fireEvent.input(nameInput, { target: { value: '  Robert  ' } });
  await fireEvent.input(groups, { target: { value: 'Work, Friends, ' } });
  await fireEvent.click(within(details).getByTestId('save-contact'));
  await waitFor(() =>
    expect(backend.callsOf('update_contact')).toEqual([
      { accountId: ALICE.id, jid: BOB, name: 'Robert', groups: ['Work', 'Friends'] },
    ]),
  );
  expect(await within(details).findByText('Saved.')).toBeTruthy();
  await waitFor(() => expect(document.getElementById('chat-heading')?.textContent).toBe('Robert'));
});

test('presence sharing is said in words, with the actions it allows', async () => {
  const backend = new FakeBackend();
  backend.contacts = [contact(BOB, { name: 'Bob', subscription: 'from' })];
  const details = await openDetails(backend);
  expect(within(details).getByTestId('subscription-words').textContent).toBe(
    'Bob sees your presence; you do not see theirs.',
  );
  expect(within(details).queryByTestId('unsubscribe')).toBeNull();
  await fireEvent.click(within(details).getByTestId('request-subscription'));
  await waitFor(() =>
    expect(backend.callsOf('request_subscription')).toEqual([{ accountId: ALICE.id, jid: BOB }]),
  );
  await fireEvent.click(within(details).getByTestId('stop-sharing'));
  await waitFor(() =>
    expect(backend.callsOf('deny_subscription')).toEqual([{ accountId: ALICE.id, jid: BOB }]),
  );
  const both = contact(BOB, { subscription: 'both' });
  expect(subscriptionWords(both, 'Bob')).toBe("You and Bob see each other's presence.");
  expect(subscriptionWords(contact(BOB, { subscription: 'none', ask: true }), 'Bob')).toContain(
    'no answer yet',
  );
});

test("a contact's published nickname names them when we gave no name", async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { nick: 'Bobby T.' })];
  renderApp();
  const rows = await screen.findAllByTestId(`contact-${BOB}`);
  expect(rows[0]?.textContent).toContain('Bobby T.');
});

test('our profile is read into the form and saved, trimmed, blanks as null', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.profiles.set(ALICE.jid, {
    full_name: 'Alice',
    nickname: null,
    email: null,
    phone: null,
    note: null,
  });
  renderApp();
  await fireEvent.click(await screen.findByTestId(`edit-profile-${ALICE.id}`));
  const dialog = await screen.findByTestId(`profile-dialog-${ALICE.id}`);
  const fullName = within(dialog).getByTestId('profile-input-full_name') as HTMLInputElement;
  await waitFor(() => expect(fullName.value).toBe('Alice'));
  await fireEvent.input(within(dialog).getByTestId('profile-input-nickname'), {
    target: { value: ' al ' },
  });
  await fireEvent.input(within(dialog).getByTestId('profile-input-note'), {
    target: { value: 'Curious' },
  });
  await fireEvent.click(within(dialog).getByTestId('save-profile'));
  expect(await within(dialog).findByTestId('profile-saved')).toBeTruthy();
  expect(backend.callsOf('set_profile')).toEqual([
    {
      accountId: ALICE.id,
      profile: { full_name: 'Alice', nickname: 'al', email: null, phone: null, note: 'Curious' },
    },
  ]);
});

test('saving our profile offline says so in words', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.on('set_profile', () => {
    throw { code: 'not_connected', message: 'not connected' };
  });
  renderApp();
  await fireEvent.click(await screen.findByTestId(`edit-profile-${ALICE.id}`));
  const dialog = await screen.findByTestId(`profile-dialog-${ALICE.id}`);
  await waitFor(() =>
    expect(
      (within(dialog).getByTestId('profile-input-full_name') as HTMLInputElement).disabled,
    ).toBe(false),
  );
  await fireEvent.click(within(dialog).getByTestId('save-profile'));
  expect((await within(dialog).findByRole('alert')).textContent).toContain('Not saved.');
});

test("a request shows the nickname it carried; Block and Report spam deny, then block", async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.requests = [
    subscriptionRequest('eve@example.net', { nick: 'Eve' }),
    subscriptionRequest('spam@example.net'),
  ];
  renderApp();
  expect((await screen.findByTestId('request-nick-eve@example.net')).textContent).toBe('Eve');
  await fireEvent.click(screen.getByTestId('block-request-eve@example.net'));
  await waitFor(() =>
    expect(backend.callsOf('block_jid')).toEqual([{ accountId: ALICE.id, jid: 'eve@example.net' }]),
  );
  await fireEvent.click(screen.getByTestId('report-request-spam@example.net'));
  await waitFor(() =>
    expect(backend.callsOf('block_and_report')).toEqual([
      { accountId: ALICE.id, jid: 'spam@example.net' },
    ]),
  );
  expect(backend.callsOf('deny_subscription').map((c) => c['jid'])).toEqual([
    'eve@example.net',
    'spam@example.net',
  ]);
});

test('Block in a chat also offers Block and report spam', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  renderApp();
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await fireEvent.click(await within(chat).findByTestId('block'));
  await fireEvent.click(within(chat).getByTestId('block-report'));
  await waitFor(() =>
    expect(backend.callsOf('block_and_report')).toEqual([{ accountId: ALICE.id, jid: BOB }]),
  );
  expect(backend.callsOf('block_jid')).toEqual([]);
  expect(await within(chat).findByTestId('unblock')).toBeTruthy();
});

test('our presence as the backend keeps it shows after a restart', async () => {
  const backend = new FakeBackend();
  backend.accounts = [{ ...ALICE, own_show: 'dnd', own_status: 'In a meeting' }];
  renderApp();
  const item = await screen.findByTestId(`account-${ALICE.id}`);
  await waitFor(() =>
    expect(
      (within(item).getByDisplayValue('In a meeting') as HTMLInputElement).value,
    ).toBe('In a meeting'),
  );
  const select = item.querySelector('select') as HTMLSelectElement;
  expect(select.value).toBe('dnd');
});
