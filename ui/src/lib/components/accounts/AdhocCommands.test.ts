// Ad-hoc commands (XEP-0050) under an account's settings, against the fake backend: listed for
// the server or another address, a one-stage command's note, a form stage filled in and
// finished, a refusal shown in words, a command left unfinished cancelled.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend } from '../../../test/backend';
import { renderApp } from '../../../test/render';

async function openCommands(): Promise<{ backend: FakeBackend; section: HTMLElement }> {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  renderApp();
  await fireEvent.click(await screen.findByRole('button', { name: `Edit connection settings of ${ALICE.jid}` }));
  const section = screen.getByTestId(`adhoc-commands-${ALICE.id}`);
  return { backend, section };
}

describe('ad-hoc commands', () => {
  test('the server’s commands are listed; one that completes at once shows its note', async () => {
    const { backend, section } = await openCommands();
    await fireEvent.click(within(section).getByTestId('adhoc-list'));
    const buttons = await within(section).findAllByTestId('adhoc-command');
    expect(buttons.map((b) => b.textContent)).toEqual(['Get uptime', 'Add User']);
    expect(backend.callsOf('list_commands')).toEqual([{ accountId: ALICE.id, entity: null }]);

    await fireEvent.click(buttons[0]!);
    const stage = await within(section).findByTestId('adhoc-stage');
    expect(stage.dataset['status']).toBe('completed');
    expect(within(stage).getByTestId('adhoc-note').textContent).toBe('This server has been running for 3 days.');
    await fireEvent.click(within(stage).getByTestId('adhoc-close'));
    expect(backend.callsOf('cancel_command'), 'a completed command is not cancelled').toEqual([]);
    expect(within(section).getAllByTestId('adhoc-command')).toHaveLength(2);
  });

  test('a form stage is filled in and finished; a refusal keeps the form with the reason', async () => {
    const { backend, section } = await openCommands();
    await fireEvent.click(within(section).getByTestId('adhoc-list'));
    const addUser = (await within(section).findAllByTestId('adhoc-command'))[1]!;
    await fireEvent.click(addUser);
    const stage = await within(section).findByTestId('adhoc-stage');
    expect(within(stage).getByTestId('adhoc-title').textContent).toBe('Adding a User');

    // Empty: the (fake) server refuses in words, the form stays.
    await fireEvent.click(within(stage).getByTestId('adhoc-action-complete'));
    expect((await within(section).findByTestId('adhoc-error')).textContent).toContain('did not accept');
    expect(within(section).getByTestId('adhoc-stage').dataset['status']).toBe('executing');

    await fireEvent.input(within(stage).getByTestId('adhoc-field-accountjid'), { target: { value: 'carol@example.org' } });
    await fireEvent.input(within(stage).getByTestId('adhoc-field-password'), { target: { value: 'secret' } });
    await fireEvent.click(within(stage).getByTestId('adhoc-action-complete'));
    await waitFor(() => expect(within(section).getByTestId('adhoc-stage').dataset['status']).toBe('completed'));
    expect(within(section).getByTestId('adhoc-note').textContent).toBe('Account carol@example.org created.');
    const last = backend.callsOf('continue_command').at(-1);
    expect(last).toMatchObject({
      accountId: ALICE.id,
      session: { jid: 'example.org', node: 'add-user', id: 'add-user-1' },
      action: 'complete',
    });
    expect(last?.['values']).toEqual(
      expect.arrayContaining([
        { var: 'accountjid', values: ['carol@example.org'] },
        { var: 'password', values: ['secret'] },
      ]),
    );
  });

  test('a command left unfinished is cancelled; another address lists its own', async () => {
    const { backend, section } = await openCommands();
    await fireEvent.input(within(section).getByTestId('adhoc-entity'), { target: { value: 'bot@example.net' } });
    await fireEvent.click(within(section).getByTestId('adhoc-list'));
    expect(await within(section).findByTestId('adhoc-none')).toBeTruthy();
    expect(backend.callsOf('list_commands')).toEqual([{ accountId: ALICE.id, entity: 'bot@example.net' }]);

    await fireEvent.input(within(section).getByTestId('adhoc-entity'), { target: { value: '' } });
    await fireEvent.click(within(section).getByTestId('adhoc-list'));
    await fireEvent.click((await within(section).findAllByTestId('adhoc-command'))[1]!);
    await fireEvent.click(await within(section).findByTestId('adhoc-cancel'));
    await waitFor(() =>
      expect(backend.callsOf('cancel_command')).toEqual([
        { accountId: ALICE.id, session: { jid: 'example.org', node: 'add-user', id: 'add-user-1', form_type: null } },
      ]),
    );
  });
});
