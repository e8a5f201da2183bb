// Runs before every test file. After each test: unmount components first (their teardown
// unsubscribes from mocked Tauri events), then remove the Tauri mocks.
import { cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';
import { installFixedLayout } from './layout';

installFixedLayout();

// jsdom has HTMLDialogElement but neither showModal() nor close(): enough of both for tests
// (no top layer, no focus trap, no Escape handling).
if (typeof HTMLDialogElement.prototype.showModal !== 'function') {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement): void {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(
    this: HTMLDialogElement,
    returnValue?: string,
  ): void {
    if (!this.open) return;
    this.open = false;
    if (returnValue !== undefined) this.returnValue = returnValue;
    this.dispatchEvent(new Event('close'));
  };
}

afterEach(() => {
  cleanup();
  clearMocks();
  document.title = '';
  // Settings persist in localStorage: every test starts from the defaults.
  localStorage.clear();
});
