// `xmpp:` links (RFC 5122, XEP-0147) handed to Linnet: at start (`launch_uri`) or by a second
// launch (`linnet://open-uri`). A message link opens the chat with the text in the composer,
// nothing sent; a join or roster link asks first, and does nothing unless the user says yes; a
// register link opens the sign-up form for its server, which is asked only on Continue.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, contact } from '../../../test/backend';
import { renderApp } from '../../../test/render';

function backend(): FakeBackend {
  const b = new FakeBackend();
  b.accounts = [ALICE];
  b.contacts = [contact('peer@localhost', { name: 'Peer' })];
  return b;
}

describe('an xmpp: link', () => {
  test('Linnet was started with opens its chat with the text in the composer, unsent', async () => {
    const b = backend();
    b.launchUri = { jid: 'peer@localhost', action: 'message', body: 'hi there', name: null };
    renderApp();
    const chat = await screen.findByTestId('chat-view');
    expect(chat.dataset['peer']).toBe('peer@localhost');
    const composer = within(chat).getByTestId('composer') as HTMLTextAreaElement;
    await waitFor(() => expect(composer.value).toBe('hi there'));
    expect(b.callsOf('send_message'), 'nothing sent until Enter').toEqual([]);
    expect(b.callsOf('launch_uri')).toHaveLength(1);
  });

  test('from a second launch asks before joining a room; Join joins, Cancel does nothing', async () => {
    const b = backend();
    renderApp();
    await screen.findByTestId('conversation-list');
    await b.emit('linnet://open-uri', { jid: 'room@muc.localhost', action: 'join', body: null, name: null });
    const prompt = await screen.findByTestId('uri-prompt');
    expect(within(prompt).getByTestId('uri-prompt-target').textContent).toBe('room@muc.localhost');
    await fireEvent.click(within(prompt).getByTestId('uri-prompt-cancel'));
    expect(b.callsOf('join_room')).toEqual([]);

    await b.emit('linnet://open-uri', { jid: 'room@muc.localhost', action: 'join', body: null, name: null });
    await waitFor(() => expect(within(prompt).queryByTestId('uri-prompt-confirm')).toBeTruthy());
    await fireEvent.click(within(prompt).getByTestId('uri-prompt-confirm'));
    await waitFor(() =>
      expect(b.callsOf('join_room')).toEqual([
        { accountId: ALICE.id, room: 'room@muc.localhost', nick: 'alice', password: null, configureFirst: false },
      ]),
    );
  });

  test('a roster link asks before adding the contact under the name it gives', async () => {
    const b = backend();
    renderApp();
    await screen.findByTestId('conversation-list');
    await b.emit('linnet://open-uri', { jid: 'romeo@localhost', action: 'subscribe', body: null, name: 'Romeo' });
    const prompt = await screen.findByTestId('uri-prompt');
    expect(within(prompt).getByTestId('uri-prompt-target').textContent).toBe('Romeo');
    expect(b.callsOf('add_contact'), 'nothing before yes').toEqual([]);
    await fireEvent.click(within(prompt).getByTestId('uri-prompt-confirm'));
    await waitFor(() =>
      expect(b.callsOf('add_contact')).toEqual([
        { accountId: ALICE.id, jid: 'romeo@localhost', name: 'Romeo', groups: [] },
      ]),
    );
  });

  test('a register link opens the sign-up for its server, asking it nothing until Continue', async () => {
    const b = backend();
    renderApp();
    await screen.findByTestId('conversation-list');
    await b.emit('linnet://open-uri', { jid: 'example.net', action: 'register', body: null, name: null });
    const form = await screen.findByTestId('create-account-form');
    const domain = within(form).getByTestId('register-server-input') as HTMLInputElement;
    expect(domain.value).toBe('example.net');
    expect(b.callsOf('registration_form'), 'nothing sent before Continue').toEqual([]);
    await fireEvent.click(within(form).getByTestId('register-continue'));
    await screen.findByTestId('register-field-username');
    expect(b.callsOf('registration_form')).toHaveLength(1);
  });

  test('a register link works with no account yet', async () => {
    const b = new FakeBackend();
    b.launchUri = { jid: 'example.net', action: 'register', body: null, name: null };
    renderApp();
    const domain = (await screen.findByTestId('register-server-input')) as HTMLInputElement;
    expect(domain.value).toBe('example.net');
  });
});
