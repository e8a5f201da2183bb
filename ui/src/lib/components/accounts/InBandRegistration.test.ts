import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { AccountView, RegistrationForm } from '../../ipc';
import {
  ALICE,
  FakeBackend,
  REGISTRATION_DOMAIN,
  account,
  formField,
  registrationFormBody,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';

const XSS = '<img src=x onerror=alert(1)>';
const WORK: AccountView = account(2, 'alice@work.example');

function input(testId: string): HTMLInputElement {
  return screen.getByTestId<HTMLInputElement>(testId);
}

async function type(testId: string, value: string): Promise<void> {
  await fireEvent.input(input(testId), { target: { value } });
}

/** From the first screen to the sign-up form's first step. */
async function openCreate(): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId('create-account'));
  return screen.getByTestId('create-account-form');
}

/** Asks `domain` for its sign-up form and waits for it. */
async function fetchForm(domain = REGISTRATION_DOMAIN): Promise<void> {
  await type('register-server-input', domain);
  await fireEvent.click(screen.getByTestId('register-continue'));
  await screen.findByTestId('register-submit');
}

async function fillAndSubmit(username: string, password = 'pw'): Promise<void> {
  await type('register-field-username', username);
  await type('register-field-password', password);
  await fireEvent.click(screen.getByTestId('register-submit'));
}

describe('creating an account', () => {
  test('the first screen offers it; Back returns to sign in', async () => {
    new FakeBackend();
    renderApp();
    const button = await screen.findByTestId('create-account');
    expect(button.textContent?.trim()).toBe('Create an account');
    const form = await openCreate();
    expect(form.querySelector('h1')?.textContent).toBe('Create an XMPP account');
    expect(screen.queryByTestId('add-account-form')).toBeNull();
    expect(document.activeElement, 'ready to type the domain').toBe(input('register-server-input'));

    await fireEvent.click(screen.getByTestId('register-back'));
    expect(screen.getByTestId('add-account-form')).toBeTruthy();
    expect(screen.queryByTestId('create-account-form')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('create-account'));
  });

  test('leaving a fetched form, back or to another server, closes its connection', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fetchForm();
    expect(backend.registrationSessions.size).toBe(1);
    await fireEvent.click(screen.getByTestId('register-change-server'));
    await waitFor(() => expect(backend.registrationSessions.size).toBe(0));
    await fetchForm();
    expect(backend.registrationSessions.size).toBe(1);
    await fireEvent.click(screen.getByTestId('register-back'));
    await waitFor(() => expect(backend.registrationSessions.size).toBe(0));
    expect(backend.calls.filter((c) => c.command === 'cancel_registration')).toHaveLength(2);
  });

  test('a bad domain or port is refused before asking the server', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fireEvent.click(screen.getByTestId('register-continue'));
    expect(screen.getByTestId('register-server-error').textContent).toContain("server's domain");
    await type('register-server-input', 'alice@example.net');
    expect(screen.getByTestId('register-server-error').textContent).toContain('without a name and @');
    await type('register-server-input', REGISTRATION_DOMAIN);
    await type('register-port-input', '99999');
    await fireEvent.click(screen.getByTestId('register-continue'));
    expect(screen.getByTestId('register-port-error').textContent).toContain('between 1 and 65535');
    expect(backend.callsOf('registration_form')).toEqual([]);
  });

  test('Continue asks the server for its form, busy meanwhile, and draws its fields', async () => {
    const backend = new FakeBackend();
    let answer: (form: RegistrationForm) => void = () => undefined;
    backend.on('registration_form', () => new Promise<RegistrationForm>((resolve) => (answer = resolve)));
    renderApp();
    await openCreate();
    await type('register-server-input', ' example.net ');
    await type('register-host-input', 'xmpp.example.net');
    await type('register-port-input', '5223');
    await fireEvent.click(screen.getByTestId('register-direct-tls'));
    await fireEvent.click(screen.getByTestId('register-continue'));

    const continueButton = screen.getByTestId<HTMLButtonElement>('register-continue');
    expect(continueButton.disabled).toBe(true);
    expect(continueButton.textContent?.trim()).toBe('Asking the server…');
    expect(backend.callsOf('registration_form')).toEqual([
      { server: { domain: 'example.net', host: 'xmpp.example.net', port: 5223, direct_tls: true } },
    ]);

    answer({
      session: 's1',
      domain: 'example.net',
      ...registrationFormBody({
        title: `Sign up ${XSS}`,
        instructions: `Choose a user name.\n${XSS}`,
        fields: [
          formField('FORM_TYPE', 'hidden', { values: ['jabber:iq:register'] }),
          formField('username', 'text-single', { label: null, required: true }),
          formField('password', 'text-private', { label: null, required: true }),
          formField('email', 'text-single', { label: XSS, desc: `Help ${XSS}` }),
        ],
      }),
    });
    await screen.findByTestId('register-submit');
    expect(screen.getByTestId('register-domain').textContent).toBe('example.net');
    expect(screen.getByTestId('register-title').textContent).toBe(`Sign up ${XSS}`);
    expect(screen.getByTestId('register-instructions').textContent).toBe(`Choose a user name.\n${XSS}`);
    expect(document.querySelector('img'), 'remote text is never HTML').toBeNull();

    const username = input('register-field-username');
    expect(username.type).toBe('text');
    expect(username.getAttribute('autocomplete')).toBe('username');
    expect(screen.getByLabelText(/User name/)).toBe(username);
    const password = input('register-field-password');
    expect(password.type).toBe('password');
    expect(password.getAttribute('autocomplete')).toBe('new-password');
    expect(screen.getByLabelText(/^Password/)).toBe(password);
    expect(screen.getByLabelText(XSS)).toBe(input('register-field-email'));
    expect(screen.queryByTestId('register-field-FORM_TYPE'), 'hidden fields are not shown').toBeNull();
    await waitFor(() => expect(document.activeElement, 'ready to type').toBe(username));
  });

  test('submitting sends the values on the session; the account appears and goes online', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fetchForm();
    const session = [...backend.registrationSessions.keys()][0];
    await type('register-field-username', 'alice');
    expect(screen.getByTestId('register-address').textContent).toBe(
      `Your address will be alice@${REGISTRATION_DOMAIN}`,
    );
    await fillAndSubmit('alice', 's3cret');

    await waitFor(() => expect(backend.callsOf('register_account')).toHaveLength(1));
    expect(backend.callsOf('register_account')[0]).toEqual({
      session,
      values: [
        { var: 'username', values: ['alice'] },
        { var: 'password', values: ['s3cret'] },
      ],
      sessionOnly: false,
    });
    const created = await screen.findByTestId('register-created');
    expect(created.textContent).toContain(`alice@${REGISTRATION_DOMAIN}`);
    expect(screen.getByTestId('register-status').textContent).toBe('Connecting…');
    expect(screen.queryByTestId('register-field-password'), 'the password leaves the form').toBeNull();
    expect(screen.queryByTestId('register-back')).toBeNull();

    const id = backend.accounts[0]?.id ?? -1;
    await backend.emit('linnet://account-state', { account_id: id, state: { kind: 'online' } });
    const list = await screen.findByTestId('account-list');
    expect(list.textContent).toContain(`alice@${REGISTRATION_DOMAIN}`);
    expect(screen.queryByTestId('create-account-form')).toBeNull();
  });

  test('required fields left empty are named, without asking the server', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fetchForm();
    await type('register-field-username', 'alice');
    await fireEvent.click(screen.getByTestId('register-submit'));
    expect(screen.getByTestId('register-missing').textContent).toBe('Fill in: Password.');
    expect(document.activeElement).toBe(input('register-field-password'));
    expect(backend.callsOf('register_account')).toEqual([]);
  });

  test('a refusal (user name taken) is shown and the form stays to be corrected', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fetchForm();
    await fillAndSubmit('bob');

    const error = await screen.findByTestId('register-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain('That user name is already taken');
    expect(input('register-field-username').value, 'what was typed stays').toBe('bob');
    expect(input('register-field-password').value).toBe('pw');

    await type('register-field-username', 'alice');
    await fireEvent.click(screen.getByTestId('register-submit'));
    await screen.findByTestId('register-created');
    const calls = backend.callsOf('register_account');
    expect(calls.map((c) => c['session']), 'again on the same session').toEqual([
      calls[0]?.['session'],
      calls[0]?.['session'],
    ]);
    expect(screen.queryByTestId('register-error')).toBeNull();
  });

  test('a server that does not allow it says so on the first step', async () => {
    new FakeBackend();
    renderApp();
    await openCreate();
    await type('register-server-input', 'closed.example');
    await fireEvent.click(screen.getByTestId('register-continue'));
    const error = await screen.findByTestId('register-error');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain('does not allow creating accounts');
    expect(screen.getByTestId('register-server-input'), 'still on step one').toBeTruthy();
  });

  test('an expired session goes back to step one; the next form keeps what was typed', async () => {
    const backend = new FakeBackend();
    renderApp();
    await openCreate();
    await fetchForm();
    backend.registrationSessions.clear();
    await fillAndSubmit('alice');

    const error = await screen.findByTestId('register-error');
    expect(error.dataset['code']).toBe('not_found');
    expect(error.textContent).toContain('expired');
    expect(input('register-server-input').value, 'the domain is kept').toBe(REGISTRATION_DOMAIN);
    expect(document.activeElement).toBe(input('register-server-input'));
    expect(screen.queryByTestId('register-submit')).toBeNull();

    await fireEvent.click(screen.getByTestId('register-continue'));
    await screen.findByTestId('register-submit');
    expect(backend.callsOf('registration_form')).toHaveLength(2);
    expect(input('register-field-username').value).toBe('alice');
    expect(screen.queryByTestId('register-error')).toBeNull();
  });

  test('without a usable keyring, the password can be kept for this session only', async () => {
    const backend = new FakeBackend();
    backend.keyringAvailable = false;
    renderApp();
    await openCreate();
    await fetchForm();
    await fillAndSubmit('alice');

    const error = await screen.findByTestId('register-error');
    expect(error.dataset['code']).toBe('keyring_unavailable');
    expect(screen.getByTestId('session-only-message').textContent).toBe('The Secret Service is not running.');
    await fireEvent.click(screen.getByTestId('session-only-accept'));
    await screen.findByTestId('register-created');
    expect(backend.callsOf('register_account').map((c) => c['sessionOnly'])).toEqual([false, true]);
    expect(screen.getByTestId('session-only-note').textContent).toContain('session only');
  });

  test('a connection error after creating the account is explained; the user can go on', async () => {
    const backend = new FakeBackend();
    backend.accounts = [WORK];
    renderApp();
    await fireEvent.click(await screen.findByTestId('add-account'));
    await openCreate();
    await fetchForm();
    await fillAndSubmit('alice');
    await screen.findByTestId('register-created');
    const id = backend.accounts.find((a) => a.jid === `alice@${REGISTRATION_DOMAIN}`)?.id ?? -1;
    await backend.emit('linnet://account-state', {
      account_id: id,
      state: { kind: 'error', code: 'network', message: 'connection refused', cert: null },
    });
    expect((await screen.findByTestId('register-error')).dataset['code']).toBe('network');
    await fireEvent.click(screen.getByTestId('register-done'));
    expect((await screen.findByTestId('account-list')).textContent).toContain(`alice@${REGISTRATION_DOMAIN}`);
  });
});

/** The main screen with alice and work, alice's settings open. */
async function openSettings(backend: FakeBackend, target: AccountView = ALICE): Promise<HTMLElement> {
  backend.accounts = [ALICE, WORK];
  renderApp();
  await fireEvent.click(await screen.findByTestId(`edit-account-${target.id}`));
  return screen.getByTestId(`account-on-server-${target.id}`);
}

describe('changing the password on the server', () => {
  test('needs the same new password twice; success is said and the boxes clear', async () => {
    const backend = new FakeBackend();
    const section = await openSettings(backend);
    const button = within(section).getByTestId<HTMLButtonElement>('change-password');
    expect(within(section).getByTestId<HTMLInputElement>('new-password-input').type).toBe('password');
    expect(within(section).getByTestId<HTMLInputElement>('confirm-password-input').type).toBe('password');
    expect(button.disabled, 'nothing typed').toBe(true);

    await fireEvent.input(within(section).getByTestId('new-password-input'), { target: { value: 'n3w' } });
    expect(button.disabled, 'not confirmed').toBe(true);
    await fireEvent.input(within(section).getByTestId('confirm-password-input'), { target: { value: 'n3x' } });
    expect(button.disabled, 'they differ').toBe(true);
    expect(within(section).getByTestId('password-mismatch').textContent).toContain('differ');
    await fireEvent.submit(button.closest('form')!);
    expect(backend.callsOf('change_password'), 'Enter does not send them either').toEqual([]);

    await fireEvent.input(within(section).getByTestId('confirm-password-input'), { target: { value: 'n3w' } });
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await within(section).findByTestId('password-changed');
    expect(backend.callsOf('change_password')).toEqual([{ accountId: ALICE.id, password: 'n3w' }]);
    expect(within(section).getByTestId<HTMLInputElement>('new-password-input').value).toBe('');
    expect(within(section).getByTestId<HTMLInputElement>('confirm-password-input').value).toBe('');
    expect(button.disabled).toBe(true);
  });

  test('a refusal is shown with the server’s words; nothing is cleared', async () => {
    const backend = new FakeBackend();
    backend.on('change_password', () => {
      throw { code: 'server_error', message: `Password too weak ${XSS}` };
    });
    const section = await openSettings(backend);
    await fireEvent.input(within(section).getByTestId('new-password-input'), { target: { value: 'a' } });
    await fireEvent.input(within(section).getByTestId('confirm-password-input'), { target: { value: 'a' } });
    await fireEvent.click(within(section).getByTestId('change-password'));
    const error = await within(section).findByTestId('change-password-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain(`Password too weak ${XSS}`);
    expect(document.querySelector('img')).toBeNull();
    expect(within(section).queryByTestId('password-changed')).toBeNull();
    expect(within(section).getByTestId<HTMLInputElement>('new-password-input').value).toBe('a');
  });

  test('an account offline cannot change it', async () => {
    const backend = new FakeBackend();
    const offline = account(2, 'alice@work.example', { state: { kind: 'offline' } });
    backend.accounts = [ALICE, offline];
    renderApp();
    await fireEvent.click(await screen.findByTestId(`edit-account-${offline.id}`));
    const section = screen.getByTestId(`account-on-server-${offline.id}`);
    await fireEvent.input(within(section).getByTestId('new-password-input'), { target: { value: 'a' } });
    await fireEvent.input(within(section).getByTestId('confirm-password-input'), { target: { value: 'a' } });
    await fireEvent.click(within(section).getByTestId('change-password'));
    const error = await within(section).findByTestId('change-password-error');
    expect(error.dataset['code']).toBe('not_connected');
    expect(error.textContent).toContain('not connected');
  });
});

describe('deleting the account on the server', () => {
  test('the dialog says what is lost and wants the JID typed; then the account is gone', async () => {
    const backend = new FakeBackend();
    const section = await openSettings(backend);
    await fireEvent.click(within(section).getByTestId('delete-on-server'));
    const dialog = screen.getByTestId<HTMLDialogElement>('delete-on-server-dialog');
    expect(dialog.open).toBe(true);
    expect(dialog.classList.contains('linnet-dialog')).toBe(true);
    const text = (dialog.textContent ?? '').replace(/\s+/g, ' ');
    for (const words of [ALICE.jid, 'for good', 'contacts', 'message archive', 'cannot be undone', 'this computer']) {
      expect(text).toContain(words);
    }

    const confirm = within(dialog).getByTestId<HTMLButtonElement>('delete-on-server-confirm');
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(within(dialog).getByTestId('delete-confirm-input'), { target: { value: 'alice' } });
    expect(confirm.disabled, 'not the JID').toBe(true);
    await fireEvent.input(within(dialog).getByTestId('delete-confirm-input'), {
      target: { value: ` ${ALICE.jid} ` },
    });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);

    await waitFor(() => expect(screen.queryByTestId(`account-${ALICE.id}`)).toBeNull());
    expect(backend.callsOf('delete_account_on_server')).toEqual([{ accountId: ALICE.id }]);
    expect(backend.callsOf('remove_account'), 'the backend removes it itself').toEqual([]);
    expect(screen.getByTestId(`account-${WORK.id}`), 'the other account stays').toBeTruthy();
  });

  test('Cancel closes the dialog and deletes nothing; opening again starts afresh', async () => {
    const backend = new FakeBackend();
    const section = await openSettings(backend);
    await fireEvent.click(within(section).getByTestId('delete-on-server'));
    const dialog = screen.getByTestId<HTMLDialogElement>('delete-on-server-dialog');
    await fireEvent.input(within(dialog).getByTestId('delete-confirm-input'), { target: { value: ALICE.jid } });
    await fireEvent.click(within(dialog).getByTestId('delete-on-server-cancel'));
    expect(dialog.open).toBe(false);
    expect(backend.callsOf('delete_account_on_server')).toEqual([]);
    expect(document.activeElement).toBe(within(section).getByTestId('delete-on-server'));

    await fireEvent.click(within(section).getByTestId('delete-on-server'));
    expect(within(dialog).getByTestId<HTMLInputElement>('delete-confirm-input').value).toBe('');
  });

  test('a refusal is shown in the dialog and the account stays', async () => {
    const backend = new FakeBackend();
    backend.on('delete_account_on_server', () => {
      throw { code: 'server_error', message: 'not-allowed' };
    });
    const section = await openSettings(backend);
    await fireEvent.click(within(section).getByTestId('delete-on-server'));
    const dialog = screen.getByTestId<HTMLDialogElement>('delete-on-server-dialog');
    await fireEvent.input(within(dialog).getByTestId('delete-confirm-input'), { target: { value: ALICE.jid } });
    await fireEvent.click(within(dialog).getByTestId('delete-on-server-confirm'));
    const error = await within(dialog).findByTestId('delete-on-server-error');
    expect(error.dataset['code']).toBe('server_error');
    expect(error.textContent).toContain('not-allowed');
    expect(dialog.open).toBe(true);
    expect(screen.getByTestId(`account-${ALICE.id}`)).toBeTruthy();
  });
});
