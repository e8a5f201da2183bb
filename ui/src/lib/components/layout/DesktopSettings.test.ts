// Desktop settings: closing the window keeps Linnet in the tray (on by default; the shell is
// told at start and whenever it changes), and the theme (light, dark, or the system's), applied
// at once; both persist.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { ALICE, FakeBackend } from '../../../test/backend';
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
