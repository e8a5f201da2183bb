// The screen shown when Linnet's encrypted database cannot be opened: the backend's words, a
// passphrase, the keyring again, and starting afresh only after a confirmation that says the
// old file is kept.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, test, vi } from 'vitest';
import DatabaseLocked from './DatabaseLocked.svelte';
import { FakeBackend } from '../../../test/backend';

const MISSING = 'Linnet’s database is encrypted, and its key is no longer in the system keyring.';

describe('database problem screen', () => {
  test('a lost key: the reason, then unlocking with a passphrase', async () => {
    const backend = new FakeBackend();
    let tries = 0;
    backend.on('unlock_database', () => {
      tries += 1;
      if (tries === 1) throw { code: 'internal', message: 'That passphrase does not open it.' };
      return null;
    });
    const onOpened = vi.fn();
    render(DatabaseLocked, { problem: { kind: 'key_missing', message: MISSING }, onOpened });
    expect(screen.getByRole('heading').textContent).toContain('cannot open its database');
    expect(screen.getByTestId('database-problem-message').textContent).toBe(MISSING);
    expect(screen.queryByTestId('database-unencrypted'), 'no plaintext way out of an encrypted file').toBeNull();

    const field = screen.getByTestId('database-passphrase') as HTMLInputElement;
    expect(field.type).toBe('password');
    await fireEvent.input(field, { target: { value: 'wrong' } });
    await fireEvent.click(screen.getByTestId('database-unlock'));
    await waitFor(() =>
      expect(screen.getByTestId('database-problem-message').textContent).toBe('That passphrase does not open it.'),
    );
    expect(onOpened).not.toHaveBeenCalled();

    await fireEvent.input(field, { target: { value: 'right one' } });
    await fireEvent.click(screen.getByTestId('database-unlock'));
    await waitFor(() => expect(onOpened).toHaveBeenCalledOnce());
    expect(backend.callsOf('unlock_database')).toEqual([
      { passphrase: 'wrong', unencrypted: false },
      { passphrase: 'right one', unencrypted: false },
    ]);
    expect(field.value, 'not kept once used').toBe('');
  });

  test('starting afresh asks first and says the old file is kept', async () => {
    const backend = new FakeBackend();
    backend.on('start_afresh', () => null);
    const onOpened = vi.fn();
    render(DatabaseLocked, { problem: { kind: 'wrong_key', message: 'could not be opened' }, onOpened });
    await fireEvent.click(screen.getByTestId('database-start-afresh'));
    expect(backend.callsOf('start_afresh'), 'nothing before the confirmation').toEqual([]);
    expect(screen.getByTestId('database-afresh-warning').textContent).toContain('moved aside, not deleted');
    await fireEvent.click(screen.getByTestId('database-afresh-confirm'));
    await waitFor(() => expect(onOpened).toHaveBeenCalledOnce());
    expect(backend.callsOf('start_afresh')).toHaveLength(1);
  });

  test('no keyring: choose a passphrase, or go on unencrypted', async () => {
    const backend = new FakeBackend();
    backend.on('unlock_database', () => null);
    const onOpened = vi.fn();
    render(DatabaseLocked, { problem: { kind: 'no_keyring', message: 'no keyring is usable' }, onOpened });
    expect(screen.getByRole('heading').textContent).toContain('Choose how to protect');
    expect(screen.queryByTestId('database-start-afresh'), 'nothing to move aside').toBeNull();
    await fireEvent.click(screen.getByTestId('database-unencrypted'));
    await waitFor(() => expect(onOpened).toHaveBeenCalledOnce());
    expect(backend.callsOf('unlock_database')).toEqual([{ passphrase: null, unencrypted: true }]);
  });
});
