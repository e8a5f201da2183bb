import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AddAccountRequest } from '../../ipc';
import { FakeBackend, account } from '../../../test/backend';
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
        session_only: false,
      },
    });
  });

  test('sends null host and port when Advanced is left empty', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org', 'pw');
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(1));
    expect(backend.callsOf('add_account')[0]).toEqual({
      request: {
        jid: 'alice@example.org',
        password: 'pw',
        host: null,
        port: null,
        direct_tls: false,
        session_only: false,
      },
    });
  });

  test.each([
    ['auth_failed', 'The server rejected this password. Check it and try again.'],
    ['network', "Can't reach the server"],
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
      state: { kind: 'error', code: 'auth_failed', message: 'not-authorized', cert: null },
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
        cert: { sha256, subject: 'CN=example.org', reason: 'unknown issuer' },
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

  test('once online, the connection details (route and login) are fetched and shown', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org');
    await waitFor(() => expect(backend.accounts).toHaveLength(1));
    const id = backend.accounts[0]?.id ?? -1;
    const known = backend.accounts[0];
    if (!known) throw new Error('no account');
    backend.accounts[0] = {
      ...known,
      state: { kind: 'online' },
      connected_via: {
        host: 'example.org',
        port: 5222,
        address: '192.0.2.1:5222',
        direct_tls: false,
        from_srv: true,
        mechanism: 'SCRAM-SHA-1',
        sasl2: false,
      },
    };
    await backend.emit('linnet://account-state', { account_id: id, state: { kind: 'online' } });
    await fireEvent.click(await screen.findByTestId(`edit-account-${id}`));
    const via = await screen.findByTestId(`connected-via-${id}`);
    expect(via.textContent).toContain('Signed in with SCRAM-SHA-1.');
  });

  test('without a usable keyring, the password can be kept for this session only', async () => {
    const backend = new FakeBackend();
    const keyringError = 'No usable system keyring (no Secret Service on the bus).';
    backend.on('add_account', (args) => {
      const request = args['request'] as AddAccountRequest;
      if (!request.session_only) throw { code: 'keyring_unavailable', message: keyringError };
      const created = account(7, request.jid, { state: { kind: 'connecting' } });
      backend.accounts.push(created);
      return created;
    });
    renderApp();
    await fillAndSubmit('alice@example.org', 'pw');

    const notice = await screen.findByTestId('account-error');
    expect(notice.dataset['code']).toBe('keyring_unavailable');
    expect(notice.textContent).toContain('keyring');
    expect(screen.getByTestId('session-only-message').textContent, "the backend's words").toBe(
      keyringError,
    );
    const keep = screen.getByRole('button', { name: 'Keep the password for this session only' });
    expect(screen.getByTestId<HTMLInputElement>('password-input').value, 'kept for the retry').toBe('pw');

    await fireEvent.click(keep);
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(2));
    expect(backend.callsOf('add_account')[1]).toEqual({
      request: {
        jid: 'alice@example.org',
        password: 'pw',
        host: null,
        port: null,
        direct_tls: false,
        session_only: true,
      },
    });
    await waitFor(() =>
      expect(
        screen.getByTestId<HTMLInputElement>('password-input').value,
        'the password leaves the form once the backend has it',
      ).toBe(''),
    );
    expect(screen.queryByTestId('account-error')).toBeNull();
    expect(screen.getByTestId('session-only-note').textContent).toContain('session only');

    await backend.emit('linnet://account-state', { account_id: 7, state: { kind: 'online' } });
    expect(await screen.findByTestId('account-list')).toBeTruthy();
  });

  test('the password leaves the form as soon as add_account took it', async () => {
    const backend = new FakeBackend();
    renderApp();
    await fillAndSubmit('alice@example.org', 'secret');
    await waitFor(() => expect(backend.callsOf('add_account')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId<HTMLInputElement>('password-input').value).toBe(''));
  });
});
