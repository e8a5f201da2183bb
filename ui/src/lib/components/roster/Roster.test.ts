import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AccountView } from '../../ipc';
import {
  ALICE,
  account,
  FakeBackend,
  contact,
  conversation,
  subscriptionRequest,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const WORK: AccountView = account(2, 'alice@work.example');
const XSS = '<img src=x onerror=alert(1)>';

function backendWithAlice(): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  return backend;
}

describe('subscription requests', () => {
  test('say who wants to see the presence, with their message as text', async () => {
    const backend = backendWithAlice();
    backend.requests = [subscriptionRequest('bob@example.org', { status: XSS })];
    renderApp();
    const request = await screen.findByTestId('request-bob@example.org');
    expect(request.textContent).toContain('bob@example.org wants to see your presence');
    expect(request.textContent, 'the message is shown as typed').toContain(XSS);
    expect(document.querySelector('img'), 'no element was created from it').toBeNull();
    expect(
      screen.getByTestId('subscription-requests').compareDocumentPosition(
        screen.getByTestId('contact-list'),
      ) & Node.DOCUMENT_POSITION_FOLLOWING,
      'requests come before the contacts',
    ).toBeTruthy();
  });

  test('are not shown when there are none', async () => {
    backendWithAlice();
    renderApp();
    await screen.findByTestId('contact-list');
    expect(screen.queryByTestId('subscription-requests')).toBeNull();
  });

  test('one arriving later shows up on the roster event', async () => {
    const backend = backendWithAlice();
    renderApp();
    await screen.findByTestId('contact-list');
    backend.requests = [subscriptionRequest('carol@example.org')];
    await backend.emit('linnet://roster', { account_id: ALICE.id });
    expect(await screen.findByTestId('request-carol@example.org')).toBeTruthy();
  });

  test('Approve tells the backend and the request goes away', async () => {
    const backend = backendWithAlice();
    backend.requests = [subscriptionRequest('bob@example.org'), subscriptionRequest('carol@example.org')];
    renderApp();
    await fireEvent.click(await screen.findByTestId('approve-bob@example.org'));
    await waitFor(() =>
      expect(backend.callsOf('approve_subscription')).toEqual([
        { accountId: ALICE.id, jid: 'bob@example.org' },
      ]),
    );
    await backend.emit('linnet://roster', { account_id: ALICE.id });
    await waitFor(() => expect(screen.queryByTestId('request-bob@example.org')).toBeNull());
    expect(screen.getByTestId('request-carol@example.org'), 'the other request stays').toBeTruthy();
    expect(backend.callsOf('deny_subscription')).toEqual([]);
  });

  test('Deny tells the backend and the request goes away at once', async () => {
    const backend = backendWithAlice();
    backend.requests = [subscriptionRequest('spam@example.net')];
    renderApp();
    await fireEvent.click(await screen.findByTestId('deny-spam@example.net'));
    await waitFor(() =>
      expect(backend.callsOf('deny_subscription')).toEqual([
        { accountId: ALICE.id, jid: 'spam@example.net' },
      ]),
    );
    await waitFor(() =>
      expect(
        screen.queryByTestId('subscription-requests'),
        'an answered request does not wait for the roster event to leave',
      ).toBeNull(),
    );
    await backend.emit('linnet://roster', { account_id: ALICE.id });
    await waitFor(() => expect(backend.callsOf('list_subscription_requests')).toHaveLength(2));
    expect(screen.queryByTestId('subscription-requests')).toBeNull();
  });

  test('a request answered elsewhere goes away on the roster event alone', async () => {
    const backend = backendWithAlice();
    backend.requests = [subscriptionRequest('bob@example.org')];
    renderApp();
    await screen.findByTestId('request-bob@example.org');
    backend.requests = [];
    await backend.emit('linnet://roster', { account_id: ALICE.id });
    await waitFor(() => expect(screen.queryByTestId('request-bob@example.org')).toBeNull());
  });

  test('a failed answer keeps the request and says why', async () => {
    const backend = backendWithAlice();
    backend.requests = [subscriptionRequest('bob@example.org')];
    backend.on('approve_subscription', () => {
      throw { code: 'not_connected', message: 'offline' };
    });
    renderApp();
    await fireEvent.click(await screen.findByTestId('approve-bob@example.org'));
    const request = screen.getByTestId('request-bob@example.org');
    await waitFor(() => expect(within(request).getByRole('alert').dataset['code']).toBe('not_connected'));
  });
});

describe('add contact', () => {
  async function openDialog(): Promise<HTMLDialogElement> {
    await fireEvent.click(await screen.findByTestId('add-contact'));
    const dialog = screen.getByTestId<HTMLDialogElement>('add-contact-dialog');
    expect(dialog.open).toBe(true);
    return dialog;
  }

  test.each(['', 'bob', 'bob@', '@example.org', 'bob smith@example.org'])(
    'refuses the malformed Jabber ID %j before asking the backend',
    async (jid) => {
      const backend = backendWithAlice();
      renderApp();
      const dialog = await openDialog();
      await fireEvent.input(screen.getByTestId('contact-jid-input'), { target: { value: jid } });
      await fireEvent.click(screen.getByTestId('add-contact-submit'));
      expect(screen.getByTestId('contact-jid-error').textContent).not.toBe('');
      expect(screen.getByTestId('contact-jid-input').getAttribute('aria-invalid')).toBe('true');
      expect(dialog.open, 'the dialog stays open').toBe(true);
      expect(backend.callsOf('add_contact'), 'a bad JID never reaches the backend').toEqual([]);
    },
  );

  test('sends the cleaned-up JID, name and groups, closes, and the contact appears as pending', async () => {
    const backend = backendWithAlice();
    renderApp();
    const dialog = await openDialog();
    expect(screen.queryByTestId('contact-account-select'), 'one account: nothing to choose').toBeNull();
    await fireEvent.input(screen.getByTestId('contact-jid-input'), {
      target: { value: ' xmpp:bob@example.org?roster ' },
    });
    await fireEvent.input(screen.getByTestId('contact-name-input'), { target: { value: ' Bob ' } });
    await fireEvent.input(screen.getByTestId('contact-groups-input'), {
      target: { value: 'Friends, Work,,' },
    });
    await fireEvent.click(screen.getByTestId('add-contact-submit'));
    await waitFor(() =>
      expect(backend.callsOf('add_contact')).toEqual([
        { accountId: ALICE.id, jid: 'bob@example.org', name: 'Bob', groups: ['Friends', 'Work'] },
      ]),
    );
    await waitFor(() => expect(dialog.open, 'the dialog closes on success').toBe(false));

    await backend.emit('linnet://roster', { account_id: ALICE.id });
    await waitFor(() => expect(screen.getAllByTestId('pending-bob@example.org')).toHaveLength(2));
    expect(screen.getAllByTestId('pending-bob@example.org')[0]?.textContent?.trim()).toBe(
      'request sent',
    );

    await openDialog();
    expect(
      screen.getByTestId<HTMLInputElement>('contact-jid-input').value,
      'the dialog opens empty again',
    ).toBe('');
  });

  test('sends null for an empty name and no groups', async () => {
    const backend = backendWithAlice();
    renderApp();
    await openDialog();
    await fireEvent.input(screen.getByTestId('contact-jid-input'), {
      target: { value: 'bob@example.org' },
    });
    await fireEvent.click(screen.getByTestId('add-contact-submit'));
    await waitFor(() =>
      expect(backend.callsOf('add_contact')).toEqual([
        { accountId: ALICE.id, jid: 'bob@example.org', name: null, groups: [] },
      ]),
    );
  });

  test('with several accounts, adds to the chosen one', async () => {
    const backend = backendWithAlice();
    backend.accounts = [ALICE, WORK];
    renderApp();
    await openDialog();
    await fireEvent.change(screen.getByTestId('contact-account-select'), {
      target: { value: String(WORK.id) },
    });
    await fireEvent.input(screen.getByTestId('contact-jid-input'), {
      target: { value: 'boss@work.example' },
    });
    await fireEvent.click(screen.getByTestId('add-contact-submit'));
    await waitFor(() => expect(backend.callsOf('add_contact')[0]?.['accountId']).toBe(WORK.id));
  });

  test.each([
    ['not_connected', 'not connected'],
    ['server_error', 'server refused'],
    ['invalid_jid', 'not a valid Jabber ID'],
  ])('explains a %s rejection and keeps the dialog open', async (code, words) => {
    const backend = backendWithAlice();
    backend.on('add_contact', () => {
      throw { code, message: 'backend detail' };
    });
    renderApp();
    const dialog = await openDialog();
    await fireEvent.input(screen.getByTestId('contact-jid-input'), {
      target: { value: 'bob@example.org' },
    });
    await fireEvent.click(screen.getByTestId('add-contact-submit'));
    const error = await screen.findByTestId('add-contact-error');
    expect(error.dataset['code']).toBe(code);
    expect(error.textContent?.toLowerCase()).toContain(words.toLowerCase());
    expect(dialog.open).toBe(true);
  });
});

describe('contact list', () => {
  test('groups contacts by roster group, those in none under "Contacts"', async () => {
    const backend = backendWithAlice();
    backend.contacts = [
      contact('bob@example.org', { groups: ['Friends'], presence: { show: 'away', status: 'Lunch', priority: 0, error: null } }),
      contact('carol@example.org'),
      contact('dave@example.org', { groups: ['Family'] }),
    ];
    renderApp();
    const list = await screen.findByTestId('contact-list');
    // The list is virtual and flat: each group heading is a row, followed by its contacts' rows.
    await waitFor(() =>
      expect(
        [...list.querySelectorAll('[data-testid^="contact-"]')].map((row) => row.getAttribute('data-testid')),
      ).toEqual([
        'contact-group-Family',
        'contact-dave@example.org',
        'contact-group-Friends',
        'contact-bob@example.org',
        'contact-group-Contacts',
        'contact-carol@example.org',
      ]),
    );
    const headings = [...list.querySelectorAll('.group-name')].map((s) => s.textContent);
    expect(headings).toEqual(['Family', 'Friends', 'Contacts']);
    const bob = screen.getByTestId('contact-bob@example.org');
    expect(bob.textContent).toContain('Lunch');
    expect(bob.querySelector('[data-presence]')?.getAttribute('data-presence')).toBe('away');
  });

  test('without roster groups, there are no group headings', async () => {
    const backend = backendWithAlice();
    backend.contacts = [contact('bob@example.org'), contact('carol@example.org')];
    renderApp();
    await screen.findByTestId('contact-bob@example.org');
    expect(screen.getByTestId('contact-list').querySelector('[data-testid^="contact-group-"]')).toBeNull();
  });

  test('with several accounts, contacts and conversations say which account they belong to', async () => {
    const backend = backendWithAlice();
    backend.accounts = [ALICE, WORK];
    backend.contacts = [
      contact('bob@example.org'),
      contact('boss@work.example', { account_id: WORK.id }),
    ];
    backend.conversations = [conversation('boss@work.example', { account_id: WORK.id })];
    renderApp();
    const boss = await screen.findByTestId('contact-boss@work.example');
    expect(within(boss).getByTestId('account-label').textContent).toBe(WORK.jid);
    expect(
      within(screen.getByTestId('contact-bob@example.org')).getByTestId('account-label').textContent,
    ).toBe(ALICE.jid);
    const row = screen.getByTestId('conversation-boss@work.example');
    expect(within(row).getByTestId('account-label').textContent).toBe(WORK.jid);
  });

  test('with one account, no account labels', async () => {
    const backend = backendWithAlice();
    backend.contacts = [contact('bob@example.org')];
    backend.conversations = [conversation('bob@example.org')];
    renderApp();
    await screen.findByTestId('contact-bob@example.org');
    expect(screen.queryByTestId('account-label')).toBeNull();
  });

  test('clicking a contact opens the chat with them', async () => {
    const backend = backendWithAlice();
    backend.contacts = [contact('bob@example.org', { name: 'Bob', groups: ['Friends'] })];
    renderApp();
    await fireEvent.click(await screen.findByTestId('contact-bob@example.org'));
    expect(await screen.findByTestId('chat-view')).toBeTruthy();
    await waitFor(() =>
      expect(backend.callsOf('load_messages')[0]).toMatchObject({
        accountId: ALICE.id,
        peer: 'bob@example.org',
      }),
    );
  });

  test('removing a contact asks first, then calls remove_contact', async () => {
    const backend = backendWithAlice();
    backend.contacts = [contact('bob@example.org', { name: 'Bob' })];
    renderApp();
    await fireEvent.click(await screen.findByTestId('remove-contact-bob@example.org'));
    expect(backend.callsOf('remove_contact'), 'nothing happens before confirming').toEqual([]);
    const confirm = screen.getByTestId('confirm-remove-contact-bob@example.org');
    expect(confirm.closest('[role="group"]')?.textContent).toContain('Remove Bob from your contacts?');

    await fireEvent.click(confirm);
    await waitFor(() =>
      expect(backend.callsOf('remove_contact')).toEqual([{ accountId: ALICE.id, jid: 'bob@example.org' }]),
    );
    await waitFor(() => expect(screen.queryByTestId('contact-bob@example.org')).toBeNull());
  });

  test('Cancel keeps the contact', async () => {
    const backend = backendWithAlice();
    backend.contacts = [contact('bob@example.org')];
    renderApp();
    await fireEvent.click(await screen.findByTestId('remove-contact-bob@example.org'));
    const group = screen.getByTestId('confirm-remove-contact-bob@example.org').closest<HTMLElement>('[role="group"]');
    expect(document.activeElement?.textContent?.trim(), 'focus lands on the safe choice').toBe('Cancel');
    await fireEvent.click(within(group ?? document.body).getByText('Cancel'));
    expect(screen.queryByTestId('confirm-remove-contact-bob@example.org')).toBeNull();
    expect(screen.getByTestId('contact-bob@example.org')).toBeTruthy();
    expect(backend.callsOf('remove_contact')).toEqual([]);
  });
});
