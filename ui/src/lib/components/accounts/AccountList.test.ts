import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AccountView } from '../../ipc';
import { ALICE, FakeBackend } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const WORK: AccountView = { id: 2, jid: 'alice@work.example', enabled: true, state: { kind: 'online' } };

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
        state: { kind: 'error', code, message: 'not-authorized' },
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
          { accountId: ALICE.id, password: 'n3w secret' },
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
      state: { kind: 'error', code: 'auth_failed', message: 'not-authorized' },
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
    backendWith({ ...ALICE, state: { kind: 'error', code: 'network', message: 'refused' } });
    renderApp();
    await screen.findByTestId(`account-error-${ALICE.id}`);
    expect(screen.queryByTestId(`password-retry-${ALICE.id}`)).toBeNull();
  });
});
