// Runs before every test file. After each test: unmount components first (their teardown
// unsubscribes from mocked Tauri events), then remove the Tauri mocks.
import { cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  clearMocks();
  document.title = '';
});
