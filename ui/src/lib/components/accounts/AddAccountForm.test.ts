import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { FakeBackend } from '../../../test/backend';
import { renderApp } from '../../../test/render';

async function fillAndSubmit(jid: string, password = 'secret'): Promise<void> {
  await fireEvent.input(await screen.findByTestId('jid-input'), { target: { value: jid } });
  await fireEvent.input(screen.getByTestId('password-input'), { target: { value: password } });
  await fireEvent.click(screen.getByTestId('sign-in'));
}

describe('add-account screen', () => {
  test('is what a user without accounts sees first', async () => {
    new FakeBackend();
    renderApp();
    const form = await screen.findByTestId('add-account-form');
    expect(form.querySelector('h1')?.textContent).toBe('Add an XMPP account');
    expect(screen.getByLabelText('Jabber ID').getAttribute('placeholder')).toBe('you@example.org');
    expect(screen.getByTestId('sign-in').textContent?.trim()).toBe('Sign in');
    expect(screen.getByText('Advanced').tagName).toBe('SUMMARY');
    expect(screen.getByLabelText('Direct TLS (XEP-0368)').getAttribute('type')).toBe('checkbox');
  });

  test.each(['alice', 'alice@', '@example.org', 'alice@bob@example.org', 'alice smith@example.org'])(
    'refuses the malformed Jabber ID %j before asking the backend',
    async (jid) => {
      const backend = new FakeBackend();
      renderApp();
      await fillAndSubmit(jid);
      expect(screen.getByTestId('jid-error').textContent).not.toBe('');
      expect(screen.getByTestId('jid-input').getAttribute('aria-invalid')).toBe('true');
      expect(backend.callsOf('add_account'), 'a bad JID never reaches the backend').toEqual([]);
    },
  );

  test('sends the request with the advanced settings in the backend field names', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fireEvent.input(await screen.findByTestId('host-input'), { target: { value: ' xmpp.example.org ' } });
    await fireEvent.input(screen.getByTestId('port-input'), { target: { value: '5223' } });
    await fireEvent.click(screen.getByTestId('direct-tls'));
    await fillAndSubmit(' alice@example.org ', 'pw');
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(1));
    expect(backend.callsOf('add_account')[0]).toEqual({
      request: {
        jid: 'alice@example.org',
        password: 'pw',
        host: 'xmpp.example.org',
        port: 5223,
        direct_tls: true,
      },
    });
  });

  test('sends null host and port when Advanced is left empty', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org', 'pw');
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(1));
    expect(backend.callsOf('add_account')[0]).toEqual({
      request: { jid: 'alice@example.org', password: 'pw', host: null, port: null, direct_tls: false },
    });
  });

  test.each([
    ['auth_failed', 'The server rejected this password. Check it and try again.'],
    ['network', "Can't reach the server"],
    ['keyring_unavailable', 'keyring'],
    ['invalid_jid', 'you@example.org'],
  ])('explains a %s rejection from add_account in words', async (code, words) => {
    const backend = new FakeBackend();
    backend.on('add_account', () => {
      throw { code, message: 'backend detail' };
    });
    renderApp();
    await fillAndSubmit('alice@example.org');
    const error = await screen.findByTestId('account-error');
    expect(error.dataset['code']).toBe(code);
    expect(error.textContent).toContain(words);
    expect(error.textContent, 'the backend message is shown as detail').toContain('backend detail');
  });

  test('a password rejected while connecting is explained, and the retry replaces the account', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org', 'wrong');
    await waitFor(() => expect(backend.accounts).toHaveLength(1));
    const id = backend.accounts[0]?.id ?? -1;
    expect(screen.getByTestId('sign-in').textContent).toContain('Signing in');

    await backend.emit('linnet://account-state', {
      account_id: id,
      state: { kind: 'error', code: 'auth_failed', message: 'not-authorized' },
    });
    const error = await screen.findByTestId('account-error');
    expect(error.textContent).toContain('The server rejected this password. Check it and try again.');
    expect(screen.queryByTestId('account-list'), 'the form stays up until the account is online').toBeNull();

    await fillAndSubmit('alice@example.org', 'right');
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(2));
    expect(backend.callsOf('remove_account'), 'the failed attempt is cleaned up first').toEqual([
      { accountId: id },
    ]);
  });

  test('an untrusted certificate shows its fingerprint and subject and can be trusted', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org');
    await waitFor(() => expect(backend.accounts).toHaveLength(1));
    const id = backend.accounts[0]?.id ?? -1;
    const sha256 = 'ab'.repeat(32);

    await backend.emit('linnet://account-state', {
      account_id: id,
      state: {
        kind: 'error',
        code: 'certificate_untrusted',
        message: 'unknown issuer',
        cert: { sha256, subject: 'CN=example.org' },
      },
    });
    await screen.findByTestId('account-error');
    expect(screen.getByTestId('certificate-subject').textContent).toBe('CN=example.org');
    expect(screen.getByTestId('certificate-fingerprint').textContent).toBe(
      Array(32).fill('AB').join(':'),
    );

    await fireEvent.click(screen.getByTestId('trust-certificate'));
    await waitFor(() =>
      expect(backend.callsOf('trust_certificate')).toEqual([{ accountId: id, sha256 }]),
    );
  });

  test('goes to the main screen once the new account is online', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org');
    await waitFor(() => expect(backend.accounts).toHaveLength(1));
    const id = backend.accounts[0]?.id ?? -1;
    await backend.emit('linnet://account-state', { account_id: id, state: { kind: 'online' } });

    const list = await screen.findByTestId('account-list');
    expect(list.textContent).toContain('alice@example.org');
    expect(screen.getByTestId('connection-state').dataset['state']).toBe('online');
    expect(screen.queryByTestId('add-account-form')).toBeNull();
  });
});
