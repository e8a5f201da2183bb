// Desktop settings: closing the window keeps Linnet in the tray (on by default; the shell is
// told at start and whenever it changes), and the theme (light, dark, or the system's), applied
// at once; both persist; starting at login, off until turned on.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { ALICE, FakeBackend, conversation } from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { SETTINGS_KEY } from '../../stores/settings.svelte';

test('the shell learns the choice at start and on change, and it persists', async () => {
  localStorage.removeItem(SETTINGS_KEY);
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  renderApp();
  await waitFor(() => expect(backend.callsOf('set_close_to_tray')).toEqual([{ keep: true }]));
  await fireEvent.click(await screen.findByTestId('open-settings'));
  const box = screen.getByTestId('setting-close-to-tray') as HTMLInputElement;
  expect(box.checked, 'on by default').toBe(true);
  await fireEvent.click(box);
  await waitFor(() =>
    expect(backend.callsOf('set_close_to_tray')).toEqual([{ keep: true }, { keep: false }]),
  );
  expect(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}')).toMatchObject({ closeToTray: false });
  localStorage.removeItem(SETTINGS_KEY);
});

test('the theme is pinned on the page at once, persists, and "As the system" unpins it', async () => {
  localStorage.removeItem(SETTINGS_KEY);
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  renderApp();
  await fireEvent.click(await screen.findByTestId('open-settings'));
  const select = screen.getByTestId('setting-theme') as HTMLSelectElement;
  expect(select.value).toBe('system');
  expect(document.documentElement.dataset['theme']).toBeUndefined();
  await fireEvent.change(select, { target: { value: 'dark' } });
  expect(document.documentElement.dataset['theme']).toBe('dark');
  expect(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}')).toMatchObject({ theme: 'dark' });
  await fireEvent.change(select, { target: { value: 'system' } });
  expect(document.documentElement.dataset['theme']).toBeUndefined();
  localStorage.removeItem(SETTINGS_KEY);
});

test('starting at login is off until turned on, and the system is told', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  renderApp();
  await fireEvent.click(await screen.findByTestId('open-settings'));
  const box = screen.getByTestId('setting-autostart') as HTMLInputElement;
  await waitFor(() => expect(box.disabled).toBe(false));
  expect(box.checked, 'off by default').toBe(false);
  await fireEvent.click(box);
  await waitFor(() => expect(backend.callsOf('set_autostart')).toEqual([{ enabled: true }]));
  expect(backend.autostart).toBe(true);
});

test('Alt+Down and Alt+Up move between conversations; Ctrl+/ lists the shortcuts', async () => {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.conversations = [
    conversation('new@example.org', { last_at: 3000 }),
    conversation('mid@example.org', { last_at: 2000 }),
    conversation('old@example.org', { last_at: 1000 }),
  ];
  renderApp();
  await screen.findByTestId('conversation-new@example.org');
  await fireEvent.keyDown(window, { key: 'ArrowDown', altKey: true });
  expect((await screen.findByTestId('chat-view')).dataset['peer']).toBe('new@example.org');
  await fireEvent.keyDown(window, { key: 'ArrowDown', altKey: true });
  await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe('mid@example.org'));
  await fireEvent.keyDown(window, { key: 'ArrowUp', altKey: true });
  await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe('new@example.org'));
  await fireEvent.keyDown(window, { key: 'ArrowUp', altKey: true });
  expect(screen.getByTestId('chat-view').dataset['peer'], 'stays at the top').toBe('new@example.org');

  await fireEvent.keyDown(window, { key: '/', ctrlKey: true });
  const help = await screen.findByTestId('shortcuts-dialog');
  expect(help.textContent).toContain('Alt+Up, Alt+Down');
  expect(help.textContent).toContain('Search messages');
});
