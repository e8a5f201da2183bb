import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AccountView } from '../../ipc';
import { ALICE, FakeBackend, account } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const WORK: AccountView = account(2, 'alice@work.example');

function backendWith(...accounts: AccountView[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = accounts;
  return backend;
}

describe('own presence', () => {
  test('choosing "Away" announces it on that account, keeping no status text', async () => {
    const backend = backendWith(ALICE, WORK);
    renderApp();
    const select = await screen.findByTestId<HTMLSelectElement>(`presence-select-${WORK.id}`);
    expect([...select.options].map((o) => o.textContent?.trim())).toEqual([
      'Available',
      'Free for chat',
      'Away',
      'Extended away',
      'Do not disturb',
    ]);
    expect(select.value, 'a fresh account is available').toBe('available');

    await fireEvent.change(select, { target: { value: 'away' } });
    await waitFor(() =>
      expect(backend.callsOf('set_presence')).toEqual([
        { accountId: WORK.id, show: 'away', status: null },
      ]),
    );
    expect(screen.getByTestId<HTMLSelectElement>(`presence-select-${ALICE.id}`).value).toBe(
      'available',
    );
  });

  test('the status text is sent once on Enter (not again on blur), with the chosen show', async () => {
    const backend = backendWith(ALICE);
    renderApp();
    await fireEvent.change(await screen.findByTestId(`presence-select-${ALICE.id}`), {
      target: { value: 'dnd' },
    });
    const status = screen.getByTestId(`status-input-${ALICE.id}`);
    await fireEvent.input(status, { target: { value: '  In a meeting ' } });
    expect(backend.callsOf('set_presence'), 'typing alone sends nothing').toHaveLength(1);

    await fireEvent.keyDown(status, { key: 'Enter' });
    await fireEvent.blur(status);
    await waitFor(() => expect(backend.callsOf('set_presence')).toHaveLength(2));
    expect(backend.callsOf('set_presence')[1]).toEqual({
      accountId: ALICE.id,
      show: 'dnd',
      status: 'In a meeting',
    });
  });

  test('clearing the status text and leaving the field sends null', async () => {
    const backend = backendWith(ALICE);
    renderApp();
    const status = await screen.findByTestId(`status-input-${ALICE.id}`);
    await fireEvent.input(status, { target: { value: 'Lunch' } });
    await fireEvent.blur(status);
    await fireEvent.input(status, { target: { value: '   ' } });
    await fireEvent.blur(status);
    await waitFor(() => expect(backend.callsOf('set_presence')).toHaveLength(2));
    expect(backend.callsOf('set_presence')[1]).toEqual({
      accountId: ALICE.id,
      show: 'available',
      status: null,
    });
  });

  test('a refused change goes back to the previous presence and says why', async () => {
    const backend = backendWith(ALICE);
    backend.on('set_presence', () => {
      throw { code: 'not_connected', message: 'offline' };
    });
    renderApp();
    const select = await screen.findByTestId<HTMLSelectElement>(`presence-select-${ALICE.id}`);
    await fireEvent.change(select, { target: { value: 'xa' } });
    const error = await screen.findByTestId(`presence-error-${ALICE.id}`);
    expect(error.dataset['code']).toBe('not_connected');
    await waitFor(() => expect(select.value).toBe('available'));
  });

  test('a disabled account has no presence to choose', async () => {
    backendWith({ ...ALICE, enabled: false, state: { kind: 'offline' } });
    renderApp();
    const select = await screen.findByTestId<HTMLSelectElement>(`presence-select-${ALICE.id}`);
    expect(select.disabled).toBe(true);
    expect(screen.getByTestId<HTMLInputElement>(`status-input-${ALICE.id}`).disabled).toBe(true);
  });
});

describe('removing an account', () => {
  test('asks first; Cancel keeps the account', async () => {
    const backend = backendWith(ALICE, WORK);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`remove-account-${WORK.id}`));
    const confirm = screen.getByTestId(`confirm-remove-${WORK.id}`);
    expect(backend.callsOf('remove_account'), 'nothing is removed before confirming').toEqual([]);
    const group = confirm.closest<HTMLElement>('[role="group"]');
    expect(group?.textContent).toContain('alice@work.example');
    expect(document.activeElement?.textContent?.trim(), 'focus lands on the safe choice').toBe(
      'Cancel',
    );

    await fireEvent.click(within(group ?? document.body).getByText('Cancel'));
    expect(screen.queryByTestId(`confirm-remove-${WORK.id}`)).toBeNull();
    expect(backend.callsOf('remove_account')).toEqual([]);
  });

  test('Escape cancels the confirmation', async () => {
    const backend = backendWith(ALICE);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`remove-account-${ALICE.id}`));
    await fireEvent.keyDown(screen.getByTestId(`confirm-remove-${ALICE.id}`), { key: 'Escape' });
    expect(screen.queryByTestId(`confirm-remove-${ALICE.id}`)).toBeNull();
    expect(backend.callsOf('remove_account')).toEqual([]);
  });

  test('confirming removes it from the backend and from the list', async () => {
    const backend = backendWith(ALICE, WORK);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`remove-account-${WORK.id}`));
    await fireEvent.click(screen.getByTestId(`confirm-remove-${WORK.id}`));
    await waitFor(() => expect(backend.callsOf('remove_account')).toEqual([{ accountId: WORK.id }]));
    await waitFor(() => expect(screen.queryByTestId(`account-${WORK.id}`)).toBeNull());
    expect(screen.getByTestId(`account-${ALICE.id}`)).toBeTruthy();
  });
});

describe('entering the password again', () => {
  test.each(['auth_failed', 'password_missing'] as const)(
    'after %s, the new password goes to set_password',
    async (code) => {
      const backend = backendWith({
        ...ALICE,
        state: { kind: 'error', code, message: 'not-authorized', cert: null },
      });
      renderApp();
      const form = await screen.findByTestId(`password-retry-${ALICE.id}`);
      const input = within(form).getByTestId<HTMLInputElement>(`password-retry-input-${ALICE.id}`);
      expect(input.type, 'the password is masked').toBe('password');

      await fireEvent.click(screen.getByTestId(`password-retry-submit-${ALICE.id}`));
      expect(backend.callsOf('set_password'), 'an empty password is not sent').toEqual([]);

      await fireEvent.input(input, { target: { value: 'n3w secret' } });
      await fireEvent.click(screen.getByTestId(`password-retry-submit-${ALICE.id}`));
      await waitFor(() =>
        expect(backend.callsOf('set_password')).toEqual([
          { accountId: ALICE.id, password: 'n3w secret', sessionOnly: false },
        ]),
      );

      await backend.emit('linnet://account-state', {
        account_id: ALICE.id,
        state: { kind: 'connecting' },
      });
      await waitFor(() =>
        expect(
          screen.queryByTestId(`password-retry-${ALICE.id}`),
          'the form goes away once the account reconnects',
        ).toBeNull(),
      );
    },
  );

  test('a keyring failure while storing it is explained', async () => {
    const backend = backendWith({
      ...ALICE,
      state: { kind: 'error', code: 'auth_failed', message: 'not-authorized', cert: null },
    });
    backend.on('set_password', () => {
      throw { code: 'keyring_unavailable', message: 'no secret service' };
    });
    renderApp();
    const input = await screen.findByTestId(`password-retry-input-${ALICE.id}`);
    await fireEvent.input(input, { target: { value: 'pw' } });
    await fireEvent.click(screen.getByTestId(`password-retry-submit-${ALICE.id}`));
    const form = screen.getByTestId(`password-retry-${ALICE.id}`);
    await waitFor(() => expect(within(form).getByRole('alert').dataset['code']).toBe('keyring_unavailable'));
  });

  test('is not offered for errors a password cannot fix', async () => {
    backendWith({ ...ALICE, state: { kind: 'error', code: 'network', message: 'refused', cert: null } });
    renderApp();
    await screen.findByTestId(`account-error-${ALICE.id}`);
    expect(screen.queryByTestId(`password-retry-${ALICE.id}`)).toBeNull();
  });

  test('without a usable keyring, the new password can be kept for this session only', async () => {
    const backend = backendWith({
      ...ALICE,
      state: { kind: 'error', code: 'auth_failed', message: 'not-authorized', cert: null },
    });
    const keyringError = 'No usable system keyring (locked collection).';
    backend.on('set_password', (args) => {
      if (!args['sessionOnly']) throw { code: 'keyring_unavailable', message: keyringError };
      return null;
    });
    renderApp();
    const input = await screen.findByTestId<HTMLInputElement>(`password-retry-input-${ALICE.id}`);
    await fireEvent.input(input, { target: { value: 'pw' } });
    await fireEvent.click(screen.getByTestId(`password-retry-submit-${ALICE.id}`));

    const offer = await screen.findByTestId(`session-only-${ALICE.id}`);
    expect(offer.textContent, "the backend's explanation is shown").toContain(keyringError);
    await fireEvent.click(within(offer).getByRole('button', { name: 'Keep the password for this session only' }));
    await waitFor(() =>
      expect(backend.callsOf('set_password')).toEqual([
        { accountId: ALICE.id, password: 'pw', sessionOnly: false },
        { accountId: ALICE.id, password: 'pw', sessionOnly: true },
      ]),
    );
    await waitFor(() => expect(input.value, 'the password leaves the form once stored').toBe(''));
    expect(screen.queryByTestId(`session-only-${ALICE.id}`)).toBeNull();
  });

  test('after a restart, a session-only password is asked for again', async () => {
    const backend = backendWith({
      ...ALICE,
      state: {
        kind: 'error',
        code: 'password_missing',
        message: 'No password is stored for this account. Enter it again.',
        cert: null,
      },
    });
    renderApp();
    const notice = await screen.findByTestId(`account-error-${ALICE.id}`);
    expect(notice.textContent).toContain('kept for one session only is forgotten');
    const input = screen.getByLabelText(`Password for ${ALICE.jid}`);
    await fireEvent.input(input, { target: { value: 'pw' } });
    await fireEvent.submit(screen.getByTestId(`password-retry-${ALICE.id}`));
    await waitFor(() =>
      expect(backend.callsOf('set_password')).toEqual([
        { accountId: ALICE.id, password: 'pw', sessionOnly: false },
      ]),
    );
  });

  test('when the keyring cannot be read, the password form offers a session-only password at once', async () => {
    const backend = backendWith({
      ...ALICE,
      state: { kind: 'error', code: 'keyring_unavailable', message: 'No usable system keyring.', cert: null },
    });
    renderApp();
    const offer = await screen.findByTestId(`session-only-${ALICE.id}`);
    const keep = within(offer).getByRole('button', { name: 'Keep the password for this session only' });
    await fireEvent.click(keep);
    expect(backend.callsOf('set_password'), 'an empty password is not sent').toEqual([]);
    expect(screen.getByTestId(`password-retry-${ALICE.id}`).textContent).toContain('Enter the password.');

    await fireEvent.input(screen.getByTestId(`password-retry-input-${ALICE.id}`), {
      target: { value: 'pw' },
    });
    await fireEvent.click(keep);
    await waitFor(() =>
      expect(backend.callsOf('set_password')).toEqual([
        { accountId: ALICE.id, password: 'pw', sessionOnly: true },
      ]),
    );
  });
});

describe('editing an account', () => {
  const CUSTOM = account(3, 'carol@example.net', { host: 'xmpp.example.net', port: 5223, direct_tls: true });

  test('the form says how the online account is connected', async () => {
    const srv = account(4, 'dave@example.org', {
      connected_via: { host: 'xmpp.example.org', port: 5222, address: '192.0.2.7:5222', direct_tls: false, from_srv: true, mechanism: null, sasl2: false },
    });
    backendWith(srv);
    renderApp();
    await fireEvent.click(await screen.findByRole('button', { name: 'Edit connection settings of dave@example.org' }));
    expect(screen.getByTestId('connected-via-4').textContent).toBe(
      'Connected to xmpp.example.org:5222 (192.0.2.7:5222) with STARTTLS, found through the domain’s DNS SRV records.',
    );
  });

  test('opens a form with the current settings; saving sends them and reconnects', async () => {
    const backend = backendWith(CUSTOM);
    renderApp();
    const edit = await screen.findByRole('button', { name: 'Edit connection settings of carol@example.net' });
    expect(edit.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(edit);
    expect(edit.getAttribute('aria-expanded')).toBe('true');

    const form = screen.getByTestId(`edit-account-form-${CUSTOM.id}`);
    const host = within(form).getByLabelText<HTMLInputElement>('Host');
    const port = within(form).getByLabelText<HTMLInputElement>('Port');
    const tls = within(form).getByLabelText<HTMLInputElement>('Direct TLS (XEP-0368)');
    expect([host.value, port.value, tls.checked]).toEqual(['xmpp.example.net', '5223', true]);
    expect(document.activeElement, 'focus starts in the form').toBe(host);

    await fireEvent.input(host, { target: { value: '  ' } });
    await fireEvent.input(port, { target: { value: '' } });
    await fireEvent.click(tls);
    const plain = within(form).getByTestId<HTMLInputElement>(`edit-allow-plain-${CUSTOM.id}`);
    expect(plain.checked, 'PLAIN is off unless the user allows it').toBe(false);
    await fireEvent.click(plain);
    const proxy = within(form).getByLabelText<HTMLInputElement>('Proxy for this account');
    await fireEvent.input(proxy, { target: { value: ' socks5h://127.0.0.1:9050 ' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Save and reconnect' }));
    await waitFor(() =>
      expect(backend.callsOf('update_account')).toEqual([
        {
          accountId: CUSTOM.id,
          host: null,
          port: null,
          directTls: false,
          allowPlain: true,
          proxy: 'socks5h://127.0.0.1:9050',
        },
      ]),
    );
    await waitFor(() => expect(screen.queryByTestId(`edit-account-form-${CUSTOM.id}`)).toBeNull());
    expect(document.activeElement, 'focus goes back to Edit').toBe(edit);
    expect(screen.getByTestId('connection-state').dataset['state'], "the answer's state shows").toBe(
      'connecting',
    );

    await fireEvent.click(edit);
    const reopened = screen.getByTestId(`edit-account-form-${CUSTOM.id}`);
    expect(within(reopened).getByLabelText<HTMLInputElement>('Host').value, 'the saved settings').toBe('');
  });

  test('Escape cancels without saving', async () => {
    const backend = backendWith(CUSTOM);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`edit-account-${CUSTOM.id}`));
    const form = screen.getByTestId(`edit-account-form-${CUSTOM.id}`);
    await fireEvent.input(within(form).getByLabelText('Port'), { target: { value: '1' } });
    await fireEvent.keyDown(within(form).getByLabelText('Port'), { key: 'Escape' });
    expect(screen.queryByTestId(`edit-account-form-${CUSTOM.id}`)).toBeNull();
    expect(backend.callsOf('update_account')).toEqual([]);
    expect(document.activeElement).toBe(screen.getByTestId(`edit-account-${CUSTOM.id}`));
  });

  test('a bad port is refused before asking the backend; a backend refusal is explained', async () => {
    const backend = backendWith(CUSTOM);
    backend.on('update_account', () => {
      throw { code: 'unknown_account', message: 'gone' };
    });
    renderApp();
    await fireEvent.click(await screen.findByTestId(`edit-account-${CUSTOM.id}`));
    const form = screen.getByTestId(`edit-account-form-${CUSTOM.id}`);
    const port = within(form).getByLabelText('Port');
    await fireEvent.input(port, { target: { value: '70000' } });
    await fireEvent.submit(form);
    expect(port.getAttribute('aria-invalid')).toBe('true');
    expect(form.textContent).toContain('between 1 and 65535');
    expect(backend.callsOf('update_account')).toEqual([]);

    await fireEvent.input(port, { target: { value: ' 5222 ' } });
    await fireEvent.submit(form);
    await waitFor(() => expect(within(form).getByRole('alert').dataset['code']).toBe('unknown_account'));
    expect(backend.callsOf('update_account')).toEqual([
      { accountId: CUSTOM.id, host: 'xmpp.example.net', port: 5222, directTls: true, allowPlain: false, proxy: null },
    ]);
    expect(screen.getByTestId(`edit-account-form-${CUSTOM.id}`), 'the form stays up').toBeTruthy();
  });
});

describe('our OMEMO device', () => {
  /** As the backend gives it: 64 lower-case hex digits in groups of eight. */
  const FINGERPRINT = '0123abcd 4567ef01 89abcdef 01234567 fedcba98 76543210 00112233 aabbccdd';
  /** What Conversations puts in its verification QR codes. */
  const uri = (deviceId: number): string =>
    `xmpp:${ALICE.jid}?omemo-sid-${deviceId}=${FINGERPRINT.replace(/ /g, '')}`;

  test('the account settings show its fingerprint in groups of eight, monospace, and its id', async () => {
    const backend = backendWith(ALICE, WORK);
    backend.ownDevices.set(ALICE.id, { device_id: 1234567, fingerprint: FINGERPRINT, uri: uri(1234567) });
    renderApp();
    await fireEvent.click(await screen.findByTestId(`edit-account-${ALICE.id}`));
    const form = screen.getByTestId(`edit-account-form-${ALICE.id}`);

    const device = await within(form).findByTestId(`omemo-device-${ALICE.id}`);
    expect(backend.callsOf('own_omemo_device')).toEqual([{ accountId: ALICE.id }]);
    expect(within(device).getByText('OMEMO fingerprint').tagName).toBe('DT');
    const fingerprint = within(device).getByTestId(`omemo-fingerprint-${ALICE.id}`);
    expect(fingerprint.tagName, 'monospace').toBe('CODE');
    expect(fingerprint.textContent).toBe(FINGERPRINT);
    expect(within(device).getByTestId(`omemo-device-id-${ALICE.id}`).textContent).toBe('1234567');
  });

  test('nothing before the account has a device', async () => {
    const backend = backendWith(ALICE, WORK);
    backend.ownDevices.set(ALICE.id, { device_id: 1, fingerprint: FINGERPRINT, uri: uri(1) });
    renderApp();
    await fireEvent.click(await screen.findByTestId(`edit-account-${WORK.id}`));
    const form = screen.getByTestId(`edit-account-form-${WORK.id}`);
    await waitFor(() => expect(backend.callsOf('own_omemo_device')).toEqual([{ accountId: WORK.id }]));
    expect(within(form).queryByTestId(`omemo-device-${WORK.id}`)).toBeNull();
    expect(form.textContent).not.toContain('OMEMO');
  });
});
